"""Item 2 of issue 7: InfluxDB stopped for 60 s during the stream; the ingest spools, says so, loses nothing."""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.request
from pathlib import Path

import psutil

from ridebuy.ingest.spool import HEADER, MAGIC, decode_points
from tests.conftest import IngestFactory
from tests.reliability.conftest import passage_stream, passages_stored, record_figures
from tests.support.mqtt import Publisher
from tests.support.ports import free_port
from tests.support.processes import RidebuyProcess
from tests.support.servers import InfluxDB, Mosquitto
from tests.support.waiting import wait_until

OUTAGE_S = float(os.environ.get("RIDEBUY_OUTAGE_S", "60"))
RATE_PER_S = 1_000
FULL_SPOOL_OUTAGE_S = float(os.environ.get("RIDEBUY_FULL_SPOOL_OUTAGE_S", "40"))


def health(port: int) -> dict[str, object]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def rss_mb(process: RidebuyProcess) -> float:
    assert process.process is not None
    return float(psutil.Process(process.process.pid).memory_info().rss) / 2**20


def test_outage_spools_to_disk_with_bounded_memory_and_loses_nothing(
    mosquitto: Mosquitto, private_influxdb: InfluxDB, start_ingest: IngestFactory, tmp_path: Path
) -> None:
    database = "outage"
    port = free_port()
    ingest = start_ingest(private_influxdb, database, "--health-port", str(port))
    messages = int(RATE_PER_S * (OUTAGE_S + 20))
    publisher = Publisher(mosquitto.url)
    done = threading.Event()

    def stream() -> None:
        publisher.publish(passage_stream(messages), rate_per_s=RATE_PER_S)
        done.set()

    threading.Thread(target=stream, daemon=True).start()
    time.sleep(5)
    assert health(port)["status"] == "ok"
    rss_before = rss_mb(ingest)

    private_influxdb.stop()
    outage_started = time.monotonic()
    rss_samples = []
    statuses = set()
    while time.monotonic() - outage_started < OUTAGE_S:
        time.sleep(2)
        rss_samples.append(rss_mb(ingest))
        statuses.add(str(health(port)["status"]))
    during = health(port)
    private_influxdb.start()

    done.wait(OUTAGE_S + 120)
    publisher.wait_all()
    publisher.close()
    wait_until(lambda: passages_stored(private_influxdb, database)[0] >= messages, timeout_s=180, what="all passages")
    wait_until(lambda: health(port)["status"] == "ok", timeout_s=60, what="health back to ok")
    points, total = passages_stored(private_influxdb, database)
    record_figures(
        "store_outage",
        outage_s=OUTAGE_S,
        messages=messages,
        points=points,
        rss_before_mb=round(rss_before, 1),
        rss_max_during_mb=round(max(rss_samples), 1),
        spool_bytes_at_end_of_outage=during["spool_bytes"],
    )
    assert statuses == {"degraded"}
    assert int(during["spool_bytes"]) > 0  # type: ignore[call-overload]
    assert points == messages
    assert total == messages
    # Memory stays bounded: the backlog is on disk, not in the process.
    assert max(rss_samples) < rss_before + 60


def test_full_spool_holds_messages_at_the_broker_and_loses_nothing(
    mosquitto: Mosquitto, private_influxdb: InfluxDB, start_ingest: IngestFactory
) -> None:
    database = "fullspool"
    port = free_port()
    ingest = start_ingest(private_influxdb, database, "--health-port", str(port), "--spool-max-bytes", str(2**20))
    private_influxdb.stop()
    messages = 20_000
    publisher = Publisher(mosquitto.url)
    publisher.publish(passage_stream(messages))
    publisher.wait_all()
    wait_until(lambda: health(port)["spool_full"], timeout_s=60, what="the spool to fill up")
    assert "spool full" in " ".join(health(port)["problems"])  # type: ignore[arg-type]
    ingest.wait_for_log("cannot spool")
    time.sleep(FULL_SPOOL_OUTAGE_S)  # long enough for the retry backoff to have grown to its 30 s ceiling
    private_influxdb.start()
    back = time.monotonic()
    wait_until(lambda: passages_stored(private_influxdb, database)[0] > 0, timeout_s=60, what="writing to resume")
    resumed_s = time.monotonic() - back
    wait_until(lambda: passages_stored(private_influxdb, database)[0] >= messages, timeout_s=120, what="all passages")
    assert passages_stored(private_influxdb, database) == (messages, messages)
    # Every flag clears once the backlog is stored: nothing is pending, nothing is held at the broker.
    wait_until(lambda: health(port)["pending_messages"] == 0, timeout_s=30, what="nothing pending")
    after = health(port)
    assert (after["status"], after["spool_full"], after["problems"]) == ("ok", False, [])
    record_figures("full_spool_recovery", messages=messages, resumed_after_store_back_s=round(resumed_s, 1))
    assert resumed_s < 5  # the store is probed: no waiting out a 15-30 s backoff


def test_corrupted_spool_on_start_is_reported_and_its_good_part_replayed(
    mosquitto: Mosquitto, private_influxdb: InfluxDB, start_ingest: IngestFactory, tmp_path: Path
) -> None:
    database = "corrupt"
    port = free_port()
    ingest = start_ingest(private_influxdb, database, "--health-port", str(port))
    private_influxdb.stop()
    publisher = Publisher(mosquitto.url)
    publisher.publish(passage_stream(3_000))
    publisher.wait_all()
    publisher.close()
    wait_until(lambda: health(port)["messages_stored"] == 3_000, what="everything spooled")
    assert ingest.stop() == 0
    segments = sorted((tmp_path / "spool").glob("*.seg"))
    segment = segments[-1]
    data = bytearray(segment.read_bytes())
    damaged_at = len(data) // 2
    # The good part: every point of the other segments and of the records wholly before the damaged byte.
    good = sum(_points_in(other) for other in segments[:-1]) + _points_in(segment, before=damaged_at)
    assert 0 < good < 3_000
    data[damaged_at] ^= 0xFF
    segment.write_bytes(bytes(data))

    private_influxdb.start()
    restarted = start_ingest(private_influxdb, database, "--health-port", str(port))
    restarted.wait_for_log("is damaged at byte")
    assert list((tmp_path / "spool").glob("*.corrupt"))
    assert "damaged spool segment" in " ".join(health(port)["problems"])  # type: ignore[arg-type]
    restarted.wait_for_log("replayed", timeout_s=60)
    wait_until(lambda: passages_stored(private_influxdb, database)[0] >= good, what="the good records replayed")
    assert passages_stored(private_influxdb, database)[0] == good
    assert restarted.running


def _points_in(segment: Path, before: int | None = None) -> int:
    """Points in a spool segment's records (spool format: magic, then length | CRC-32 | JSON per record), counting
    only the records that end before ``before`` when given."""
    data = segment.read_bytes()
    offset, points = len(MAGIC), 0
    while offset < len(data):
        length, _ = HEADER.unpack_from(data, offset)
        end = offset + HEADER.size + length
        if before is not None and end > before:
            break
        points += len(decode_points(data[offset + HEADER.size : end]))
        offset = end
    return points
