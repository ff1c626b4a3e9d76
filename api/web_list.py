"""The parking list written into the page itself, so that a slow phone shows it with the first answer.

On a slow 3G line every request costs about two seconds: a list that waits for the scripts and then for
``/v1/parkings`` shows after six. This one is in the HTML, in the page's default order ("where can I park now",
distances from the town centre) and in the browser's language; app.js replaces it with the live list as soon as it
runs. Same classes as app.js's cards, so it looks the same.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from ridebuy.api.geo import Position, distance_m
from ridebuy.api.schemas import ParkingOut

LANGUAGES = ("fr", "nl", "en")


@dataclass(frozen=True, slots=True)
class Words:
    free: Callable[[int], str]
    free_short: Callable[[int], str]
    full: str
    unknown: str
    unknown_long: str
    closed: str
    closed_long: str
    closed_now: str
    places: Callable[[int], str]
    covered: str


WORDS = {
    "fr": Words(
        free=lambda n: "place libre" if n == 1 else "places libres",
        free_short=lambda n: "libre" if n == 1 else "libres",
        full="complet",
        unknown="inconnu",
        unknown_long="Places libres inconnues : capteurs muets",
        closed="fermé",
        closed_long="Parking fermé",
        closed_now="Fermé à cette heure",
        places=lambda n: f"{n} places",
        covered="couvert",
    ),
    "nl": Words(
        free=lambda n: "vrije plaats" if n == 1 else "vrije plaatsen",
        free_short=lambda n: "vrij",
        full="vol",
        unknown="onbekend",
        unknown_long="Vrije plaatsen onbekend: sensoren stil",
        closed="gesloten",
        closed_long="Stalling gesloten",
        closed_now="Nu gesloten",
        places=lambda n: f"{n} plaatsen",
        covered="overdekt",
    ),
    "en": Words(
        free=lambda n: "free place" if n == 1 else "free places",
        free_short=lambda n: "free",
        full="full",
        unknown="unknown",
        unknown_long="Free places unknown: sensors silent",
        closed="closed",
        closed_long="Parking closed",
        closed_now="Closed at this hour",
        places=lambda n: f"{n} places",
        covered="covered",
    ),
}


def language(accept_language: str | None) -> str:
    """The first of fr, nl, en the browser asks for (Accept-Language, in its order of preference), else fr."""
    ranked: list[tuple[float, int, str]] = []
    for index, item in enumerate((accept_language or "").split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, index, tag.strip().lower().split("-")[0]))
    for _, _, primary in sorted(ranked):
        if primary in LANGUAGES:
            return primary
    return "fr"


def level(parking: ParkingOut) -> str:
    if parking.status == "closed" or parking.open_now is False:
        return "closed"
    if parking.status == "unknown":
        return "unknown"
    if parking.free >= 3:
        return "good"
    return "low" if parking.free >= 1 else "full"


def is_old(parking: ParkingOut, now: datetime) -> bool:
    if parking.last_updated is None or parking.stale_after_s is None:
        return False
    return (now - parking.last_updated).total_seconds() > parking.stale_after_s


def rank(parking: ParkingOut, now: datetime) -> int:
    """As app.js: fresh free places, then old free places, then full, unknown, closed."""
    lv = level(parking)
    if lv in ("good", "low"):
        return 1 if is_old(parking, now) else 0
    return {"full": 2, "unknown": 3, "closed": 4}[lv]


def _distance_text(metres: float, lang: str) -> str:
    if metres < 1000:
        return f"{round(metres / 10) * 10:.0f} m"
    text = f"{metres / 1000:.1f} km"
    return text if lang == "en" else text.replace(".", ",")


def render_list(parkings: Sequence[ParkingOut], origin: Position, now: datetime, lang: str) -> str:
    words = WORDS[lang]
    ordered = sorted(
        ((rank(p, now), distance_m(origin, Position(p.lat, p.lon)), p.name, p) for p in parkings),
        key=lambda item: item[:3],
    )
    items = []
    for position, (_, metres, _, p) in enumerate(ordered):
        lv = level(p)
        if lv == "closed":
            count, word = "×", words.closed
            note = words.closed_long if p.status == "closed" else words.closed_now
        elif lv == "unknown":
            count, word, note = "?", words.unknown, words.unknown_long
        else:
            count = str(p.free)
            word = words.full if lv == "full" else words.free_short(p.free)
            note = words.full if lv == "full" else f"{p.free} {words.free(p.free)}"
        meta = [_distance_text(metres, lang), words.places(p.capacity)] + ([words.covered] if p.covered else [])
        fresh = "old" if is_old(p, now) else "fresh"
        # Element Timing marks the first card: bench/page_load.py reads when it was painted.
        timing = ' elementtiming="first-parking"' if position == 0 else ""
        items.append(
            f'<li class="parking" data-id="{html.escape(p.id)}" data-level="{lv}" data-fresh="{fresh}">'
            f'<div class="card-head"><span class="badge" aria-hidden="true"><span class="count">{count}</span>'
            f'<span class="word">{html.escape(word)}</span></span><span class="info">'
            f'<span class="name"{timing}>{html.escape(p.name)}</span>'
            f'<span class="meta">{html.escape(" · ".join(meta))}</span>'
            f'<span class="note">{html.escape(note)}</span></span></div></li>'
        )
    return "".join(items)
