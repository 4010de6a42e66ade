"""The event log: every order event, in order, with a deterministic UUID and a digest.

Each event is a fixed-layout row of integers: sequence, order id, lane sequence, venue,
event, from-state, to-state (-1 when refused), price, size, fee, reason and simulated
time. Rows are packed little-endian and fed to a running BLAKE2b digest in batches and
handed to subscribers (the store) together with the orders created since the last
batch; the log keeps none of them, so memory stays flat. Same config and seed ->
same rows -> same digest and the same UUIDs.
"""

from __future__ import annotations

import hashlib
import struct
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from polyedge.types import Order

ROW = struct.Struct("<qqqBBbbqqqHq")
Row = tuple[int, int, int, int, int, int, int, int, int, int, int, int]
# order id, lane seq, venue, market id, side, outcome, price, size, time in force,
# expires at (or None), post only, group id
OrderRow = tuple[int, int, int, str, str, str, int, int, str, int | None, bool, int]
Consumer = Callable[[list["Order"], list[Row]], None]
FLUSH_ROWS = 4096

_VERSION_8 = 0x8 << 76  # RFC 9562 version bits, in the UUID's 128-bit integer
_VARIANT = 0b10 << 62  # RFC 9562 variant bits
_HIGH = ((1 << 64) - 1) << 64


def run_uuid(identity: bytes) -> uuid.UUID:
    """A run's id: a hash of what defines it (config and seed), as a version-8 UUID."""
    value = int.from_bytes(hashlib.blake2b(identity, digest_size=16).digest(), "big")
    value = (value & ~(0xF << 76) & ~(0b11 << 62)) | _VERSION_8 | _VARIANT
    return uuid.UUID(int=value)


def event_uuid_int(run_id: uuid.UUID, sequence: int) -> int:
    """Event `sequence` of run `run_id`: the run's upper 64 bits, then the sequence.

    Unique per (run, sequence), ordered by sequence within a run (so database indexes
    grow at their end), and computed with two integer operations.
    """
    return (run_id.int & _HIGH) | _VARIANT | sequence


def event_uuid(run_id: uuid.UUID, sequence: int) -> uuid.UUID:
    return uuid.UUID(int=event_uuid_int(run_id, sequence))


class EventLog:
    __slots__ = ("_checks", "_digest", "_orders", "_rows", "_subscribers", "count", "run_id")

    def __init__(self, run_id: uuid.UUID) -> None:
        self.run_id = run_id
        self.count = 0
        self._rows: list[Row] = []
        self._orders: list[Order] = []
        self._digest = hashlib.blake2b(run_id.bytes, digest_size=32)
        self._subscribers: list[Consumer] = []
        self._checks: dict[int, Callable[[], None]] = {}

    def subscribe(self, consumer: Consumer) -> None:
        """Have `consumer` receive, batch by batch, the orders created and the event rows."""
        self._subscribers.append(consumer)

    def at_count(self, count: int, check: Callable[[], None]) -> None:
        """Run `check` right after event `count` is logged (and flushed)."""
        self._checks[count] = check

    def order(self, order: Order) -> None:
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
        """Record one event; returns its sequence number (from 1)."""
        self.count += 1
        self._rows.append(
            (
                self.count,
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
        )
        if len(self._rows) >= FLUSH_ROWS:
            self.flush()
        if self._checks and self.count in self._checks:
            self.flush()
            self._checks.pop(self.count)()
        return self.count

    def flush(self) -> None:
        rows, self._rows = self._rows, []
        orders, self._orders = self._orders, []
        if rows:
            self._digest.update(b"".join([ROW.pack(*row) for row in rows]))
        if rows or orders:
            for consumer in self._subscribers:
                consumer(orders, rows)

    def digest(self) -> str:
        """The hex digest of every event so far."""
        self.flush()
        return self._digest.hexdigest()
