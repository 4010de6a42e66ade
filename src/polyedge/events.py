"""Events: the run's log (the core's EventLog), and the ids of runs and events.

Every event is logged in order as a fixed-layout row (ROW, or EVENTS as a numpy dtype;
see the core's eventlog) that feeds the run's digest and reaches subscribers (the store)
in batches; its UUID comes from the run's id and its sequence number. Same config and
seed -> same rows -> same digest and the same UUIDs.
"""

from __future__ import annotations

import hashlib
import uuid

import numpy as np
import numpy.typing as npt

from polyedge._core import EventLog
from polyedge._core.eventlog_py import EVENTS, ROW, Consumer, Events

# An event row as a tuple of ROW's fields (how tests and benchmarks write rows by hand).
Row = tuple[int, int, int, int, int, int, int, int, int, int, int, int]
# order id, lane seq, venue, market id, side, outcome, price, size, time in force,
# expires at (or None), post only, group id
OrderRow = tuple[int, int, int, str, str, str, int, int, str, int | None, bool, int]

__all__ = [
    "EVENTS",
    "ROW",
    "UUID_BYTES",
    "Consumer",
    "EventLog",
    "Events",
    "OrderRow",
    "Row",
    "event_ids",
    "event_uuid",
    "event_uuid_int",
    "run_uuid",
]

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


# An event UUID's 16 bytes as stored: big-endian, high half first.
UUID_BYTES = np.dtype([("high", ">u8"), ("low", ">u8")])


def event_ids(run_id: uuid.UUID, sequences: npt.NDArray[np.int64]) -> npt.NDArray[np.void]:
    """event_uuid_int of each of `sequences`, as an array of UUID_BYTES."""
    prefix = event_uuid_int(run_id, 0)
    ids = np.empty(len(sequences), UUID_BYTES)
    ids["high"] = prefix >> 64
    ids["low"] = sequences.astype(np.uint64) | np.uint64(prefix & ((1 << 64) - 1))
    return ids


def event_uuid(run_id: uuid.UUID, sequence: int) -> uuid.UUID:
    return uuid.UUID(int=event_uuid_int(run_id, sequence))
