"""One uplink, one key: through any gateways, delivered any number of times; frame counters across rejoins."""

from __future__ import annotations

import pytest

from ridebuy.devices.envelopes import (
    FrameState,
    FrameVerdict,
    Reception,
    chirpstack_status,
    chirpstack_up,
    judge_frame,
    parse_envelope,
    ttn_uplink,
    uplink_readings,
)
from ridebuy.devices.envelopes.uplink import Uplink
from ridebuy.devices.readings import StatusReading
from ridebuy.devices.registry import DeviceFormat
from tests.devices.lorawan_registry import NOW_NS, TWO_GATEWAYS, lorawan_registry

REGISTRY = lorawan_registry()
GATEWAY_A, GATEWAY_B = TWO_GATEWAYS
APP = "5f9e5a3c-7d3e-4d0a-9a57-9a1d6c1b2e01"


def ttn(
    f_cnt: int = 5,
    data: bytes = b"\x01",
    receptions: tuple[Reception, ...] = (GATEWAY_A,),
    time_ns: int = NOW_NS - 10**9,
    session_key_id: str | None = None,
) -> Uplink:
    topic, payload = ttn_uplink(
        application_id="ridebuy",
        device_id="gp-slot-tps",
        dev_eui="70B3D5E75E000001",
        f_port=1,
        f_cnt=f_cnt,
        frm_payload=data,
        time_ns=time_ns,
        receptions=receptions,
        session_key_id=session_key_id,
    )
    return parse_envelope(DeviceFormat.TTN, topic, payload)


def chirpstack(f_cnt: int = 5, receptions: tuple[Reception, ...] = (GATEWAY_A,), dev_addr: str = "0123abcd") -> Uplink:
    topic, payload = chirpstack_up(
        application_id=APP,
        dev_eui="24E124538B000002",
        device_name="gp-slot-vs340",
        f_port=85,
        f_cnt=f_cnt,
        data=bytes([0x03, 0x00, 0x01]),
        time_ns=NOW_NS - 10**9,
        receptions=receptions,
        dev_addr=dev_addr,
    )
    return parse_envelope(DeviceFormat.CHIRPSTACK, topic, payload)


def test_ttn_uplink_through_two_gateways_has_one_key_and_the_same_data() -> None:
    via_a, via_b, via_both = ttn(receptions=(GATEWAY_A,)), ttn(receptions=(GATEWAY_B,)), ttn(receptions=TWO_GATEWAYS)
    assert via_a.dedup_key == via_b.dedup_key == via_both.dedup_key
    readings_a = uplink_readings(via_a, NOW_NS, REGISTRY)
    readings_b = uplink_readings(via_b, NOW_NS, REGISTRY)
    assert readings_a[0] == readings_b[0]  # the occupancy point is the very same
    both = uplink_readings(via_both, NOW_NS, REGISTRY)[-1]
    assert isinstance(both, StatusReading) and both.values["gateways"] == 2 and both.values["rssi"] == GATEWAY_A.rssi


def test_ttn_redelivery_at_another_time_has_the_same_key() -> None:
    assert ttn(time_ns=NOW_NS - 10**9).dedup_key == ttn(time_ns=NOW_NS - 3 * 10**9).dedup_key


def test_ttn_distinct_uplinks_have_distinct_keys() -> None:
    first = ttn(f_cnt=5)
    assert first.dedup_key != ttn(f_cnt=6).dedup_key
    assert first.dedup_key != ttn(data=b"\x00").dedup_key
    assert first.dedup_key != ttn(session_key_id="c2Vzc2lvbi0y").dedup_key  # same counter after a rejoin


def test_chirpstack_uplink_through_two_gateways_has_one_key() -> None:
    assert chirpstack(receptions=(GATEWAY_A,)).dedup_key == chirpstack(receptions=(GATEWAY_B,)).dedup_key
    assert chirpstack(f_cnt=5).dedup_key != chirpstack(f_cnt=6).dedup_key
    assert chirpstack(dev_addr="0123abcd").dedup_key != chirpstack(dev_addr="0456ef01").dedup_key


def test_chirpstack_status_events_are_told_apart_by_time() -> None:
    def status(time_ns: int) -> Uplink:
        topic, payload = chirpstack_status(
            application_id=APP,
            dev_eui="24E124538B000002",
            device_name="gp-slot-vs340",
            time_ns=time_ns,
            margin_db=7,
            battery_pct=90.0,
        )
        return parse_envelope(DeviceFormat.CHIRPSTACK, topic, payload)

    assert status(NOW_NS - 10**9).dedup_key == status(NOW_NS - 10**9).dedup_key
    assert status(NOW_NS - 10**9).dedup_key != status(NOW_NS - 2 * 10**9).dedup_key
    assert status(NOW_NS).dedup_key != chirpstack().dedup_key


def step(previous: FrameState | None, f_cnt: int, session: str | None) -> tuple[FrameVerdict, FrameState]:
    return judge_frame(previous, ttn(f_cnt=f_cnt, session_key_id=session) if session else _no_session(f_cnt))


def _no_session(f_cnt: int) -> Uplink:
    uplink = ttn(f_cnt=f_cnt)
    return Uplink(uplink.ids, uplink.event, uplink.time_ns, uplink.f_port, uplink.f_cnt, uplink.frm_payload)


@pytest.mark.parametrize(
    ("previous", "f_cnt", "session", "verdict", "kept"),
    [
        (None, 7, "s1", FrameVerdict.FIRST, 7),
        (FrameState("s1", 7), 8, "s1", FrameVerdict.NEXT, 8),
        (FrameState("s1", 7), 20, "s1", FrameVerdict.NEXT, 20),
        (FrameState("s1", 7), 7, "s1", FrameVerdict.REPEAT, 7),
        (FrameState("s1", 7), 3, "s1", FrameVerdict.OLD, 7),
        (FrameState("s1", 700), 0, "s2", FrameVerdict.NEW_SESSION, 0),
        (FrameState("s1", 3), 5, "s2", FrameVerdict.NEW_SESSION, 5),
        (FrameState(None, 700), 0, None, FrameVerdict.NEW_SESSION, 0),
        (FrameState(None, 700), 2, None, FrameVerdict.NEW_SESSION, 2),
        (FrameState(None, 700), 650, None, FrameVerdict.OLD, 700),
        (FrameState(None, 10), 2, None, FrameVerdict.OLD, 10),
    ],
)
def test_frame_counter_verdicts(
    previous: FrameState | None, f_cnt: int, session: str | None, verdict: FrameVerdict, kept: int
) -> None:
    got, state = step(previous, f_cnt, session)
    assert got is verdict
    assert state.f_cnt == kept
