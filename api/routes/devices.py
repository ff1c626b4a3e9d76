"""Device health: last seen, heartbeats, offline, battery, radio (from live state, bootstrapped from the store)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ridebuy.api.caching import conditional_json
from ridebuy.api.deps import LiveDep
from ridebuy.api.schemas import DeviceList
from ridebuy.api.views import device_out

router = APIRouter(prefix="/v1", tags=["devices"])


@router.get("/devices", response_model=DeviceList, responses={304: {"description": "not modified"}})
async def list_devices(request: Request, live: LiveDep) -> Response:
    """Health of every device of the registry: last seen, heartbeat allowance, stale and offline, battery (and
    whether it is low), radio."""
    body = DeviceList(devices=[device_out(d, live) for d in live.registry.devices])
    return conditional_json(request, body, live.modified_ns)
