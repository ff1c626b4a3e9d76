"""Server-sent events of availability changes: a snapshot on connect, then one event per changed parking."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import APIRouter
from sse_starlette import EventSourceResponse, ServerSentEvent

from ridebuy.api.deps import LiveDep
from ridebuy.api.live_state import LiveState
from ridebuy.api.schemas import ParkingList
from ridebuy.api.views import parking_out

router = APIRouter(prefix="/v1", tags=["stream"])

PING_S = 15
RETRY_MS = 3000

_STREAM_DOC = """\
`text/event-stream`. On connect: one `snapshot` event whose data is a parking list (as `GET /v1/parkings`).
Then one `availability` event per parking whose figures change, its data one parking (as `GET /v1/parkings/{id}`).
A listener that falls far behind is disconnected; its EventSource reconnects and gets a fresh snapshot.

```
event: availability
data: {"id":"grand-place","name":"Grand-Place",...,"free":8,"status":"ok","last_updated":"2026-05-04T08:15:02Z"}
```
"""


async def _events(live: LiveState) -> AsyncIterator[ServerSentEvent]:
    subscriber = live.subscribe()
    try:
        snapshot = live.snapshot()
        parkings = [parking_out(p, snapshot.get(p.id)) for p in live.registry.parkings]
        yield ServerSentEvent(ParkingList(parkings=parkings).model_dump_json(), event="snapshot", retry=RETRY_MS)
        while (availability := await subscriber.queue.get()) is not None:
            parking = live.registry.parking_by_id.get(availability.parking_id)
            if parking is not None:
                yield ServerSentEvent(parking_out(parking, availability).model_dump_json(), event="availability")
    finally:
        live.unsubscribe(subscriber)


@router.get(
    "/stream",
    response_class=EventSourceResponse,
    description=_STREAM_DOC,
    responses={200: {"content": {"text/event-stream": {}}, "description": "an endless event stream"}},
)
async def stream(live: LiveDep) -> EventSourceResponse:
    """Server-sent events of availability changes (live, no polling)."""
    return EventSourceResponse(_events(live), ping=PING_S)
