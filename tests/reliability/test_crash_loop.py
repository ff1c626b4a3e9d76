"""Item 1 of issue 7: SIGKILL the ingest every few seconds during a stream of 20,000 QoS 1 messages."""

from __future__ import annotations

import os
import threading
import time

from tests.conftest import IngestFactory
from tests.ingest.conftest import stored_everything_published
from tests.reliability.conftest import passage_stream, passages_stored, record_figures
from tests.support.mqtt import Publisher
from tests.support.servers import InfluxDB, Mosquitto
from tests.support.waiting import wait_until

MESSAGES = int(os.environ.get("RIDEBUY_CRASH_MESSAGES", "20000"))
KILL_EVERY_S = 1.5
MIN_KILLS = 3
RATE_PER_S = 2_000


def test_every_message_stored_exactly_once_across_repeated_sigkills(
    mosquitto: Mosquitto, influxdb: InfluxDB, database: str, start_ingest: IngestFactory
) -> None:
    ingest = start_ingest(influxdb, database)
    publisher = Publisher(mosquitto.url)
    done = threading.Event()

    def stream() -> None:
        publisher.publish(passage_stream(MESSAGES), rate_per_s=RATE_PER_S)
        done.set()

    started = time.monotonic()
    threading.Thread(target=stream, daemon=True).start()
    kills = 0
    # At least MIN_KILLS, however slow the machine: kills after the stream has ended test the redelivery too.
    while not done.is_set() or kills < MIN_KILLS:
        time.sleep(KILL_EVERY_S)
        ingest.kill()  # SIGKILL: no flush, no goodbye
        kills += 1
        ingest = start_ingest(influxdb, database)
    publisher.wait_all()
    publisher.close()

    wait_until(lambda: passages_stored(influxdb, database)[0] >= MESSAGES, timeout_s=120, what="every passage")
    stored_everything_published(mosquitto, influxdb, database)  # a duplicate would be stored by now
    points, total = passages_stored(influxdb, database)
    elapsed = time.monotonic() - started
    record_figures("crash_loop", messages=MESSAGES, sigkills=kills, points=points, sum=total, seconds=round(elapsed, 1))
    assert kills >= MIN_KILLS
    assert points == MESSAGES  # none lost; a duplicate would be a point of its own (distinct seq -> distinct time)
    assert total == MESSAGES  # and none counted twice
