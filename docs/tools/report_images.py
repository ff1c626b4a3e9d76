"""Render docs/images/report-page-*.png: a French report of May 2026 from three weeks of simulated Hannut traffic
(written into a temporary SQLite file by the demo's history writer), each PDF page turned into a PNG by poppler's
pdftoppm, as the tests do.

    .venv/bin/python -m docs.tools.report_images
"""

from __future__ import annotations

import subprocess
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from ridebuy.devices.registry import load_registry, sample_registry_path
from ridebuy.report.build import write_report
from ridebuy.report.settings import ReportSettings
from ridebuy.shared.settings import load_settings
from ridebuy.simulators.history import write_history
from ridebuy.store.sqlite import SqliteStore

IMAGES = Path(__file__).resolve().parents[1] / "images"
END = datetime(2026, 5, 22, tzinfo=UTC)


def main() -> None:
    with tempfile.TemporaryDirectory() as workdir:
        db = Path(workdir) / "history.db"
        store = SqliteStore(db)
        store.ensure_ready()
        write_history(store, load_registry(sample_registry_path()), days=40, seed=5, end_s=END.timestamp())
        store.close()
        pdf = Path(workdir) / "report.pdf"
        settings = load_settings(ReportSettings, store_url=f"sqlite:///{db}", language="fr")
        write_report(settings, date(2026, 5, 1), pdf, town="Hannut", tz=ZoneInfo("Europe/Brussels"), now=END)
        for old in IMAGES.glob("report-page-*.png"):
            old.unlink()
        subprocess.run(["pdftoppm", "-r", "70", "-png", str(pdf), str(IMAGES / "report-page")], check=True)


if __name__ == "__main__":
    main()
