"""Helpers of the ingest tests; the fixtures live in tests/conftest.py (start_ingest, registry_file)."""

import uuid

from tests.conftest import IngestFactory
from tests.support.mqtt import publish_all
from tests.support.servers import InfluxDB, Mosquitto
from tests.support.waiting import wait_until

__all__ = ["IngestFactory", "stored_everything_published"]


def stored_everything_published(mosquitto: Mosquitto, influx: InfluxDB, database: str, workers: int = 1) -> None:
    """Wait until the ingest stored everything published so far.

    A message from an unknown device, published now, is delivered after everything before it (the broker keeps the
    order) and stored after it (the write path keeps it too): once its dead letter is stored, so is the rest. With
    workers sharing a subscription, Mosquitto deals messages round-robin: one sentinel per worker.
    """
    sentinels = [f"sentinel-{uuid.uuid4().hex[:8]}" for _ in range(workers)]
    publish_all(mosquitto.url, [(f"ridebuy/v1/devices/{sentinel}/status", "{}") for sentinel in sentinels])
    names = " OR ".join(f"device = '{sentinel}'" for sentinel in sentinels)
    wait_until(lambda: influx.count(database, "ingest_errors", f"WHERE {names}") == workers, what="the sentinels")
