"""BatchFolder: messages from the session's thread reach the event loop in batches and are folded in slices."""

from __future__ import annotations

import asyncio
import threading

from ridebuy.api.live_batches import CHECK_EVERY, BatchFolder


def test_a_burst_costs_one_wake_up_and_is_folded_in_order() -> None:
    folded: list[tuple[str, bytes]] = []

    async def scenario() -> tuple[int, int]:
        folder = BatchFolder(lambda topic, payload, now_ns: folded.append((topic, payload)), asyncio.get_running_loop())
        task = asyncio.create_task(folder.run())
        for n in range(1000):  # the loop does not run meanwhile: one batch
            folder.put("t", str(n).encode())
        while folder.folded < 1000:
            await asyncio.sleep(0.001)
        first = folder.wakeups

        def send() -> None:
            for n in range(1000):
                folder.put("u", str(n).encode())

        sender = threading.Thread(target=send)
        sender.start()
        sender.join()
        while folder.folded < 2000:
            await asyncio.sleep(0.001)
        task.cancel()
        return first, folder.wakeups

    first, total = asyncio.run(scenario())
    assert first == 1
    assert 2 <= total <= 1001  # from a thread: as many batches as the loop found, at most one per message
    assert folded == [("t", str(n).encode()) for n in range(1000)] + [("u", str(n).encode()) for n in range(1000)]


def test_the_event_loop_serves_others_between_slices() -> None:
    async def scenario() -> list[int]:
        folder = BatchFolder(lambda *_: None, asyncio.get_running_loop(), slice_s=0.0)
        seen: list[int] = []

        async def other_work() -> None:
            while folder.folded < 1000:
                seen.append(folder.folded)
                await asyncio.sleep(0)

        for n in range(1000):
            folder.put("t", str(n).encode())
        watcher = asyncio.create_task(other_work())
        task = asyncio.create_task(folder.run())
        await watcher
        task.cancel()
        return seen

    seen = asyncio.run(scenario())
    # With a zero-length slice, the fold yields after every CHECK_EVERY messages: others ran in between.
    assert any(0 < count < 1000 for count in seen)
    assert all(count % CHECK_EVERY == 0 for count in seen)


def test_a_backlog_past_its_bound_is_dropped_and_a_resync_asked_for() -> None:
    """An API far behind a QoS 0 stream must not grow without end: it drops the queue and reads the store again."""
    folded: list[bytes] = []
    resyncs: list[int] = []

    async def scenario() -> BatchFolder:
        folder = BatchFolder(
            lambda topic, payload, now_ns: folded.append(payload),
            asyncio.get_running_loop(),
            max_backlog=100,
            on_overflow=lambda: resyncs.append(len(folded)),
        )
        for n in range(250):  # the loop does not run meanwhile: 100 queued, then full
            folder.put("t", b"%d" % n)
        assert folder.backlog == 100
        task = asyncio.create_task(folder.run())
        while not resyncs:
            await asyncio.sleep(0.001)
        for n in range(250, 260):  # queued again once dropped
            folder.put("t", b"%d" % n)
        while len(folded) < 10:
            await asyncio.sleep(0.001)
        task.cancel()
        return folder

    folder = asyncio.run(scenario())
    assert resyncs == [0] and folder.overflows == 1
    assert folded == [b"%d" % n for n in range(250, 260)]
