"""The plain-text form of a panel for LED sign controllers: one fixed-width line per parking.

```
Gare des bus (TE   12 ->
Rue de Landen (c FULL ^
Grand-Place        --
```

Each line is the parking's name cut (or padded) to ``width`` characters, a space, the figure right-aligned in a
column as wide as the largest capacity needs (at least 4, for ``FULL``), then, when any parking of the panel has an
arrow, a space and the arrow. The figure is the free places, ``FULL`` when none is free, ``--`` when the panel shows
no number (unknown, stale, closed: api.panels.shown_free). ``ascii_only`` transliterates names for signs whose font
has no accents (``Athénée`` -> ``Athenee``) and draws arrows with ASCII characters. Widths count characters of the
NFC form, so a precomposed ``é`` is one column.
"""

from __future__ import annotations

import unicodedata

from anyascii import anyascii

from ridebuy.api.panels import PanelOut
from ridebuy.devices.panels import ARROW_ASCII, ARROW_GLYPHS

FULL = "FULL"
NO_FIGURE = "--"


def _fit(text: str, width: int, ascii_only: bool) -> str:
    text = unicodedata.normalize("NFC", " ".join(text.split()))
    if ascii_only:
        text = anyascii(text)
    return text[:width].ljust(width)


def render_panel_text(panel: PanelOut, width: int, ascii_only: bool = False) -> str:
    """One line per parking, each ending with a newline (see the module's docstring)."""
    if width < 1:
        raise ValueError(f"width must be at least 1, not {width}")
    figure_width = max([len(FULL), *(len(str(p.capacity)) for p in panel.parkings)])
    arrows = ARROW_ASCII if ascii_only else ARROW_GLYPHS
    arrow_width = max((len(arrows[p.arrow]) for p in panel.parkings if p.arrow is not None), default=0)
    lines = []
    for parking in panel.parkings:
        if parking.free is None:
            figure = NO_FIGURE
        elif parking.free == 0:
            figure = FULL
        else:
            figure = str(parking.free)
        line = f"{_fit(parking.name, width, ascii_only)} {figure:>{figure_width}}"
        if arrow_width:
            arrow = arrows[parking.arrow] if parking.arrow is not None else ""
            line += f" {arrow:<{arrow_width}}"
        lines.append(line)
    return "".join(line + "\n" for line in lines)
