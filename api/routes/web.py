"""The cyclist app at ``/`` and ``/p/{id}``, its manifest and service worker (all served here: no CDN).

The page is one static HTML file whose marks are filled per request: the head (``/p/{id}`` gets Open Graph tags
so that a shared link previews), a JSON config (town centre and name, tile server, the parking to open), the
parking list itself (:mod:`ridebuy.api.web_list`) and style.css inline, so that a slow phone paints the list from
the first answer.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import html
import json
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp

from ridebuy.api.context import ApiContext
from ridebuy.api.deps import ContextDep
from ridebuy.api.security import PAGE_CSP
from ridebuy.api.views import figures, parking_out
from ridebuy.api.web_list import language, render_list

router = APIRouter(include_in_schema=False)

_CONFIG_MARK = "<!--ridebuy-config-->"
_HEAD_MARK = "<!--ridebuy-head-->"
_LIST_MARK = "<!--ridebuy-list-->"
_STYLE_LINK = '<link rel="stylesheet" href="/static/style.css">'
_LOADING = '<p id="loading" class="loading"'

SHELL = ("index.html", "app.js", "style.css", "sw.js", "vendor/VERSIONS")
"""Files whose content names the service worker's cache: a new release replaces the cached app shell."""
OSM_COPYRIGHT = "https://www.openstreetmap.org/copyright"


def static_dir() -> str:
    return str(resources.files("ridebuy.api") / "static")


def static_app() -> ASGIApp:
    """The page's files, gzipped for browsers that accept it (Leaflet's 147 kB travel as 43 kB: on slow 3G, two
    seconds)."""
    return GZipMiddleware(StaticFiles(directory=static_dir()), minimum_size=1024)


def _static_text(name: str) -> str:
    return (resources.files("ridebuy.api") / "static" / name).read_text(encoding="utf-8")


@cache
def shell_version() -> str:
    digest = hashlib.blake2b(digest_size=8)
    for name in SHELL:
        digest.update(_static_text(name).encode())
    return digest.hexdigest()


@cache
def inline_style() -> tuple[str, str]:
    """style.css as an inline element and its CSP hash: one request less before the first paint (on slow 3G, two
    seconds less)."""
    css = _static_text("style.css")
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    return f"<style>{css}</style>", f"'sha256-{digest}'"


def page_csp(tile_url: str) -> str:
    """The page policy, with images also from the tile server and https photos (parkings' ``photo_url``), and
    the inline copy of style.css allowed by its hash."""
    sources = ["'self'", "data:", "https:"]
    if tile_url:
        parts = urlsplit(tile_url.replace("{", "").replace("}", ""))
        origin = f"{parts.scheme}://{parts.netloc}"
        if parts.scheme != "https":
            sources.append(origin)
    policy = PAGE_CSP.replace("img-src 'self'", "img-src " + " ".join(sources))
    return policy.replace("style-src 'self'", f"style-src 'self' {inline_style()[1]}")


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


def _first_list(context: ApiContext, lang: str) -> str:
    live, moment = context.live, context.moment()
    snapshot = live.snapshot()
    parkings = [parking_out(p, snapshot.get(p.id), live.registry, moment) for p in live.registry.parkings]
    return render_list(parkings, context.centre, moment.now, lang)


def _page(
    request: Request, context: ApiContext, head: str = "", focus: str | None = None, status_code: int = 200
) -> HTMLResponse:
    lang = language(request.headers.get("accept-language"))
    first = _first_list(context, lang)
    body = (
        _static_text("index.html")
        .replace('<html lang="fr">', f'<html lang="{lang}">')
        .replace(_STYLE_LINK, inline_style()[0])
        .replace(_CONFIG_MARK, _config(context, focus))
        .replace(_HEAD_MARK, head)
        .replace(_LIST_MARK, first)
    )
    if first:
        body = body.replace(_LOADING, _LOADING + " hidden")
    headers = {
        "Cache-Control": "no-cache",
        "Content-Security-Policy": page_csp(context.settings.web_tile_url),
        "Vary": "Accept-Encoding",
    }
    content = body.encode()
    if "gzip" in request.headers.get("accept-encoding", ""):
        content = gzip.compress(content, compresslevel=6)
        headers["Content-Encoding"] = "gzip"
    return HTMLResponse(content, status_code=status_code, headers=headers)


@router.get("/", response_class=HTMLResponse)
async def page(request: Request, context: ContextDep) -> HTMLResponse:
    """The page, with the town centre it falls back to when the browser gives no position."""
    return _page(request, context)


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
    return _page(request, context, head, focus=parking.id)


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
