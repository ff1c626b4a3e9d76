"""The demo's history and monthly report: how long until a fresh demo has its past, and its report?

    python -m bench.demo_history [--days 14]

Writes DAYS of simulated Hannut traffic into a fresh SQLite file with :func:`ridebuy.simulators.history.write_history`
(what ``ridebuy demo`` does in the background at start), then makes the French PDF report of the month the history
ends in (what the demo does next). Prints the wall time and CPU time of each step and the message rate.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.machine import machine_lines
from ridebuy.devices.registry import load_registry, sample_registry_path
from ridebuy.report.build import write_report
from ridebuy.report.settings import ReportSettings
from ridebuy.shared.settings import load_settings
from ridebuy.simulators.history import RECENT_DAYS, write_history_recent_first
from ridebuy.store.sqlite import SqliteStore


@dataclass(frozen=True, slots=True)
class HistoryResult:
    days: float
    messages: int
    points: int
    recent_s: float
    """Until the last day was in the store (written first)."""
    history_s: float
    history_cpu_s: float
    report_s: float
    report_cpu_s: float
    pages_bytes: int

    def lines(self) -> list[str]:
        return [
            f"history: the last day in the store after {self.recent_s:.1f} s",
            f"history: {self.days:g} days, {self.messages:,} messages, {self.points:,} points into SQLite in "
            f"{self.history_s:.1f} s wall ({self.history_cpu_s:.1f} s CPU), {self.messages / self.history_s:,.0f} "
            "msg/s",
            f"report: French PDF of the month in {self.report_s:.1f} s wall ({self.report_cpu_s:.1f} s CPU), "
            f"{self.pages_bytes:,} bytes",
        ]


def run(days: float) -> HistoryResult:
    with tempfile.TemporaryDirectory() as workdir:
        db = Path(workdir) / "demo.db"
        store = SqliteStore(db)
        store.ensure_ready()
        end = datetime.now(UTC)
        wall, cpu = time.perf_counter(), time.process_time()
        recent: list[float] = []

        def progress(share: float) -> None:
            if not recent and share * days >= min(days, RECENT_DAYS):
                recent.append(time.perf_counter() - wall)

        stats = write_history_recent_first(
            store, load_registry(sample_registry_path()), days=days, seed=1, end_s=end.timestamp(), progress=progress
        )
        history_s, history_cpu_s = time.perf_counter() - wall, time.process_time() - cpu
        store.close()
        tz = ZoneInfo("Europe/Brussels")
        pdf = Path(workdir) / "report.pdf"
        settings = load_settings(ReportSettings, store_url=f"sqlite:///{db}", language="fr")
        wall, cpu = time.perf_counter(), time.process_time()
        write_report(settings, end.astimezone(tz).date().replace(day=1), pdf, town="Hannut", tz=tz, now=end)
        report_s, report_cpu_s = time.perf_counter() - wall, time.process_time() - cpu
        return HistoryResult(
            days,
            stats.messages,
            stats.points,
            recent[0],
            history_s,
            history_cpu_s,
            report_s,
            report_cpu_s,
            pdf.stat().st_size,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=14.0)
    args = parser.parse_args()
    for line in [*machine_lines(), *run(args.days).lines()]:
        print(line)


if __name__ == "__main__":
    main()
