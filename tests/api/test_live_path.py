"""The API through the real path: sensors -> Mosquitto -> ingest -> InfluxDB, and the API's own subscription."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from tests.api.conftest import TOPIC, Stack, now_ms, time_prefix
from tests.support.mqtt import publish_all
from tests.support.waiting import wait_until

VISIBLE_WITHIN_S = 10.0
"""A generous bound for a change to show through the API (the measured figure belongs to a benchmark)."""


def test_a_published_change_is_visible_through_the_api(stack: Stack) -> None:
    stack.start_ingest()
    stack.start_api()
    before = stack.json("/v1/parkings/grand-place")
    assert (before["status"], before["free"], before["unknown"]) == ("unknown", 0, 12)

    ts = now_ms()
    stack.publish("gp-rack-1", "occupancy", {"ts": ts, "occupied": 4})
    after = wait_until(
        lambda: (p := stack.json("/v1/parkings/grand-place"))["free"] == 6 and p,
        timeout_s=VISIBLE_WITHIN_S,
        what="the new figure through the API",
    )
    # The rack watches 10 of the 12 places; both slots never spoke, so their places are unknown, not free.
    assert (after["free"], after["occupied"], after["unknown"], after["status"]) == (6, 4, 2, "stale")
    assert after["last_updated"].startswith(time_prefix(ts))


def test_after_a_restart_availability_is_right_at_once(stack: Stack) -> None:
    stack.start_ingest()
    api = stack.start_api()
    ts = now_ms()
    stack.publish("gp-rack-1", "occupancy", {"ts": ts, "occupied": 3})
    stack.publish("gp-slot-01", "occupancy", {"ts": ts, "occupied": True})
    stack.publish("gare-rack", "occupancy", {"ts": ts, "occupied": 1})
    stack.publish("gp-rack-1", "status", {"ts": ts, "battery_v": 3.55, "rssi": -101, "snr": 6.5})
    wait_until(lambda: stack.stored("occupancy") == 3 and stack.stored("device_status") == 1, what="stored")
    wait_until(lambda: stack.json("/v1/parkings/gare")["free"] == 3, what="the API to fold the messages")

    assert api.stop() == 0
    stack.start_api()  # returns once /readyz answers 200; no sensor spoke since
    grand_place = stack.json("/v1/parkings/grand-place")
    assert (grand_place["free"], grand_place["occupied"], grand_place["unknown"]) == (7, 4, 1)
    assert stack.json("/v1/parkings/gare")["free"] == 3
    rack = next(d for d in stack.json("/v1/devices")["devices"] if d["id"] == "gp-rack-1")
    assert (rack["battery_v"], rack["rssi"], rack["snr"], rack["stale"]) == (3.55, -101, 6.5, False)


def test_history_and_counts_come_from_the_store(stack: Stack) -> None:
    stack.start_ingest()
    stack.start_api()
    hour_ms = (now_ms() // 3_600_000 - 2) * 3_600_000  # two hours ago, on the hour
    quarter = 900_000
    for ts, direction, count in [
        (hour_ms + 60_000, "in", 3),
        (hour_ms + 120_000, "in", 2),
        (hour_ms + 2 * quarter + 5_000, "out", 4),
    ]:
        stack.publish("cn-count-1", "passage", {"ts": ts, "direction": direction, "count": count})
    for ts, occupied in [(hour_ms, 2), (hour_ms + quarter, 6)]:
        stack.publish("gare-rack", "occupancy", {"ts": ts, "occupied": occupied})
    wait_until(lambda: stack.stored("passages") == 3 and stack.stored("availability") >= 2, what="stored")

    start, end = iso(hour_ms), iso(hour_ms + 4 * quarter)
    counts = stack.json("/v1/counters/centre-north/counts", **{"from": start, "to": end, "every": "15m"})
    series = {(s["direction"], s["class"]): [c["count"] for c in s["counts"]] for s in counts["series"]}
    # Gaps are null, never zero: nothing was counted inbound after the first quarter.
    assert series == {("in", "bike"): [5, None, None, None], ("out", "bike"): [None, None, 4, None]}
    assert [s["total"] for s in counts["series"]] == [5, 4]
    only_out = stack.json(
        "/v1/counters/centre-north/counts", **{"from": start, "to": end, "every": "1h", "direction": "out"}
    )
    assert [(s["direction"], s["total"]) for s in only_out["series"]] == [("out", 4)]

    history = stack.json("/v1/parkings/gare/history", **{"from": start, "to": end, "every": "15m"})
    assert [b["free"] for b in history["buckets"]] == [2, 0, 0, 0]
    assert [b["occupied"] for b in history["buckets"]] == [2, 6, 6, 6]
    assert history["buckets"][0]["start"] == start


def test_device_health_and_the_stream(stack: Stack) -> None:
    stack.start_ingest()
    stack.start_api()
    with stack.http.stream("GET", "/v1/stream") as events:
        lines = events.iter_lines()
        snapshot = next_event(lines)
        assert snapshot[0] == "snapshot"
        assert {p["id"] for p in snapshot[1]["parkings"]} == {"grand-place", "gare", "shut"}
        stack.publish("gare-rack", "occupancy", {"ts": now_ms(), "occupied": 1})
        event, data = next_event(lines)
    assert (event, data["id"], data["free"], data["status"]) == ("availability", "gare", 3, "ok")

    stack.publish("cn-count-1", "status", {"ts": now_ms(), "battery_pct": 81})
    devices = wait_until(
        lambda: (d := {x["id"]: x for x in stack.json("/v1/devices")["devices"]})["cn-count-1"]["battery_pct"] and d,
        what="the counter's status",
    )
    assert devices["cn-count-1"]["stale"] is False
    assert devices["gare-rack"]["stale"] is False
    assert devices["gp-slot-02"]["stale"] is True and devices["gp-slot-02"]["last_seen"] is None
    counters = stack.json("/v1/counters")["counters"]
    assert [(c["id"], c["status"], c["devices"]) for c in counters] == [("centre-north", "ok", ["cn-count-1"])]


def test_the_api_rides_out_a_broker_restart(stack: Stack) -> None:
    stack.start_api()
    stack.mosquitto.kill()
    wait_until(lambda: stack.get("/readyz").status_code == 503, what="readiness to drop")
    assert stack.get("/readyz").json()["checks"] == {"broker": False, "store": True, "bootstrap": True}
    assert stack.get("/v1/parkings").status_code == 200  # live figures still answer
    stack.mosquitto.start()
    wait_until(lambda: stack.get("/readyz").status_code == 200, timeout_s=60, what="the API to reconnect")
    stack.publish("gare-rack", "occupancy", {"ts": now_ms(), "occupied": 2})
    wait_until(lambda: stack.json("/v1/parkings/gare")["free"] == 2, what="a change after the reconnection")
    metrics = stack.get("/metrics").text
    assert "ridebuy_api_broker_connected 1.0" in metrics
    assert metric(metrics, "ridebuy_api_broker_reconnects_total") >= 1


def test_metrics_count_messages_and_rejections(stack: Stack) -> None:
    stack.start_api()
    stack.publish("gare-rack", "occupancy", {"ts": now_ms(), "occupied": 1})
    stack.publish("stranger", "occupancy", {"occupied": 1})
    stack.publish("gare-rack", "occupancy", {"occupied": "lots"})
    wait_until(
        lambda: metric(stack.get("/metrics").text, "ridebuy_api_messages_received_total") == 3,
        what="three messages counted",
    )
    text = stack.get("/metrics").text
    assert metric(text, 'ridebuy_api_messages_rejected_total{reason="unknown_device"}') == 1
    assert metric(text, 'ridebuy_api_messages_rejected_total{reason="invalid_payload"}') == 1
    assert metric(text, "ridebuy_api_availability_changes_total") >= 1
    assert metric(text, 'ridebuy_api_store_seconds_count{operation="device_snapshots"}') == 1


def metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise AssertionError(f"no metric {name}")


def next_event(lines: Iterator[str]) -> tuple[str, Any]:
    """The next server-sent event (name, parsed data), skipping pings and comments."""
    name, data = "", ""
    for line in lines:
        if line.startswith("event:"):
            name = line.removeprefix("event:").strip()
        elif line.startswith("data:"):
            data += line.removeprefix("data:").strip()
        elif line == "" and name and data:
            return name, json.loads(data)
    raise AssertionError("the stream ended")


def iso(ts_ms: int) -> str:
    return datetime.fromtimestamp(ts_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_the_api_stops_cleanly_with_a_stream_open(stack: Stack) -> None:
    api = stack.start_api()
    with stack.http.stream("GET", "/v1/stream") as events:
        assert next_event(events.iter_lines())[0] == "snapshot"
        assert api.stop() == 0  # SIGTERM: graceful shutdown closes the stream, exit status 0
    assert "Application shutdown complete" in api.log()


def test_a_fast_stream_reaches_a_listener_coalesced_and_never_drops_it(stack: Stack) -> None:
    """1,000 changes of one parking in a burst (four times what used to get a listener dropped): the listener gets
    the parking's latest figures, in far fewer events than changes, and stays connected for what follows."""
    stack.start_api()
    start = now_ms() - 2_000
    burst = [
        (TOPIC.format("gare-rack", "occupancy"), json.dumps({"ts": start + n, "occupied": 1 + n % 2 if n < 999 else 3}))
        for n in range(1000)
    ]  # each message changes the parking; only the last says occupied 3 (free 1)
    with stack.http.stream("GET", "/v1/stream") as events:
        lines = events.iter_lines()
        assert next_event(lines)[0] == "snapshot"
        publish_all(stack.mosquitto.url, burst)
        seen: list[dict[str, Any]] = []
        while not seen or seen[-1]["free"] != 1:
            event, data = next_event(lines)
            assert event == "availability"
            seen.append(data)
        # At most 50 reads a second: the burst would have to take 10 s to reach the API for 500 events.
        assert len(seen) < 500
        stack.publish("gare-rack", "occupancy", {"ts": now_ms(), "occupied": 0})
        event, data = next_event(lines)
        assert (event, data["id"], data["free"]) == ("availability", "gare", 4)
