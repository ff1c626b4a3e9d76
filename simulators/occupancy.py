"""Occupancy models of rack devices (a count of bikes) and slot devices (one space, taken or not).

Both are driven by the profile of their parking: the typical share of spaces taken at a local time. They are
stochastic (bikes arrive and leave one by one) but seeded, and they take any time step, so the same model serves
a backfill at real speed and a demo at a thousand times real time.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping

from ridebuy.simulators.clock import local_time
from ridebuy.simulators.profiles import PlaceKind, Profile
from ridebuy.simulators.sampling import binomial, poisson

MEAN_STAY_S: Mapping[PlaceKind, float] = {
    PlaceKind.STATION: 9 * 3600,
    PlaceKind.SCHOOL: 7 * 3600,
    PlaceKind.SHOPS: 40 * 60,
    PlaceKind.MARKET: 75 * 60,
    PlaceKind.LIBRARY: 60 * 60,
    PlaceKind.SPORTS: 100 * 60,
    PlaceKind.CHURCH: 75 * 60,
    PlaceKind.TOWN_HALL: 40 * 60,
    PlaceKind.CULTURE: 150 * 60,
    PlaceKind.CENTRE: 60 * 60,
}
"""How long a bike typically stays: sets the turnover (bikes swapping places while the count holds steady)."""

RELAX_S = 20 * 60
"""How fast a rack's count follows its profile (time constant): crowds come and go over tens of minutes."""

OVERFLOW_SHARE = 0.2
"""A full rack may hold this share of its spaces again in bikes locked beside it (never less than one bike)."""

SLOT_FOLLOW_S = 45 * 60
"""A slot follows its profile at least this fast (time constant), even where bikes stay long (commuters)."""

MAX_SLOT_SHARE = 0.97
"""A slot is never certain to be taken: someone always leaves eventually."""


def overflow_limit(spaces: int) -> int:
    """The most bikes a rack device may report: its spaces plus the bikes locked outside a full rack."""
    return spaces + max(1, math.ceil(spaces * OVERFLOW_SHARE))


class RackModel:
    """Bikes in a rack: arrivals and departures that pull the count toward ``share x spaces``, with turnover."""

    def __init__(self, spaces: int, profile: Profile, rng: random.Random, sim_s: float) -> None:
        self.spaces = spaces
        self.profile = profile
        self._rng = rng
        self._turnover_per_s = 1.0 / MEAN_STAY_S[profile.kind]
        self._sim_s = sim_s
        target = self._target(sim_s)
        self.occupied = min(overflow_limit(spaces), poisson(rng, target))

    def _target(self, sim_s: float) -> float:
        return max(0.0, self.profile.share(local_time(sim_s))) * self.spaces

    def advance(self, sim_s: float) -> int:
        """Move the simulated clock to ``sim_s``; return the new count of bikes."""
        # A jump back (a new --start after a backfill) is treated as time passing: the rack settles anew.
        elapsed = abs(sim_s - self._sim_s)
        self._sim_s = sim_s
        if elapsed == 0:
            return self.occupied
        target = self._target(sim_s)
        pull = (target - self.occupied) * (1 - math.exp(-elapsed / RELAX_S))
        # Turnover: bikes swapping places in a steady rack, bounded by the time elapsed.
        swap = min(1.0, self._turnover_per_s * elapsed)
        arrivals = poisson(self._rng, max(pull, 0.0) + swap * target)
        leaving_share = (max(-pull, 0.0) + swap * self.occupied) / self.occupied if self.occupied else 0.0
        departures = binomial(self._rng, self.occupied, min(1.0, leaving_share))
        self.occupied = max(0, min(overflow_limit(self.spaces), self.occupied + arrivals - departures))
        return self.occupied


class SlotModel:
    """One space as a two-state Markov chain whose long-run share of 'taken' is the profile's share."""

    def __init__(self, profile: Profile, rng: random.Random, sim_s: float) -> None:
        self.profile = profile
        self._rng = rng
        self._leave_per_s = 1.0 / MEAN_STAY_S[profile.kind]
        self._sim_s = sim_s
        self.occupied = rng.random() < self._share(sim_s)

    def _share(self, sim_s: float) -> float:
        return min(MAX_SLOT_SHARE, max(0.0, self.profile.share(local_time(sim_s))))

    def advance(self, sim_s: float) -> bool:
        """Move the simulated clock to ``sim_s``; return whether the space is taken."""
        elapsed = abs(sim_s - self._sim_s)
        self._sim_s = sim_s
        if elapsed == 0:
            return self.occupied
        share = self._share(sim_s)
        # Leaving at least as fast as following the profile needs: commuters' bikes go home in the evening.
        leave_per_s = max(self._leave_per_s, (1 - share) / SLOT_FOLLOW_S)
        arrive_per_s = leave_per_s * share / (1 - share)
        # Exact transition probability of the two-state chain over ``elapsed`` (rates frozen over the step).
        decay = math.exp(-(arrive_per_s + leave_per_s) * elapsed)
        taken = share + ((1.0 if self.occupied else 0.0) - share) * decay
        self.occupied = self._rng.random() < taken
        return self.occupied
