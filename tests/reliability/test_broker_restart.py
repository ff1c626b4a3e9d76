"""Item 3 of issue 7: the broker restarts (persistence on); the ingest reconnects, resumes and says so."""

from __future__ import annotations

import time

from tests.conftest import IngestFactory
from tests.reliability.conftest import passage_stream, passages_stored, record_figures
from tests.support.mqtt import Publisher, publish_all
from tests.support.servers import InfluxDB, Mosquitto
from tests.support.waiting import wait_until


def test_ingest_reconnects_and_resumes_after_a_broker_restart(
    mosquitto: Mosquitto, influxdb: InfluxDB, database: str, start_ingest: IngestFactory
) -> None:
    ingest = start_ingest(influxdb, database)
    stream = list(passage_stream(3_000))
    publish_all(mosquitto.url, stream[:1_000])
    wait_until(lambda: passages_stored(influxdb, database)[0] == 1_000, what="the first thousand")

    mosquitto.stop()  # persistence on: the ingest's session survives the restart
    ingest.wait_for_log("connection to")  # the ingest noticed
    time.sleep(2)
    restarted_at = time.monotonic()
    mosquitto.start()
    ingest.wait_for_log("session resumed", timeout_s=60)
    reconnect_s = time.monotonic() - restarted_at

    # New data after the restart must arrive: a silent stall fails here.
    publisher = Publisher(mosquitto.url)
    publisher.publish(stream[1_000:])
    publisher.wait_all()
    publisher.close()
    wait_until(lambda: passages_stored(influxdb, database)[0] == 3_000, timeout_s=60, what="data after the restart")
    assert passages_stored(influxdb, database) == (3_000, 3_000)
    record_figures("broker_restart", reconnect_after_broker_up_s=round(reconnect_s, 2))


def test_messages_queued_while_the_ingest_is_down_survive_a_broker_restart(
    mosquitto: Mosquitto, influxdb: InfluxDB, database: str, start_ingest: IngestFactory
) -> None:
    ingest = start_ingest(influxdb, database)
    assert ingest.stop() == 0  # disconnect without unsubscribing: the broker queues for the session
    publish_all(mosquitto.url, list(passage_stream(2_000)))
    mosquitto.stop()
    mosquitto.start()
    start_ingest(influxdb, database)
    wait_until(lambda: passages_stored(influxdb, database)[0] == 2_000, timeout_s=60, what="the queued messages")
    assert passages_stored(influxdb, database) == (2_000, 2_000)
