"""Conditional GET for list endpoints: ETag from the body, Last-Modified from live state, 304 on a match."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from fastapi import Request, Response
from pydantic import BaseModel

from ridebuy.api.timeparams import NS_PER_S


def _etag_matches(header: str, etag: str) -> bool:
    """If-None-Match uses the weak comparison (RFC 9110 13.1.2): W/ prefixes are ignored."""
    if header.strip() == "*":
        return True
    bare = etag.removeprefix("W/")
    return any(candidate.strip().removeprefix("W/") == bare for candidate in header.split(","))


def _not_modified_since(header: str, last_modified_s: int) -> bool:
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return False  # an unreadable date is ignored (RFC 9110 13.1.3)
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return last_modified_s <= since.timestamp()


@dataclass(frozen=True, slots=True)
class Rendered:
    """A response body as JSON bytes, with its ETag."""

    content: bytes
    etag: str


def render(body: BaseModel | bytes) -> Rendered:
    """A model as JSON, or bytes already serialised (XML, JSON-LD), with the ETag of the content."""
    content = body if isinstance(body, bytes) else body.model_dump_json(by_alias=True).encode()
    return Rendered(content, '"' + hashlib.blake2b(content, digest_size=12).hexdigest() + '"')


class RenderCache:
    """Rendered list bodies for one state of the live data: a list is built once per change, not per request.

    ``version`` must change whenever anything a body shows may have changed (api.live.LiveState.version); the
    cache then starts afresh. Bounded, because query parameters (``near=``) are the client's to choose.
    """

    def __init__(self, max_entries: int = 512) -> None:
        self._max_entries = max_entries
        self._version: Hashable = None
        self._entries: dict[Hashable, Rendered] = {}

    def get(self, version: Hashable, key: Hashable, build: Callable[[], BaseModel | bytes]) -> Rendered:
        if version != self._version:
            self._entries.clear()
            self._version = version
        rendered = self._entries.get(key)
        if rendered is None:
            rendered = render(build())
            if len(self._entries) >= self._max_entries:
                self._entries.clear()
            self._entries[key] = rendered
        return rendered


def conditional_json(
    request: Request, body: BaseModel, last_modified_ns: int, media_type: str = "application/json"
) -> Response:
    """The body as JSON with validators; 304 when the client's copy is current."""
    return conditional_response(request, render(body), last_modified_ns, media_type)


def conditional_response(
    request: Request,
    rendered: Rendered,
    last_modified_ns: int,
    media_type: str = "application/json",
    extra_headers: dict[str, str] | None = None,
) -> Response:
    """A rendered body with validators; 304 when the client's copy is current."""
    content, etag = rendered.content, rendered.etag
    headers = {"ETag": etag, "Cache-Control": "no-cache", **(extra_headers or {})}
    last_modified_s = last_modified_ns // NS_PER_S
    if last_modified_ns > 0:
        headers["Last-Modified"] = format_datetime(datetime.fromtimestamp(last_modified_s, UTC), usegmt=True)
    if_none_match = request.headers.get("if-none-match")
    if_modified_since = request.headers.get("if-modified-since")
    # If-None-Match wins when both are sent (RFC 9110 13.2.2).
    if if_none_match is not None:
        if _etag_matches(if_none_match, etag):
            return Response(status_code=304, headers=headers)
    elif if_modified_since and last_modified_ns > 0 and _not_modified_since(if_modified_since, last_modified_s):
        return Response(status_code=304, headers=headers)
    return Response(content, media_type=media_type, headers=headers)
