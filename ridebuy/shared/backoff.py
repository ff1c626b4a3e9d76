"""Jittered exponential backoff, for reconnecting to the broker and retrying the store."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    initial_s: float = 0.5
    maximum_s: float = 30.0
    factor: float = 2.0
    _next_s: float = field(default=0.0, init=False)

    def __post_init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._next_s = self.initial_s

    def next_delay(self) -> float:
        """The next wait: full jitter between half and all of the current step, which then grows."""
        step = self._next_s
        self._next_s = min(self._next_s * self.factor, self.maximum_s)
        return random.uniform(step / 2, step)
