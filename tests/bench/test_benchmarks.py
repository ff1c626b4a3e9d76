"""Each benchmark once with a small N, so that they keep working (figures are printed, never asserted on)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import (
    api_load,
    backlog_drain,
    demo_history,
    freshness,
    memory,
    mqtt_clients,
    page_load,
    pipeline,
    profile_summary,
    scale_out,
)
from bench.machine import describe
from bench.workload import Town, stream
from tests.support.processes import Processes

pytestmark = pytest.mark.bench

SMALL_TOWN = Town(parkings=5, slots_per_parking=4, counters=2)


def test_machine_description_names_cores_cpu_and_servers(bench_rig: None) -> None:
    facts = describe()
    assert int(facts["cores"]) >= 1
    assert facts["mosquitto"] not in ("not installed", "unknown")
    assert facts["influxd"] not in ("not installed", "unknown")


def test_stream_mix_counts_every_message_once() -> None:
    mix, messages = stream(SMALL_TOWN, 1000)
    listed = list(messages)
    assert len(listed) == mix.total == 1000
    assert sum(1 for topic, _ in listed if topic.endswith("/passage")) == mix.passage == 100
    assert len({payload for _, payload in listed}) == 1000  # each message its own point


def test_backlog_drain_stores_every_point(bench_rig: None) -> None:
    result = backlog_drain.run(2_000, town=SMALL_TOWN)
    assert result.points == 2_000
    assert result.rate > 0
    assert "msg/s" in "\n".join(result.lines())


def test_backlog_drain_over_mqtt_311(bench_rig: None) -> None:
    result = backlog_drain.run(1_000, protocol="3.1.1", town=SMALL_TOWN)
    assert result.points == 1_000


def test_scale_out_two_workers_share_the_backlog(bench_rig: None) -> None:
    one, two = scale_out.run(2_000, workers=(1, 2), parkings=5)
    assert (one.workers, two.workers) == (1, 2)
    assert one.points == two.points == 2_000
    assert 0 <= two.stored_at_start <= two.stored_when_all_up <= 2_000  # the clock starts with the first worker
    assert "stored when the last worker connected" in "\n".join(two.lines())


def test_freshness_sees_every_probe_through_get_and_stream(bench_rig: None) -> None:
    result = freshness.run(probes=6, background=200, interval_s=0.05)
    assert len(result.sse_ms) == len(result.get_ms) == 6
    assert result.background_rate > 0


def test_freshness_without_the_ingest_measures_the_api_alone(bench_rig: None) -> None:
    result = freshness.run(probes=3, background=200, interval_s=0.05, with_ingest=False)
    assert len(result.sse_ms) == len(result.get_ms) == 3
    assert "ingest" not in result.cpu_share and "api" in result.cpu_share


def test_api_load_revalidates_with_etag(bench_rig: None) -> None:
    figures = api_load.run(parkings_counts=(20,), seconds=1, connections=2, endpoints=("list",))
    (figure,) = figures
    assert figure.result.requests > 0
    assert figure.result.errors == 0
    assert figure.result.revalidations > 0
    assert figure.result.not_modified >= figure.result.revalidations - 2  # 304 unless the state changed meanwhile


def test_memory_measures_both_processes(bench_rig: None) -> None:
    result = memory.run(devices=400)
    assert set(result.spoken_mib) == {"ingest", "api"}
    assert all(value > 0 for value in result.live_bytes_per_device.values())


def test_pipeline_and_client_comparison_run(bench_rig: None) -> None:
    figures = pipeline.run(2_000, SMALL_TOWN)
    assert figures["total"] > 0
    assert abs(sum(v for k, v in figures.items() if k != "total") - figures["total"]) < 0.05 * figures["total"]
    assert all(mqtt_clients.run(1_000, client) > 0 for client in mqtt_clients.CLIENTS)


def test_profile_summary_reads_collapsed_stacks(tmp_path: Path) -> None:
    profile = tmp_path / "profile.txt"
    profile.write_text("thread (1): mqtt-network;loop (paho/client.py:10);decode (devices/native.py:5) 3\n")
    lines = profile_summary.summarise(profile, thread="mqtt-network")
    assert lines[0] == "3 samples"
    assert any("decode (devices/native.py)" in line for line in lines)


def test_page_load_times_the_list_and_weighs_the_page(bench_rig: None) -> None:
    figures = page_load.run(runs=1, profile="fast-3g")
    assert figures[0].list_painted_ms > 0
    assert figures[0].live_list_ms >= figures[0].list_painted_ms
    assert figures[0].bytes_by_type.get("Script", 0) > 40_000  # Leaflet came over the (throttled) wire
    assert "list painted" in "\n".join(page_load.lines(figures, "fast-3g"))


def test_demo_history_and_report(processes: Processes) -> None:
    # weasyprint finds its libraries with ldconfig: a process, hence the fixture.
    result = demo_history.run(0.25)
    assert result.messages > 0 and result.points > 0 and result.pages_bytes > 0
    assert "msg/s" in "\n".join(result.lines())
