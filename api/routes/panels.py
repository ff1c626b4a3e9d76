"""Display panels: the kiosk page ``/panel/{id}``, and JSON and fixed-width text for LED sign controllers."""

from __future__ import annotations

import hashlib
import html
import json
from importlib import resources
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import HTMLResponse

from ridebuy.api.caching import Rendered, conditional_response, render
from ridebuy.api.deps import ContextDep
from ridebuy.api.errors import NotFound
from ridebuy.api.panel_service import PanelService
from ridebuy.api.panel_text import render_panel_text
from ridebuy.api.panels import PanelOut
from ridebuy.api.schemas import ErrorOut, ValidationErrorOut
from ridebuy.devices.panels import Panel

router = APIRouter(prefix="/v1", tags=["panels"])
page_router = APIRouter(include_in_schema=False)

_CONFIG_MARK = "<!--ridebuy-panel-config-->"

PanelId = Annotated[str, Path(description="panel id from the registry", examples=["entree-nord"])]


def get_panels(request: Request) -> PanelService:
    service: PanelService = request.app.state.panels
    return service


PanelsDep = Annotated[PanelService, Depends(get_panels)]


def _panel(panels: PanelService, panel_id: str) -> Panel:
    panel = panels.panel(panel_id)
    if panel is None:
        raise NotFound("panel", panel_id)
    return panel


_ERRORS: dict[int | str, dict[str, object]] = {
    304: {"description": "not modified since the ETag (If-None-Match) sent"},
    404: {"model": ErrorOut, "description": "no panel with this id"},
    422: {"model": ValidationErrorOut, "description": "a parameter is wrong; the answer names it"},
}


# The text route comes first: ``{panel_id}`` of the JSON route would also match ``entree-nord.txt``.
@router.get(
    "/panels/{panel_id}.txt",
    response_class=Response,
    responses={**_ERRORS, 200: {"content": {"text/plain": {}}, "description": "one fixed-width line per parking"}},
)
async def panel_text(
    request: Request,
    panels: PanelsDep,
    context: ContextDep,
    panel_id: PanelId,
    width: Annotated[
        int | None, Query(ge=1, le=200, description="characters of the name column (default RIDEBUY_PANEL_TEXT_WIDTH)")
    ] = None,
    ascii_only: Annotated[
        bool, Query(alias="ascii", description="plain ASCII: accents dropped, arrows as <- -> ^ v")
    ] = False,
) -> Response:
    """The panel as text for LED signs: name cut to `width`, free places right-aligned, `FULL` or `--`."""
    body = panels.body(_panel(panels, panel_id))
    text = render_panel_text(body, width or context.settings.panel_text_width, ascii_only)
    content = text.encode("ascii" if ascii_only else "utf-8")
    etag = '"' + hashlib.blake2b(content, digest_size=12).hexdigest() + '"'
    media_type = "text/plain; charset=" + ("us-ascii" if ascii_only else "utf-8")
    return conditional_response(request, Rendered(content, etag), context.live.modified_ns, media_type)


@router.get("/panels/{panel_id}", response_model=PanelOut, responses=_ERRORS)
async def panel_json(request: Request, panels: PanelsDep, context: ContextDep, panel_id: PanelId) -> Response:
    """What a display panel shows: its title and, per parking, the free places (null for '—') and status."""
    body = panels.body(_panel(panels, panel_id))
    return conditional_response(request, render(body), context.live.modified_ns)


@page_router.get("/panel/{panel_id}", response_class=HTMLResponse)
async def panel_page(panels: PanelsDep, context: ContextDep, panel_id: str) -> HTMLResponse:
    """The full-screen kiosk page of one panel."""
    if panels.panel(panel_id) is None:
        return HTMLResponse(
            f"<!doctype html><html lang='en'><meta charset='utf-8'><title>No such panel</title>"
            f"<p>No display panel with id '{html.escape(panel_id)}' in the registry.</p></html>",
            status_code=404,
        )
    page = (resources.files("ridebuy.api") / "static" / "panel.html").read_text(encoding="utf-8")
    settings = context.settings
    config = json.dumps(
        {"panel": panel_id, "timezone": settings.town_timezone, "stale_after_s": settings.panel_stale_after_s}
    ).replace("<", "\\u003c")
    script = f'<script id="ridebuy-panel-config" type="application/json">{config}</script>'
    return HTMLResponse(page.replace(_CONFIG_MARK, script), headers={"Cache-Control": "no-cache"})
