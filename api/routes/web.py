"""The cyclist web page at ``/`` and its assets (all served here: no CDN, works offline)."""

from __future__ import annotations

import json
from importlib import resources

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from ridebuy.api.deps import ContextDep

router = APIRouter(include_in_schema=False)

_CONFIG_MARK = "<!--ridebuy-config-->"


def static_dir() -> str:
    return str(resources.files("ridebuy.api") / "static")


@router.get("/", response_class=HTMLResponse)
async def page(context: ContextDep) -> HTMLResponse:
    """The page, with the town centre it falls back to when the browser gives no position."""
    html = (resources.files("ridebuy.api") / "static" / "index.html").read_text(encoding="utf-8")
    config = json.dumps({"centre": {"lat": context.centre.lat, "lon": context.centre.lon}})
    script = f'<script id="ridebuy-config" type="application/json">{config}</script>'
    return HTMLResponse(html.replace(_CONFIG_MARK, script), headers={"Cache-Control": "no-cache"})
