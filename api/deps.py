"""Dependencies of the routers, as ``Annotated`` aliases (one import per router, no globals)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ridebuy.api.context import ApiContext
from ridebuy.api.live_state import LiveState
from ridebuy.api.store_access import StoreAccess


def get_context(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.context
    return context


def get_live(request: Request) -> LiveState:
    return get_context(request).live


def get_store(request: Request) -> StoreAccess:
    return get_context(request).store


def get_now_ns(request: Request) -> int:
    return get_context(request).clock_ns()


ContextDep = Annotated[ApiContext, Depends(get_context)]
LiveDep = Annotated[LiveState, Depends(get_live)]
StoreDep = Annotated[StoreAccess, Depends(get_store)]
NowDep = Annotated[int, Depends(get_now_ns)]
"""The current time in ns since the epoch (the app's clock, replaceable in tests)."""
