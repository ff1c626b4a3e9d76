"""The cyclist app at ``/`` and ``/p/{id}``, its manifest and service worker (all served here: no CDN).

The page is one static HTML file with two marks replaced per request: the head (``/p/{id}`` gets Open Graph tags
so that a shared link previews) and a JSON config (town centre and name, tile server, the parking to open).
"""

from __future__ import annotations

import hashlib
import html
import json
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from api.context import ApiContext
from api.deps import ContextDep
from api.security import PAGE_CSP
from api.views import figures

router = APIRouter(include_in_schema=False)

_CONFIG_MARK = "<!--ridebuy-config-->"
_HEAD_MARK = "<!--ridebuy-head-->"
SHELL = ("index.html", "app.js", "style.css", "sw.js")
"""Files whose content names the service worker's cache: a new release replaces the cached app shell."""
OSM_COPYRIGHT = "https://www.openstreetmap.org/copyright"


def static_dir() -> str:
    return str(resources.files("api") / "static")


def _static_text(name: str) -> str:
    return (resources.files("api") / "static" / name).read_text(encoding="utf-8")


@cache
def shell_version() -> str:
    digest = hashlib.blake2b(digest_size=8)
    for name in SHELL:
        digest.update(_static_text(name).encode())
    return digest.hexdigest()


def page_csp(tile_url: str) -> str:
    """The page policy, with images also from the tile server and https photos (parkings' ``photo_url``)."""
    sources = ["'self'", "data:", "https:"]
    if tile_url:
        parts = urlsplit(tile_url.replace("{", "").replace("}", ""))
        origin = f"{parts.scheme}://{parts.netloc}"
        if parts.scheme != "https":
            sources.append(origin)
    return PAGE_CSP.replace("img-src 'self'", "img-src " + " ".join(sources))


def attribution_html(text: str) -> str:
    """The tile provider's attribution as Leaflet shows it; OpenStreetMap's licence asks for a link to its
    copyright page."""
    escaped = html.escape(text)
    if "openstreetmap" in text.lower():
        return f'<a href="{OSM_COPYRIGHT}">{escaped}</a>'
    return escaped


def _config(context: ApiContext, focus: str | None = None) -> str:
    settings = context.settings
    config: dict[str, Any] = {
        "centre": {"lat": context.centre.lat, "lon": context.centre.lon},
        "town": settings.town_name,
        "tiles": {"url": settings.web_tile_url, "attribution": attribution_html(settings.web_tile_attribution)},
    }
    if focus is not None:
        config["focus"] = focus
    # "<" escaped so that no value can close the script element.
    text = json.dumps(config, ensure_ascii=False).replace("<", "\\u003c")
    return f'<script id="ridebuy-config" type="application/json">{text}</script>'


def _page(context: ApiContext, head: str = "", focus: str | None = None, status_code: int = 200) -> HTMLResponse:
    body = _static_text("index.html").replace(_CONFIG_MARK, _config(context, focus)).replace(_HEAD_MARK, head)
    headers = {"Cache-Control": "no-cache", "Content-Security-Policy": page_csp(context.settings.web_tile_url)}
    return HTMLResponse(body, status_code=status_code, headers=headers)


@router.get("/", response_class=HTMLResponse)
async def page(context: ContextDep) -> HTMLResponse:
    """The page, with the town centre it falls back to when the browser gives no position."""
    return _page(context)


@router.get("/p/{parking_id}", response_class=HTMLResponse)
async def parking_page(request: Request, context: ContextDep, parking_id: str) -> HTMLResponse:
    """One parking's stable address: the app with its card open, and Open Graph tags for link previews."""
    parking = context.live.registry.parking_by_id.get(parking_id)
    if parking is None:
        sentence = html.escape(f"Parking inconnu / Onbekende stalling / Unknown parking: {parking_id}")
        return HTMLResponse(
            f'<!doctype html><html lang="fr"><meta charset="utf-8"><title>404</title>'
            f'<p>{sentence}</p><p><a href="/">Parkings vélo</a></p></html>',
            status_code=404,
        )
    now = figures(parking, context.live.availability(parking_id))
    town = context.settings.town_name
    title = f"{parking.name} – {town}"
    state = "fermé" if now.status == "closed" else f"{now.free} places libres sur {parking.capacity}"
    if now.status == "unknown":
        state = f"{parking.capacity} places"
    extras = [state]
    if parking.covered:
        extras.append("couvert")
    if parking.address:
        extras.append(parking.address)
    description = " · ".join(extras)
    base = str(request.base_url).rstrip("/")
    url = f"{base}/p/{parking.id}"
    tags = {
        "og:type": "website",
        "og:site_name": f"Parkings vélo {town}",
        "og:title": title,
        "og:description": description,
        "og:url": url,
        "og:image": parking.photo_url or f"{base}/static/icons/icon-512.png",
        "og:locale": "fr_BE",
    }
    head = "\n".join(
        [f'<meta property="{k}" content="{html.escape(v)}">' for k, v in tags.items()]
        + [
            f'<meta name="description" content="{html.escape(description)}">',
            f'<link rel="canonical" href="{html.escape(url)}">',
        ]
    )
    return _page(context, head, focus=parking.id)


@router.get("/manifest.webmanifest")
async def manifest(context: ContextDep) -> JSONResponse:
    """The web app manifest: the page installs as an app (home screen, standalone window)."""
    town = context.settings.town_name
    body = {
        "name": f"Parkings vélo {town}",
        "short_name": f"Vélo {town}"[:30],
        "description": "Où se garer à vélo maintenant · Waar nu fietsen parkeren · Where to park a bike now",
        "lang": "fr",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#f3f4f2",
        "theme_color": "#17743a",
        "icons": [
            {"src": "/static/icons/icon-192.png", "sizes": "192x192", "type": "image/png"},
            {"src": "/static/icons/icon-512.png", "sizes": "512x512", "type": "image/png"},
            {"src": "/static/icons/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
            {"src": "/static/favicon.svg", "sizes": "any", "type": "image/svg+xml"},
        ],
    }
    return JSONResponse(body, media_type="application/manifest+json", headers={"Cache-Control": "no-cache"})


@router.get("/sw.js")
async def service_worker() -> Response:
    """The service worker, at the root so that its scope is the whole app."""
    script = _static_text("sw.js").replace("__RIDEBUY_SHELL_VERSION__", shell_version())
    return Response(script, media_type="text/javascript", headers={"Cache-Control": "no-cache"})
