"""MQTT broker addresses: ``mqtt://[user:pass@]host:port[?protocol=3.1.1]`` (``mqtts://`` for TLS)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    host: str
    port: int
    tls: bool
    username: str | None = None
    password: str | None = None
    mqtt_v5: bool = True
    """False for brokers that speak MQTT 3.1.1 only (``?protocol=3.1.1``), such as the demo's embedded amqtt."""

    def __repr__(self) -> str:  # never show the password
        return f"BrokerAddress(host={self.host!r}, port={self.port}, tls={self.tls}, username={self.username!r})"

    @property
    def display(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


def parse_broker_url(url: str) -> BrokerAddress:
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise ValueError(f"not an MQTT URL (mqtt://host:port or mqtts://host:port): {parts.scheme}://…")
    tls = parts.scheme == "mqtts"
    query = parse_qs(parts.query)
    protocol = query.pop("protocol", ["5"])[-1]
    if protocol not in ("5", "3.1.1") or query:
        raise ValueError("the only MQTT URL parameter is protocol=5 (the default) or protocol=3.1.1")
    return BrokerAddress(
        host=parts.hostname,
        port=parts.port or (8883 if tls else 1883),
        tls=tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        mqtt_v5=protocol == "5",
    )
