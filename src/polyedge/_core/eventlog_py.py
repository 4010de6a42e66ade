"""EventLog: every order event of a run, packed, digested and handed on in batches
(pure-Python twin of eventlog.pyx).

Each event is a fixed-layout row of integers (ROW, or EVENTS as a numpy dtype): sequence,
order id, lane sequence, venue, event, from-state, to-state (-1 when refused), price,
size, fee, reason and simulated time, packed little-endian. Every FLUSH_ROWS rows (and
on flush()) the packed rows feed a running BLAKE2b digest and reach the subscribers as
one array of EVENTS, together with the orders created since the batch before; the log
keeps none of them, so memory stays flat. Same rows -> same digest, however they were
batched.
"""

from __future__ import annotations

import hashlib
import os
import struct
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
import numpy.typing as npt

ROW = struct.Struct("<qqqBBbbqqqHq")
EVENT_FIELDS = (
    "seq",
    "order_id",
    "lane_seq",
    "venue",
    "event",
    "from_state",
    "to_state",
    "price",
    "size",
    "fee",
    "reason",
    "sim_time",
)
EVENTS = np.dtype(
    [(name, ROW.format[0] + code) for name, code in zip(EVENT_FIELDS, ROW.format[1:], strict=True)]
)
Events = npt.NDArray[np.void]  # of EVENTS
Consumer = Callable[[list[Any], Events], None]  # the orders created, then the events
FLUSH_ROWS = 4096
DIGESTS_PENDING = 8  # batches a digest may have waiting for the worker (flat memory)


def row_error(fields: tuple[int, ...]) -> OverflowError:
    """The error for a row with a field too big for its column (the first one named)."""
    for name, code, value in zip(EVENT_FIELDS, ROW.format[1:], fields, strict=True):
        try:
            struct.pack("<" + code, value)
        except struct.error:
            return OverflowError(f"event field {name} = {value} does not fit its column")
    return OverflowError(f"event row {fields} does not fit its columns")


class EventLog:
    __slots__ = ("_checks", "_digest", "_orders", "_rows", "_subscribers", "count", "run_id")

    def __init__(self, run_id: uuid.UUID) -> None:
        self.run_id = run_id
        self.count = 0
        self._rows = bytearray()
        self._orders: list[Any] = []
        self._digest = RunDigest(run_id.bytes)
        self._subscribers: list[Consumer] = []
        self._checks: dict[int, Callable[[], None]] = {}

    def subscribe(self, consumer: Consumer) -> None:
        """Have `consumer` receive, batch by batch, the orders created and the event rows."""
        self._subscribers.append(consumer)

    def at_count(self, count: int, check: Callable[[], None]) -> None:
        """Run `check` right after event `count` is logged (and flushed)."""
        self._checks[count] = check

    def order(self, order: Any) -> None:
        """Note a new order; it reaches subscribers (if any) with the next batch of events."""
        if self._subscribers:
            self._orders.append(order)

    def append(
        self,
        order_id: int,
        lane_seq: int,
        venue: int,
        event: int,
        from_state: int,
        to_state: int,
        price: int,
        size: int,
        fee: int,
        reason: int,
        time: int,
    ) -> int:
        """Record one event; returns its sequence number (from 1). OverflowError, and
        nothing recorded, when a field does not fit its column."""
        fields = (
            self.count + 1,
            order_id,
            lane_seq,
            venue,
            event,
            from_state,
            to_state,
            price,
            size,
            fee,
            reason,
            time,
        )
        try:
            self._rows += ROW.pack(*fields)
        except struct.error:
            raise row_error(fields) from None
        self.count += 1
        if len(self._rows) >= FLUSH_ROWS * ROW.size:
            self.flush()
        if self._checks and self.count in self._checks:
            self.flush()
            self._checks.pop(self.count)()
        return self.count

    def flush(self) -> None:
        """Digest the rows logged since the last flush and hand them on."""
        rows = bytes(self._rows)
        self._rows.clear()
        orders, self._orders = self._orders, []
        handed(self._digest, self._subscribers, orders, rows)

    def digest(self) -> str:
        """The hex digest of every event so far."""
        self.flush()
        return self._digest.hexdigest()


class RunDigest:
    """BLAKE2b-256 of `prefix` and then of every update, hashed on a worker thread.

    hashlib lets go of the GIL while it hashes more than 2 KiB, so the worker hashes a
    batch of rows on the other core while the run goes on (measured: hashing was 5% of a
    run's instructions). One worker serves every digest, so each digest's updates are
    hashed in the order they were given; hexdigest() waits for them.
    """

    __slots__ = ("_hash", "_pending")

    def __init__(self, prefix: bytes) -> None:
        self._hash = hashlib.blake2b(prefix, digest_size=32)
        self._pending: deque[Future[None]] = deque()

    def update(self, data: bytes) -> None:
        self._pending.append(_worker.submit(self._hash.update, data))
        while len(self._pending) > DIGESTS_PENDING:  # the worker is behind: wait for it
            self._pending.popleft().result()

    def hexdigest(self) -> str:
        while self._pending:
            self._pending.popleft().result()
        return self._hash.hexdigest()


def _new_worker() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(1, thread_name_prefix="polyedge-digest")  # started when used


_worker = _new_worker()


def _worker_after_fork() -> None:
    """A forked child has none of its parent's threads: it gets a worker of its own."""
    global _worker
    _worker = _new_worker()


if hasattr(os, "register_at_fork"):  # not on Windows
    os.register_at_fork(after_in_child=_worker_after_fork)


def handed(digest: Any, subscribers: list[Consumer], orders: list[Any], rows: bytes) -> None:
    """Feed packed `rows` to `digest` and, with `orders`, to each subscriber."""
    if rows:
        digest.update(rows)
    if rows or orders:
        events = np.frombuffer(rows, EVENTS)
        for consumer in subscribers:
            consumer(orders, events)
