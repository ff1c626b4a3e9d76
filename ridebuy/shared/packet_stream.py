"""Bytes from the socket in, whole MQTT 5 packets out, however TCP split or joined them.

The `mqtt5` codec reads one packet from the start of a buffer and says how many bytes it took, or raises
``IndexError`` when the buffer holds only part of a packet. This class keeps the unread tail between reads.
"""

from __future__ import annotations

import mqtt5


class MalformedPacket(Exception):
    """The broker sent bytes that are not an MQTT 5 packet; the connection cannot go on."""


class PacketStream:
    def __init__(self) -> None:
        self._buffer = bytearray()

    @property
    def pending_bytes(self) -> int:
        """Bytes of a packet not yet complete."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[mqtt5.Packet]:
        """Add what the socket delivered; return the packets now complete, in order."""
        buffer = self._buffer
        buffer += data
        packets: list[mqtt5.Packet] = []
        offset = 0
        end = len(buffer)
        read = mqtt5.read
        with memoryview(buffer) as view:
            while offset < end:
                try:
                    packet, size = read(view[offset:])
                except IndexError:  # "Not enough bytes": the rest comes with a later read
                    break
                except ValueError as exc:
                    raise MalformedPacket(str(exc)) from exc
                packets.append(packet)
                offset += size
        del buffer[:offset]
        return packets
