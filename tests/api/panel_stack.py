"""A registry with display panels, for the tests that run the real ``ridebuy api``."""

from __future__ import annotations

import copy
import queue
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import yaml
from paho.mqtt.enums import CallbackAPIVersion

from ridebuy.shared.brokers import parse_broker_url
from tests.devices.helpers import SMALL

PANELS: list[dict[str, Any]] = [
    {
        "id": "entree",
        "title": {"fr": "Parkings vélo", "nl": "Fietsparkings"},
        "languages": ["fr", "nl"],
        "parkings": [{"parking": "gare", "arrow": "right", "direction": "200 m"}, "grand-place", "shut"],
        "ride_and_buy": True,
    }
]


def write_panel_registry(path: Path, panels: list[dict[str, Any]] = PANELS) -> Path:
    data = copy.deepcopy(SMALL)
    data["panels"] = panels
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@dataclass(frozen=True)
class Received:
    at: float
    """time.monotonic() on arrival"""
    topic: str
    payload: bytes
    retain: bool
    expiry_s: int | None


class Subscriber:
    """A sign controller: an MQTT 5 client that records what it receives, with the retain flag and expiry."""

    def __init__(self, url: str, topic_filter: str) -> None:
        broker = parse_broker_url(url)
        self.messages: queue.Queue[Received] = queue.Queue()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"sign-{uuid.uuid4().hex[:8]}", protocol=mqtt.MQTTv5
        )
        if broker.username is not None:
            self.client.username_pw_set(broker.username, broker.password)
        self.client.on_message = self._on_message
        self.client.on_connect = lambda client, userdata, flags, reason, props: client.subscribe(topic_filter, 1)
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        expiry = getattr(message.properties, "MessageExpiryInterval", None) if message.properties else None
        self.messages.put(Received(time.monotonic(), message.topic, bytes(message.payload), message.retain, expiry))

    def next(self, timeout_s: float = 10.0) -> Received:
        try:
            return self.messages.get(timeout=timeout_s)
        except queue.Empty:
            raise AssertionError(f"no panel message within {timeout_s} s") from None

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
