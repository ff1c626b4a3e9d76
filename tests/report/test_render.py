"""The report as a person gets it: a PDF whose every page has content (rendered to images with poppler's
pdftoppm), with the figures and the assumptions written out, in French, Dutch or English; and the command."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from PIL import Image

from ridebuy.cli import main
from ridebuy.devices.ride_and_buy import DEFAULT_ASSUMPTIONS
from ridebuy.report.figures import MonthFigures, month_figures
from ridebuy.report.period import month_period
from ridebuy.report.render import Context, Words, load_words, render_html, write_pdf
from ridebuy.store.sqlite import SqliteStore
from tests.report.conftest import END, MONTH, Filled
from tests.support.processes import Processes

LANGUAGES = ("fr", "nl", "en")
TZ = ZoneInfo("Europe/Brussels")


@pytest.fixture(scope="module")
def figures(filled: Filled) -> MonthFigures:
    store = SqliteStore(filled.sqlite_path)
    try:
        return month_figures(store, filled.registry, month_period(MONTH, TZ, now=END), DEFAULT_ASSUMPTIONS)
    finally:
        store.close()


def pdf_pages(processes: Processes, pdf: Path, out_dir: Path) -> list[Path]:
    """Every page of the PDF as a PNG (pdftoppm, 40 dpi)."""
    assert shutil.which("pdftoppm"), "Debian's poppler-utils is needed (scripts/test.sh installs it)"
    processes.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(out_dir / "page")], check=True)
    return sorted(out_dir.glob("page-*.png"))


def ink_share(png: Path) -> float:
    """The share of the page that is not white."""
    image = Image.open(png).convert("L")
    histogram = image.histogram()
    return 1 - sum(histogram[245:]) / (image.width * image.height)


def pdf_text(processes: Processes, pdf: Path) -> str:
    return processes.run(["pdftotext", "-layout", str(pdf), "-"], check=True).stdout


def test_every_word_is_in_three_languages_with_the_same_fields() -> None:
    for key, versions in load_words().items():
        assert set(versions) == set(LANGUAGES), key
        shapes = {
            language: sorted(re.findall(r"\{(\w+)\}", text)) if isinstance(text, str) else len(text)
            for language, text in versions.items()
        }
        assert len({str(shape) for shape in shapes.values()}) == 1, f"{key}: {shapes}"


@pytest.mark.parametrize("language", ["fr", "nl"])
def test_every_pdf_page_has_content_and_the_figures(
    language: str, figures: MonthFigures, tmp_path: Path, processes: Processes
) -> None:
    pdf = tmp_path / "report.pdf"
    write_pdf(render_html(figures, Context("Hannut", "SQLite", language), END), pdf)  # type: ignore[arg-type]
    pages = pdf_pages(processes, pdf, tmp_path)
    assert len(pages) >= 4
    for page in pages:
        assert ink_share(page) > 0.02, f"{page.name} is (nearly) blank"
    words = Words(language)  # type: ignore[arg-type]
    text = re.sub(r"\s+", " ", pdf_text(processes, pdf))
    first_page = re.sub(r"\s+", " ", pdf_text(processes, pdf).split("\f")[0])
    # The summary comes first and gives the figures the tests compare with the database.
    for figure in (figures.passages, figures.visits, figures.cycle_trips):
        assert words.number(figure).replace("\u202f", " ") in first_page.replace("\u202f", " ")
    assert words.mass(figures.co2_kg).replace("\u00a0", " ").replace("\u202f", " ") in first_page.replace("\u202f", " ")
    # The assumptions are stated, with their values, and the sources under the charts.
    defaults = words("assumptions_defaults")
    assumptions = words(
        "assumptions_text", trip_km="3,0", car_share="0,50", co2_g_per_km="170", full_pct="85", origin=defaults
    )
    assert assumptions[:60] in text
    assert defaults[:40] in text  # the packaged values are called placeholders
    # (Each chart also carries it, drawn into the image.)
    assert text.count(words("source", town="Hannut", store="SQLite", start="", end="", tz="")[:12]) >= 2
    assert figures.offline[0].device_id in text


def test_html_in_english_embeds_its_charts(figures: MonthFigures) -> None:
    html = render_html(figures, Context("Hannut", "InfluxDB", "en"), END)
    assert html.count('src="data:image/png;base64,') == 4
    assert "Cycling in Hannut: report for May 2026" in html
    assert "In short" in html and "Assumptions of the estimate" in html


def test_the_command_writes_pdf_and_html_from_sqlite(filled: Filled, tmp_path: Path, processes: Processes) -> None:
    registry = tmp_path / "small-town.yaml"
    registry.write_text(yaml.safe_dump(filled.registry.model_dump(mode="json", exclude_none=True)))
    common = ["--month", "2026-05", "--store-url", f"sqlite:///{filled.sqlite_path}", "--registry", str(registry)]
    assert main(["report", *common, "--out", str(tmp_path / "may.pdf")]) == 0
    assert len(pdf_pages(processes, tmp_path / "may.pdf", tmp_path)) >= 4
    assert "Small Town" in pdf_text(processes, tmp_path / "may.pdf")
    assert main(["report", *common, "--language", "nl", "--out", str(tmp_path / "may.html")]) == 0
    assert "verslag van mei 2026" in (tmp_path / "may.html").read_text()


def test_the_command_refuses_what_it_cannot_do(
    filled: Filled, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = ["--store-url", f"sqlite:///{filled.sqlite_path}"]
    with pytest.raises(SystemExit) as exit_info:
        main(["report", "--month", "2026-13", "--out", str(tmp_path / "x.pdf"), *store])
    assert exit_info.value.code == 2
    assert "YYYY-MM" in capsys.readouterr().err
    assert main(["report", "--month", "2026-05", "--out", str(tmp_path / "x.docx"), *store]) == 2
    assert ".pdf or .html" in capsys.readouterr().err
    assert main(["report", "--month", "2999-01", "--out", str(tmp_path / "x.pdf"), *store]) == 2
    assert "has not begun" in capsys.readouterr().err
