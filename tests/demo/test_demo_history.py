"""``ridebuy demo`` writes history at start: the docs' history and counts examples answer with data within
seconds, and a monthly report appears. A real demo process, as a user runs it."""

from __future__ import annotations

import re
import signal
from pathlib import Path

import httpx
import pytest

from ridebuy.cli import build_parser
from tests.demo.test_demo_process import LIVE, start_demo
from tests.report.test_render import ink_share, pdf_pages
from tests.support.ports import free_port
from tests.support.processes import Processes

ROOT = Path(__file__).resolve().parents[2]
DAYS = 2
"""Two days keep the test short; the default is 14 (the same code, seven times longer)."""


def doc_examples() -> list[str]:
    """The ``curl`` lines of docs/demo.md's history section."""
    text = (ROOT / "docs" / "demo.md").read_text()
    section = text.split("## History within seconds", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^curl '(http://127\.0\.0\.1:8000/[^']+)'$", section, re.MULTILINE)


def test_history_is_on_by_default_and_can_be_turned_off() -> None:
    parser = build_parser()
    assert parser.parse_args(["demo"]).backfill == 14.0
    assert parser.parse_args(["demo", "--no-backfill"]).backfill == 0.0
    assert parser.parse_args(["demo", "--backfill", "3"]).backfill == 3.0


def test_the_demo_has_history_at_once_and_writes_a_report(processes: Processes, tmp_path: Path) -> None:
    examples = doc_examples()
    assert len(examples) >= 3
    demo, api = start_demo(
        processes, tmp_path, "--mqtt-port", str(free_port()), "--backfill", str(DAYS), "--speed", "60"
    )
    try:
        demo.wait_for_log(LIVE, timeout_s=60)
        # The last day is written first: the examples (the last 24 hours) have their data before the rest is in.
        demo.wait_for_log("history: the last day is in the store", timeout_s=120)
        for example in examples:
            response = httpx.get(example.replace("http://127.0.0.1:8000", api), timeout=10)
            assert response.status_code == 200, f"{example}: {response.text}"
            body = response.json()
            if "buckets" in body:
                known = [b for b in body["buckets"] if b["occupied"] is not None]
                assert len(known) >= 20, f"{example}: only {len(known)} buckets with data"
            else:
                totals = [series["total"] for series in body["series"]]
                assert totals and sum(totals) > 0, f"{example}: no passages"
        demo.wait_for_log(f"history: {DAYS:g} days written", timeout_s=240)
        demo.wait_for_log("the monthly report of the history", timeout_s=240)
        (report,) = (tmp_path / "data").glob("report-*.pdf")
        pages = pdf_pages(processes, report, tmp_path)
        assert len(pages) >= 4 and all(ink_share(page) > 0.02 for page in pages)
        assert demo.signal(signal.SIGINT) == 0
    finally:
        demo.kill()
    assert "Traceback" not in demo.log()


@pytest.mark.parametrize("example", doc_examples())
def test_doc_examples_use_the_demo_address(example: str) -> None:
    assert example.startswith("http://127.0.0.1:8000/v1/")
