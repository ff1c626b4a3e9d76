"""The open-data benchmark once with a small N, so that it keeps working (figures printed, never asserted on)."""

from __future__ import annotations

import pytest

from bench import open_data

pytestmark = pytest.mark.bench


def test_open_data_benchmark_runs() -> None:
    built = open_data.builds(20)
    streamed = open_data.stream(days=2, counters=1)
    print(built.line(), streamed.line(), sep="\n")
    assert built.status_bytes > 0 and built.light_bytes > 0
    assert streamed.rows == 2 * 96 * 2
