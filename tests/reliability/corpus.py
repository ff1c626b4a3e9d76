"""A generated corpus of malformed device messages (seeded, reproducible), each with the reason it must get."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator

from ridebuy.devices.rejections import RejectReason

TOPIC = "ridebuy/v1/devices/{}/{}"
BIG = 1024 * 1024


def _random_bytes(rng: random.Random) -> bytes:
    return bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 200)))


def _invalid_utf8(rng: random.Random) -> bytes:
    return b'{"occupied": "' + bytes([0xC3, 0x28, 0xFF, rng.randint(0x80, 0xBF)]) + b'"}'


def malformed(count: int, seed: int = 7) -> Iterator[tuple[str, bytes, RejectReason]]:
    """``count`` malformed messages for the registry of tests/reliability/conftest.py."""
    rng = random.Random(seed)
    makers: list[Callable[[], tuple[str, bytes, RejectReason]]] = [
        lambda: (TOPIC.format("gare-rack", "occupancy"), _random_bytes(rng), RejectReason.INVALID_JSON),
        lambda: (TOPIC.format("count-1", "passage"), _invalid_utf8(rng), RejectReason.INVALID_JSON),
        lambda: (
            TOPIC.format("gare-rack", "occupancy"),
            b'{"occupied":' * rng.randint(200, 3000) + b"1" + b"}" * 10,
            RejectReason.INVALID_JSON,
        ),
        # The parser reads NaN and Infinity; the payload model then refuses them as not finite.
        lambda: (TOPIC.format("gare-rack", "status"), b'{"battery_v": NaN}', RejectReason.INVALID_PAYLOAD),
        lambda: (TOPIC.format("gare-rack", "status"), b'{"temperature_c": Infinity}', RejectReason.INVALID_PAYLOAD),
        lambda: (
            TOPIC.format("gare-rack", "occupancy"),
            json.dumps({"occupied": rng.choice(["7", None, [1], {"n": 1}, 1.5, -3, True])}).encode(),
            RejectReason.INVALID_PAYLOAD,
        ),
        lambda: (
            TOPIC.format(f"count-{rng.randint(0, 19)}", "passage"),
            json.dumps({"direction": rng.choice(["up", "", 1, None]), "count": 1}).encode(),
            RejectReason.INVALID_PAYLOAD,
        ),
        lambda: (
            TOPIC.format("gare-rack", "occupancy"),
            json.dumps({"occupied": 1, "ts": rng.choice(["soon", "2026-13-45T00:00:00Z", -5, 10**16])}).encode(),
            RejectReason.INVALID_PAYLOAD,
        ),
        lambda: (
            TOPIC.format("gare-rack", "occupancy"),
            json.dumps({"occupied": 1, "pad": "x" * (70_000 + rng.randint(0, 1000))}).encode(),
            RejectReason.TOO_LARGE,
        ),
        lambda: (
            TOPIC.format("gare-rack", "occupancy"),
            json.dumps({"occupied": 1, "ts": 4_000_000_000_000}).encode(),
            RejectReason.TIMESTAMP_IN_FUTURE,
        ),
        lambda: (
            TOPIC.format(rng.choice(["stranger", "x" * 64, "gare-rack-2", "..", "-"]), "occupancy"),
            b'{"occupied": 1}',
            RejectReason.UNKNOWN_DEVICE,
        ),
        lambda: (
            TOPIC.format(rng.choice(["gare rack", "é", "x" * 65, "", "a$b", "<script>"]), "occupancy"),
            b'{"occupied": 1}',
            RejectReason.BAD_TOPIC,
        ),
        lambda: (
            f"ridebuy/v1/devices/gare-rack/{rng.choice(['Occupancy', 'temperature', '', 'status '])}",
            b"{}",
            RejectReason.BAD_TOPIC,
        ),
        lambda: (TOPIC.format("count-2", "occupancy"), b'{"occupied": 1}', RejectReason.WRONG_KIND),
    ]
    for n in range(count):
        if n % 5_000 == 4_999:  # a few 1 MB payloads
            yield TOPIC.format("gare-rack", "occupancy"), b"[" + b"1," * (BIG // 2) + b"1]", RejectReason.TOO_LARGE
            continue
        yield rng.choice(makers)()
