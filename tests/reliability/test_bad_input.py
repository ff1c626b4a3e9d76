"""Item 4 of issue 7: 100,000 malformed messages interleaved with valid traffic."""

from __future__ import annotations

import os
import time
from collections import Counter

from tests.conftest import IngestFactory
from tests.reliability.conftest import passage_stream, passages_stored, record_figures
from tests.reliability.corpus import malformed
from tests.support.mqtt import Publisher
from tests.support.servers import InfluxDB, Mosquitto
from tests.support.waiting import wait_until

BAD = int(os.environ.get("RIDEBUY_BAD_MESSAGES", "100000"))
GOOD_EVERY = 5


def errors_by_reason(influx: InfluxDB, database: str) -> Counter[str]:
    rows = influx.rows(database, 'SELECT count(detail) FROM ingest_errors GROUP BY "reason"')
    return Counter({str(row["reason"]): int(row["count"]) for row in rows})


def test_malformed_flood_is_dead_lettered_and_valid_traffic_stored(
    mosquitto: Mosquitto, influxdb: InfluxDB, database: str, start_ingest: IngestFactory
) -> None:
    ingest = start_ingest(influxdb, database)
    expected: Counter[str] = Counter()
    good = passage_stream(BAD // GOOD_EVERY)
    messages: list[tuple[str, bytes | str]] = []
    valid = 0
    for n, (topic, payload, reason) in enumerate(malformed(BAD)):
        messages.append((topic, payload))
        expected[reason.value] += 1
        if n % GOOD_EVERY == 0:
            messages.append(next(good))
            valid += 1
    started = time.monotonic()
    publisher = Publisher(mosquitto.url)
    publisher.publish(messages)
    publisher.wait_all(timeout_s=300)
    publisher.close()

    wait_until(lambda: passages_stored(influxdb, database)[0] >= valid, timeout_s=300, what="every valid message")
    wait_until(
        lambda: sum(errors_by_reason(influxdb, database).values()) >= BAD, timeout_s=300, what="every dead letter"
    )
    elapsed = time.monotonic() - started
    assert ingest.running
    assert passages_stored(influxdb, database) == (valid, valid)
    assert errors_by_reason(influxdb, database) == expected
    record_figures(
        "bad_input", malformed=BAD, valid=valid, seconds=round(elapsed, 1), by_reason=dict(sorted(expected.items()))
    )
