"""The fixed-width text of a panel for LED signs: widths, accents, FULL and --, arrows."""

from __future__ import annotations

import unicodedata

import pytest

from ridebuy.api.panel_text import render_panel_text
from ridebuy.api.panels import PanelOut, PanelParkingOut
from ridebuy.devices.availability import ParkingStatus
from ridebuy.devices.panels import Arrow


def row(
    name: str, free: int | None, capacity: int = 24, status: str = "ok", arrow: Arrow | None = None
) -> PanelParkingOut:
    return PanelParkingOut(
        id=name.lower()[:10].replace(" ", "-") or "x",
        name=name,
        free=free,
        capacity=capacity,
        status=ParkingStatus(status),
        last_updated=None,
        arrow=arrow,
    )


def panel(*rows: PanelParkingOut) -> PanelOut:
    return PanelOut(id="p", title="T", languages=["fr"], rotate_s=8, parkings=list(rows))


HANNUT = panel(
    row("Athénée royal", 12, capacity=60),
    row("Église Saint-Christophe", 0, capacity=8),
    row("Gare des bus (TEC)", None, capacity=40, status="stale"),
    row("Hôtel de ville", None, capacity=10, status="unknown"),
    row("Closed one", None, capacity=2, status="closed"),
)


def test_each_line_has_the_same_width_name_cut_and_figure_right_aligned() -> None:
    text = render_panel_text(HANNUT, width=10)
    assert text == ("Athénée ro   12\nÉglise Sai FULL\nGare des b   --\nHôtel de v   --\nClosed one   --\n")
    assert {len(line) for line in text.splitlines()} == {10 + 1 + 4}


@pytest.mark.parametrize("width", [1, 4, 16, 40])
def test_widths(width: int) -> None:
    lines = render_panel_text(HANNUT, width=width).splitlines()
    assert len(lines) == 5
    assert all(len(line) == width + 5 for line in lines)
    assert lines[0][:width] == "Athénée royal"[:width].ljust(width)


def test_accents_count_as_one_column_even_when_decomposed() -> None:
    decomposed = unicodedata.normalize("NFD", "Athénée royal")
    assert len(decomposed) == 15  # two combining accents
    text = render_panel_text(panel(row(decomposed, 3)), width=8)
    assert text == "Athénée     3\n"
    assert unicodedata.is_normalized("NFC", text)


def test_plain_ascii_drops_accents_and_draws_arrows_in_ascii() -> None:
    signs = panel(
        row("Athénée royal", 12, capacity=60, arrow=Arrow.LEFT),
        row("Cœur de Hannut – marché", 0, arrow=Arrow.AHEAD),
        row("Straße", 5),
    )
    text = render_panel_text(signs, width=12, ascii_only=True)
    assert text == ("Athenee roya   12 <-\nCoeur de Han FULL ^ \nStrasse         5   \n")
    assert text.isascii()


def test_unicode_arrows_take_one_column() -> None:
    text = render_panel_text(panel(row("A", 1, arrow=Arrow.AHEAD_RIGHT), row("B", 2)), width=3)
    assert text == "A      1 ↗\nB      2  \n"


def test_a_large_capacity_widens_the_figure_column() -> None:
    text = render_panel_text(panel(row("Big", 12345, capacity=100_000), row("Small", 0)), width=5)
    assert text == "Big    12345\nSmall   FULL\n"


def test_width_must_be_positive() -> None:
    with pytest.raises(ValueError, match="width"):
        render_panel_text(HANNUT, width=0)
