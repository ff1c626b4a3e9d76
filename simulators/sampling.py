"""Random draws the traffic models need and Python 3.11's :mod:`random` lacks (Poisson, binomial).

Every draw takes the caller's :class:`random.Random`, so a seed reproduces the whole simulation.
"""

from __future__ import annotations

import math
import random

_KNUTH_LIMIT = 30.0
_EXACT_BINOMIAL_LIMIT = 200


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw; exact (Knuth) for small means, normal approximation above 30 (error well below noise)."""
    if mean <= 0:
        return 0
    if mean > _KNUTH_LIMIT:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit = math.exp(-mean)
    count, product = 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def binomial(rng: random.Random, trials: int, probability: float) -> int:
    """A binomial draw; exact for up to 200 trials, normal approximation (clamped) beyond."""
    if trials <= 0 or probability <= 0:
        return 0
    if probability >= 1:
        return trials
    if trials <= _EXACT_BINOMIAL_LIMIT:
        return sum(1 for _ in range(trials) if rng.random() < probability)
    mean = trials * probability
    draw = round(rng.gauss(mean, math.sqrt(mean * (1 - probability))))
    return min(trials, max(0, draw))
