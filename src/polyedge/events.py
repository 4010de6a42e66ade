"""The event log: every order event, in order, with a deterministic UUID and a digest.

Each event is a fixed-layout row of integers: sequence, order id, lane sequence, venue,
event, from-state, to-state (-1 when refused), price, size, fee, reason and simulated
time. Rows are packed little-endian and fed to a running BLAKE2b digest in batches, and
handed to subscribers (the store) batch by batch; the log keeps none of them, so memory
stays flat. Same config and seed -> same rows -> same digest and same UUIDs.
"""

from __future__ import annotations

import hashlib
import struct
import uuid
from collections.abc import Callable

ROW = struct.Struct("<qqqBBbbqqqHq")
Row = tuple[int, int, int, int, int, int, int, int, int, int, int, int]
FLUSH_ROWS = 4096


def event_uuid(run_id: uuid.UUID, sequence: int) -> uuid.UUID:
    """The UUID of event `sequence` of run `run_id`: a hash of both, as an RFC 9562 v8."""
    digest = bytearray(
        hashlib.blake2b(run_id.bytes + sequence.to_bytes(8, "big"), digest_size=16).digest()
    )
    digest[6] = (digest[6] & 0x0F) | 0x80  # version 8
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 9562 variant
    return uuid.UUID(bytes=bytes(digest))


def run_uuid(identity: bytes) -> uuid.UUID:
    """A run's id: derived from what defines it (its config and seed), never random."""
    return event_uuid(uuid.UUID(int=0), int.from_bytes(hashlib.blake2b(identity).digest()[:8]))


class EventLog:
    __slots__ = ("_digest", "_rows", "_subscribers", "count", "run_id")

    def __init__(self, run_id: uuid.UUID) -> None:
        self.run_id = run_id
        self.count = 0
        self._rows: list[Row] = []
        self._digest = hashlib.blake2b(run_id.bytes, digest_size=32)
        self._subscribers: list[Callable[[list[Row]], None]] = []

    def subscribe(self, consumer: Callable[[list[Row]], None]) -> None:
        """Have `consumer` receive every batch of rows as it is flushed."""
        self._subscribers.append(consumer)

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
        return self.count

    def flush(self) -> None:
        rows, self._rows = self._rows, []
        if not rows:
            return
        self._digest.update(b"".join([ROW.pack(*row) for row in rows]))
        for consumer in self._subscribers:
            consumer(rows)

    def digest(self) -> str:
        """The hex digest of every event so far."""
        self.flush()
        return self._digest.hexdigest()
