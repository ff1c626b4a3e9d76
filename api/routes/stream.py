"""Server-sent events of availability changes: a snapshot on connect, then one event per changed parking (coalesced
per parking when the stream is fast: api.live_state.Subscriber)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import anyio
from fastapi import APIRouter
from sse_starlette import EventSourceResponse, ServerSentEvent
from sse_starlette.sse import AppStatus

from ridebuy.api.context import ApiContext
from ridebuy.api.deps import ContextDep
from ridebuy.api.live_state import Subscriber
from ridebuy.api.schemas import ParkingList
from ridebuy.api.views import parking_out

router = APIRouter(prefix="/v1", tags=["stream"])

PING_S = 15
RETRY_MS = 3000
SHUTDOWN_GRACE_S = 1.0
"""At shutdown, how long a stream may take to end by itself before it is cancelled (less than uvicorn's graceful
shutdown timeout, 2 s in the demo and 3 s in ``ridebuy api``)."""

_STREAM_DOC = """\
`text/event-stream`. On connect: one `snapshot` event whose data is a parking list (as `GET /v1/parkings`).
Then one `availability` event per parking whose figures change, its data one parking (as `GET /v1/parkings/{id}`).
When figures change faster than a listener reads (at most 50 reads a second), a parking that changed several times
since its last read comes once, with its latest figures.

```
event: availability
data: {"id":"grand-place","name":"Grand-Place",...,"free":8,"status":"ok","last_updated":"2026-05-04T08:15:02Z"}
```
"""


class _Stream:
    """One client's event stream; it ends cleanly (a complete HTTP response) when the server shuts down."""

    def __init__(self, context: ApiContext) -> None:
        self.context = context
        self.closing = anyio.Event()
        """Set by sse-starlette when the server shuts down."""
        self.subscriber: Subscriber | None = None

    async def events(self) -> AsyncIterator[ServerSentEvent | bytes]:
        live = self.context.live
        self.subscriber = subscriber = live.subscribe()
        try:
            if self.closing.is_set():
                return
            snapshot = live.snapshot()
            moment = self.context.moment()
            parkings = [parking_out(p, snapshot.get(p.id), live.registry, moment) for p in live.registry.parkings]
            yield ServerSentEvent(ParkingList(parkings=parkings).model_dump_json(), event="snapshot", retry=RETRY_MS)
            while (changes := await subscriber.changes()) is not None:
                moment = self.context.moment()
                events = []
                for availability in changes:
                    parking = live.registry.parking_by_id.get(availability.parking_id)
                    if parking is not None:
                        body = parking_out(parking, availability, live.registry, moment)
                        events.append(ServerSentEvent(body.model_dump_json(), event="availability").encode())
                if events:  # the same events, in one write: one send (and one syscall) per read, not per parking
                    yield b"".join(events)
        finally:
            live.unsubscribe(subscriber)

    async def end_on_shutdown(self) -> None:
        """End the stream: the browser's EventSource reconnects to the next server.

        Without it, sse-starlette cancels the response half-way at shutdown (uvicorn then logs "ASGI callable
        returned without completing response"), or uvicorn's graceful timeout does (a CancelledError traceback).
        """
        await self.closing.wait()
        if self.subscriber is not None:
            self.subscriber.end()


@router.get(
    "/stream",
    response_class=EventSourceResponse,
    description=_STREAM_DOC,
    responses={200: {"content": {"text/event-stream": {}}, "description": "an endless event stream"}},
)
async def stream(context: ContextDep) -> EventSourceResponse:
    """Server-sent events of availability changes (live, no polling)."""
    events = _Stream(context)
    return EventSourceResponse(
        events.events(),
        ping=PING_S,
        shutdown_event=events.closing,
        shutdown_grace_period=SHUTDOWN_GRACE_S,
        data_sender_callable=events.end_on_shutdown,
    )


@contextmanager
def streams_ending() -> Iterator[None]:
    """End every open event stream of this process while a server stops inside the block.

    sse-starlette learns of a shutdown from uvicorn's signal handler; a uvicorn run in a thread (the demo) has
    none, so each connected browser held the shutdown until uvicorn's graceful timeout, which then cancelled the
    stream with a CancelledError traceback. Reset afterwards: the flag is process-wide.
    """
    AppStatus.should_exit = True
    try:
        yield
    finally:
        AppStatus.should_exit = False
