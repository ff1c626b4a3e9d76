"""Frame counters: telling the next uplink from a repeat, an old one, and a new session after a rejoin.

LoRaWAN counts uplinks per session (FCntUp). A device that rejoins gets new session keys and counts from 0
again: that is a new session, not a replay. The Things Stack shows the session as ``session_key_id`` and
ChirpStack hands out a new ``devAddr`` at each join; when neither is known, a counter that falls back near 0 is
taken for a restart. The network servers already refuse true replays (they check the counter and the MIC), so
what reaches ridebuy as "old" is a late or repeated delivery: its points are idempotent, the verdict is for
health and metrics.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ridebuy.devices.envelopes.uplink import Uplink

RESTART_WINDOW = 16
"""A counter below this, after a higher one and with no session id to compare, is a restarted session
(a rejoined device may lose its first uplinks to radio)."""


class FrameVerdict(StrEnum):
    FIRST = "first"
    """No earlier uplink of this device is known."""
    NEXT = "next"
    """The counter went up (gaps are lost uplinks)."""
    REPEAT = "repeat"
    """The same counter again in the same session: a duplicate delivery."""
    NEW_SESSION = "new_session"
    """The device rejoined: new session id, or the counter restarted near 0."""
    OLD = "old"
    """A lower counter in the same session: a late or repeated delivery of an earlier uplink."""


@dataclass(frozen=True, slots=True)
class FrameState:
    """What to remember per device between uplinks."""

    session: str | None
    f_cnt: int


def judge_frame(previous: FrameState | None, uplink: Uplink) -> tuple[FrameVerdict, FrameState]:
    """The verdict on ``uplink`` and the state to keep for the next one (the highest counter seen)."""
    current = FrameState(uplink.session, uplink.f_cnt)
    if previous is None:
        return FrameVerdict.FIRST, current
    if previous.session and uplink.session and previous.session != uplink.session:
        return FrameVerdict.NEW_SESSION, current
    if uplink.f_cnt > previous.f_cnt:
        return FrameVerdict.NEXT, current
    if uplink.f_cnt == previous.f_cnt:
        return FrameVerdict.REPEAT, previous
    if uplink.f_cnt < RESTART_WINDOW <= previous.f_cnt and not (previous.session and uplink.session):
        return FrameVerdict.NEW_SESSION, current
    return FrameVerdict.OLD, previous
