"""Admin endpoints behind the admin token: dead letters, unknown devices, adopting and removing devices.

Adopting edits the registry file (:mod:`ridebuy.devices.registry.edit`, shared with ``ridebuy devices adopt``); this
API takes the new registry at once, the ingest and other API replicas notice the edited file within seconds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path as FilePath
from typing import Annotated

import anyio
from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import Response

from ridebuy.api.admin_schemas import AdoptedOut, DeadLetterList, DeadLetterOut, UnknownDeviceList, UnknownDeviceOut
from ridebuy.api.adoption import unknown_devices
from ridebuy.api.auth import AdminDep
from ridebuy.api.deps import ContextDep
from ridebuy.api.schemas import ErrorOut
from ridebuy.api.timeparams import NS_PER_S, parse_duration_s, to_datetime
from ridebuy.devices.registry import Device, Registry
from ridebuy.devices.registry.edit import (
    DeviceExists,
    DeviceMissing,
    InvalidDevice,
    RegistryEditError,
    adopt_device,
    device_entry,
    remove_device,
)
from ridebuy.devices.rejections import RejectReason
from ridebuy.store.base import MAX_REJECTIONS

log = logging.getLogger(__name__)

router = APIRouter(
    prefix="/v1/admin",
    tags=["admin"],
    dependencies=[AdminDep],
    responses={
        401: {"model": ErrorOut, "description": "no admin token sent"},
        403: {"model": ErrorOut, "description": "wrong admin token"},
        503: {"model": ErrorOut, "description": "admin endpoints are off (no RIDEBUY_API_TOKEN) or the store is away"},
    },
)

MAX_WINDOW_S = 90 * 86_400


@router.get("/dead-letters", response_model=DeadLetterList)
async def dead_letters(
    context: ContextDep,
    reason: Annotated[RejectReason | None, Query(description="only this reason")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="at most this many, the newest first")] = 100,
    since: Annotated[str | None, Query(description="only the last ..., e.g. 1h, 7d (default: any time)")] = None,
) -> DeadLetterList:
    """Recent refused messages (dead letters) with their reason, detail and the start of their payload."""
    since_ns = _since_ns(context.clock_ns(), since) if since else None
    rejections = await context.store.recent_rejections(limit, reason.value if reason else None, since_ns)
    return DeadLetterList(
        dead_letters=[
            DeadLetterOut(
                time=to_datetime(r.time_ns),
                reason=r.reason,
                detail=r.detail,
                device=r.device,
                topic=r.topic,
                preview=r.preview,
            )
            for r in rejections
        ]
    )


@router.get("/unknown-devices", response_model=UnknownDeviceList)
async def list_unknown_devices(
    context: ContextDep,
    since: Annotated[str, Query(description="look at the last ..., e.g. 24h, 7d (at most 90d)")] = "7d",
    scan: Annotated[
        int, Query(ge=1, le=MAX_REJECTIONS, description="read at most this many unknown_device dead letters")
    ] = 5000,
) -> UnknownDeviceList:
    """Devices that publish but are missing from the registry (from their `unknown_device` dead letters): how
    often, first and last seen, topic, format and ids, with the start of a registry entry to adopt them."""
    since_ns = _since_ns(context.clock_ns(), since)
    rejections = await context.store.recent_rejections(scan, RejectReason.UNKNOWN_DEVICE.value, since_ns)
    found = unknown_devices(rejections, context.live.registry)
    return UnknownDeviceList(
        since=to_datetime(since_ns),
        scanned=len(rejections),
        unknown_devices=[
            UnknownDeviceOut(
                suggested_id=d.suggested_id,
                format=d.format,
                count=d.count,
                first_seen=to_datetime(d.first_seen_ns),
                last_seen=to_datetime(d.last_seen_ns),
                topic=d.topic,
                detail=d.detail,
                dev_eui=d.dev_eui,
                device_id=d.device_id,
                application_id=d.application_id,
                adopt=d.entry(),
            )
            for d in found
        ],
    )


@router.post(
    "/devices",
    status_code=201,
    response_model=AdoptedOut,
    responses={
        409: {"model": ErrorOut, "description": "a device with this id is already in the registry"},
        422: {"model": ErrorOut, "description": "the entry, or the registry with it, would not be valid"},
    },
)
async def adopt(context: ContextDep, device: Device) -> AdoptedOut:
    """Add a device to the registry file (a registry `devices` entry; e.g. one listed by unknown-devices).

    Checked like the registry at start-up: its parking or counter must exist, the capacity must hold its spaces,
    its DevEUI must be unique and its codec known. Its next messages are accepted without a restart."""
    registry = await _edit(context.settings.registry, lambda path: adopt_device(path, device))
    changed = context.live.replace_registry(registry, context.clock_ns())
    log.info("adopted device '%s' through the admin API (%d parkings re-judged)", device.id, len(changed))
    return AdoptedOut(device=device_entry(device), devices=len(registry.devices))


@router.delete(
    "/devices/{device_id}",
    status_code=204,
    response_class=Response,
    responses={404: {"model": ErrorOut, "description": "no device with this id"}},
)
async def remove(
    context: ContextDep, device_id: Annotated[str, Path(description="registry id of the device")]
) -> Response:
    """Take a device out of the registry file; its next messages are dead-lettered as unknown_device."""
    registry = await _edit(context.settings.registry, lambda path: remove_device(path, device_id))
    context.live.replace_registry(registry, context.clock_ns())
    log.info("removed device '%s' through the admin API", device_id)
    return Response(status_code=204)


async def _edit(path: FilePath, edit: Callable[[FilePath], Registry]) -> Registry:
    """Run a registry edit off the event loop (file lock, fsync); its errors as HTTP answers."""
    try:
        return await anyio.to_thread.run_sync(edit, FilePath(path))
    except DeviceExists as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None
    except DeviceMissing as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    except InvalidDevice as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    except RegistryEditError as exc:
        log.error("registry edit failed: %s", exc)
        raise HTTPException(status_code=503, detail=f"the registry cannot be edited right now: {exc}") from None


def _since_ns(now_ns: int, since: str) -> int:
    return now_ns - parse_duration_s(since, "since", minimum_s=60, maximum_s=MAX_WINDOW_S) * NS_PER_S
