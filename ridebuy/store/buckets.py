"""Time buckets of the read methods, shared by every backend so that they cut time the same way.

A bucket of ``every_s`` seconds starts at a multiple of ``every_s`` since the epoch (as InfluxQL's
``GROUP BY time()`` without offset does); the buckets of ``[start, end)`` are those that overlap it, so the first
one may start before ``start`` (it then only holds data from ``start`` on).
"""

from __future__ import annotations

NS_PER_S = 1_000_000_000
MAX_BUCKETS = 100_000
"""More buckets than this in one request is a mistake of the caller (e.g. one-second buckets over a year)."""


def bucket_starts(start_ns: int, end_ns: int, every_s: int) -> range:
    """Start times (ns) of the buckets overlapping ``[start_ns, end_ns)``; empty when ``end_ns <= start_ns``.

    ValueError when ``every_s`` is not a positive integer or the range would need more than MAX_BUCKETS buckets.
    """
    if isinstance(every_s, bool) or not isinstance(every_s, int) or every_s <= 0:
        raise ValueError(f"every_s must be a positive whole number of seconds, not {every_s!r}")
    if end_ns <= start_ns:
        return range(0)
    step = every_s * NS_PER_S
    first = start_ns - start_ns % step
    buckets = range(first, end_ns, step)
    if len(buckets) > MAX_BUCKETS:
        raise ValueError(f"{len(buckets)} buckets of {every_s} s requested, more than {MAX_BUCKETS}")
    return buckets
