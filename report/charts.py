"""The report's charts (matplotlib, without a display), each a PNG with its title, axis units and source line."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

WIDTH_IN = 7.0
DPI = 150
BLUE = "#1f6fb2"
GREY = "#b8c2cc"


def _png(figure: Figure, source: str) -> bytes:
    figure.text(0.01, 0.01, source, fontsize=6.5, color="#555555", ha="left", va="bottom")
    figure.tight_layout(rect=(0, 0.04, 1, 1))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    plt.close(figure)
    return buffer.getvalue()


def occupancy_grid(
    grid: Sequence[Sequence[float | None]], weekdays: Sequence[str], title: str, hour_label: str, source: str
) -> bytes:
    figure, axes = plt.subplots(figsize=(WIDTH_IN, 2.5))
    values = [[float("nan") if v is None else v for v in row] for row in grid]
    image = axes.imshow(values, aspect="auto", cmap="YlOrRd", vmin=0, vmax=100)
    axes.set_title(title, fontsize=10)
    axes.set_yticks(range(7), weekdays, fontsize=8)
    axes.set_xticks(range(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)], fontsize=8)
    axes.set_xlabel(hour_label, fontsize=8)
    colorbar = figure.colorbar(image, ax=axes, pad=0.02)
    colorbar.set_label("%", fontsize=8)
    colorbar.ax.tick_params(labelsize=7)
    return _png(figure, source)


def full_shares(names: Sequence[str], shares: Sequence[float], title: str, axis: str, source: str) -> bytes:
    height = max(1.8, 0.16 * len(names) + 0.8)
    figure, axes = plt.subplots(figsize=(WIDTH_IN, height))
    positions = range(len(names))
    axes.barh(positions, shares, color=BLUE)
    axes.set_yticks(positions, names, fontsize=7)
    axes.invert_yaxis()
    axes.set_xlim(0, max(100.0, *shares) if shares else 100.0)
    axes.set_xlabel(axis, fontsize=8)
    axes.set_title(title, fontsize=10)
    axes.tick_params(axis="x", labelsize=7)
    for position, share in zip(positions, shares, strict=True):
        axes.text(share + 1, position, f"{share:.0f} %", va="center", fontsize=7)
    return _png(figure, source)


def per_day(days: Sequence[date], counts: Sequence[int], title: str, axis: str, source: str) -> bytes:
    figure, axes = plt.subplots(figsize=(WIDTH_IN, 2.8))
    colours = [GREY if day.weekday() >= 5 else BLUE for day in days]
    axes.bar(range(len(days)), counts, color=colours)
    axes.set_xticks(range(len(days)), [f"{day.day}" for day in days], fontsize=6.5)
    axes.set_ylabel(axis, fontsize=8)
    axes.set_title(title, fontsize=10)
    axes.tick_params(axis="y", labelsize=7)
    return _png(figure, source)


def per_week(
    mondays: Sequence[date],
    counts: Sequence[int],
    in_month: Sequence[bool],
    labels: tuple[str, str],
    title: str,
    axis: str,
    x_label: str,
    source: str,
) -> bytes:
    figure, axes = plt.subplots(figsize=(WIDTH_IN, 2.8))
    colours = [BLUE if inside else GREY for inside in in_month]
    bars = axes.bar(range(len(mondays)), counts, color=colours)
    axes.set_xticks(range(len(mondays)), [f"{m:%d/%m}" for m in mondays], fontsize=7)
    axes.set_ylabel(axis, fontsize=8)
    axes.set_xlabel(x_label, fontsize=8)
    axes.set_title(title, fontsize=10)
    axes.tick_params(axis="y", labelsize=7)
    axes.bar_label(bars, [f"{c:,}".replace(",", " ") for c in counts], fontsize=6.5)
    handles = [Rectangle((0, 0), 1, 1, color=GREY), Rectangle((0, 0), 1, 1, color=BLUE)]
    axes.legend(handles, labels, fontsize=7, loc="lower right")
    return _png(figure, source)
