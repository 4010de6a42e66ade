"""BatchWriter: events to the store without holding up the engine.

The event log hands batches of rows to consume(), which only appends them to a bounded
buffer. A background task writes the buffer out every `batch_rows` events or
`flush_interval_s` seconds, with up to IN_FLIGHT batches being written at once: the next
is sent while the one before commits (the store commits them in order). The engine waits
(room()) only while the buffer, which counts the batches being written, is full.
A failed write is retried with exponential backoff and jitter; a batch is never dropped:
past its retry budget it stays buffered, the store is reported degraded, and retries go
on. Writes are idempotent, so a batch the store half-saw is simply written again.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from collections import deque

import numpy as np

from polyedge.events import Events
from polyedge.state import order_row
from polyedge.store.base import IN_FLIGHT, Batch, Store, WriterStats
from polyedge.types import Order

_FIRST_RETRY_S = 0.05
_LAST_RETRY_S = 2.0
_ERRORS_KEPT = 5


class BatchWriter:
    def __init__(
        self,
        store: Store,
        run_id: uuid.UUID,
        *,
        skip_through: int = 0,
        max_buffered: int = 262_144,
        batch_rows: int = Store.write_rows,
        flush_interval_s: float = 0.25,
        retry_budget: int = 6,
    ) -> None:
        self._store = store
        self._run_id = run_id
        self._skip_through = skip_through  # events 1..skip_through are stored already
        self._max_buffered = max_buffered
        self._batch_rows = batch_rows
        self._flush_interval_s = flush_interval_s
        self._retry_budget = retry_budget
        self._pending: deque[Batch] = deque()  # not yet being written
        self._queued = 0  # events in _pending
        self._buffered = 0  # events in _pending or being written
        self._has_work = asyncio.Event()
        self._has_room = asyncio.Event()
        self._has_room.set()
        self._closing = False
        self._sealed = False
        self._jitter = random.Random()  # retry timing only; never in the simulated path
        self.stats = WriterStats()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="polyedge-batch-writer")

    def consume(self, orders: list[Order], events: Events) -> None:
        """Take a batch from the event log (called synchronously; never blocks)."""
        if self._sealed:
            return
        if len(events) and events["seq"][0] <= self._skip_through:
            fresh = events[events["seq"] > self._skip_through]
            self.stats.skipped += len(events) - len(fresh)
            if not len(fresh):
                return  # a replayed prefix: orders and events are stored already
            events = fresh
        self._pending.append(Batch([order_row(order) for order in orders], events))
        self._queued += len(events)
        self._buffered += len(events)
        if self._queued >= self._batch_rows:
            self._has_work.set()
        if self._buffered >= self._max_buffered:
            self._has_room.clear()

    def seal(self) -> None:
        """Take nothing more from the log; what was taken is still written."""
        self._sealed = True

    async def room(self) -> None:
        """Wait while the buffer is full: the one place persistence can hold up the engine."""
        await self._has_room.wait()

    async def close(self, timeout_s: float) -> None:
        """Write what is buffered, retrying for at most `timeout_s`; then stop."""
        self._closing = True
        self._has_work.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout_s)
            except TimeoutError:
                await self.abort()
        self.stats.unwritten = self._buffered

    async def abort(self) -> None:
        """Stop at once: writes under way are cancelled (each rolls back whole), and what
        is buffered stays unwritten."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        writes: deque[asyncio.Task[None]] = deque()  # oldest first; each commits after the last
        try:
            while True:
                if self._queued < self._batch_rows and not self._closing:
                    # Not a full batch yet: wait for one, or for the flush interval.
                    self._has_work.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._has_work.wait(), self._flush_interval_s)
                while writes and writes[0].done():
                    writes.popleft()
                if self._pending:
                    if len(writes) == IN_FLIGHT:
                        await writes[0]  # committed: room for the next
                        writes.popleft()
                    after = writes[-1] if writes else None
                    writes.append(asyncio.create_task(self._write(self._take(), after)))
                elif self._closing:
                    await asyncio.gather(*writes)
                    return
        finally:
            for write in writes:  # cancelled (close() timed out): stop the writes too
                write.cancel()
            await asyncio.gather(*writes, return_exceptions=True)

    def _take(self) -> Batch:
        """The oldest buffered batches merged, up to batch_rows events (at least one batch)."""
        taken = [self._pending.popleft()]
        events = len(taken[0].events)
        while self._pending and events + len(self._pending[0].events) <= self._batch_rows:
            taken.append(self._pending.popleft())
            events += len(taken[-1].events)
        self._queued -= events
        return Batch(
            [row for batch in taken for row in batch.orders],
            np.concatenate([batch.events for batch in taken]),
        )

    async def _write(self, batch: Batch, after: asyncio.Task[None] | None) -> None:
        failures = 0
        while True:
            try:
                # After a failure the store may hold part of the batch: merge it then.
                await self._store.write(self._run_id, batch, merge=failures > 0, after=after)
            except Exception as exc:  # any failure: the batch stays, and we try again
                failures += 1
                self.stats.retries += 1
                if len(self.stats.errors) < _ERRORS_KEPT:
                    self.stats.errors.append(f"{type(exc).__name__}: {exc}")
                if failures > self._retry_budget:
                    self.stats.degraded = True
                delay = min(_LAST_RETRY_S, _FIRST_RETRY_S * 2 ** (failures - 1))
                await asyncio.sleep(delay * (0.5 + self._jitter.random()))
                continue
            self.stats.batches += 1
            self.stats.events_written += len(batch.events)
            self._buffered -= len(batch.events)
            if self._buffered < self._max_buffered:
                self._has_room.set()
            return
