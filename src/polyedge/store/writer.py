"""BatchWriter: events to the store without holding up the engine.

The event log hands batches of rows to consume(), which only appends them to a bounded
buffer. A background task writes the buffer out every `batch_rows` events or
`flush_interval_s` seconds. The engine waits (room()) only while the buffer is full.
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

from polyedge.events import OrderRow, Row
from polyedge.state import order_row
from polyedge.store.base import Batch, Store, WriterStats
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
        batch_rows: int = 32_768,
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
        self._pending: deque[Batch] = deque()
        self._buffered = 0  # events in _pending
        self._has_work = asyncio.Event()
        self._has_room = asyncio.Event()
        self._has_room.set()
        self._closing = False
        self._jitter = random.Random()  # retry timing only; never in the simulated path
        self.stats = WriterStats()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="polyedge-batch-writer")

    def consume(self, orders: list[Order], events: list[Row]) -> None:
        """Take a batch from the event log (called synchronously; never blocks)."""
        if events and events[-1][0] <= self._skip_through:
            self.stats.skipped += len(events)
            return  # a replayed prefix: orders and events are stored already
        if events and events[0][0] <= self._skip_through:
            fresh = [row for row in events if row[0] > self._skip_through]
            self.stats.skipped += len(events) - len(fresh)
            events = fresh
        self._pending.append(Batch([order_row(order) for order in orders], events))
        self._buffered += len(events)
        if self._buffered >= self._batch_rows:
            self._has_work.set()
        if self._buffered >= self._max_buffered:
            self._has_room.clear()

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
                self._task.cancel()
                await asyncio.gather(self._task, return_exceptions=True)
        self.stats.unwritten = self._buffered

    async def _run(self) -> None:
        while True:
            if self._buffered < self._batch_rows and not self._closing:
                # Not a full batch yet: wait for one, or for the flush interval.
                self._has_work.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._has_work.wait(), self._flush_interval_s)
            if not self._pending:
                if self._closing:
                    return
                continue
            batch, taken = self._take()
            await self._write(batch)
            for _ in range(taken):
                self._buffered -= len(self._pending.popleft().events)
            if self._buffered < self._max_buffered:
                self._has_room.set()

    def _take(self) -> tuple[Batch, int]:
        """The oldest buffered batches merged, up to batch_rows events; and how many."""
        orders: list[OrderRow] = []
        events: list[Row] = []
        taken = 0
        for batch in self._pending:
            if taken and len(events) + len(batch.events) > self._batch_rows:
                break
            orders += batch.orders
            events += batch.events
            taken += 1
        return Batch(orders, events), taken

    async def _write(self, batch: Batch) -> None:
        failures = 0
        while True:
            try:
                # After a failure the store may hold part of the batch: merge it then.
                await self._store.write(self._run_id, batch, merge=failures > 0)
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
            return
