"""What every store offers, and the logic the stores share.

A store keeps runs, their orders and their events, written in batches that are
idempotent (keyed by the deterministic event UUIDs): writing a batch twice, or a batch
that overlaps an earlier one, changes nothing. Events of a run are stored as an unbroken
prefix 1..N, so N is the run's high-water mark.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Literal, Self

import numpy as np

from polyedge._core import TERMINAL_STATES
from polyedge.errors import PolyedgeError
from polyedge.events import EVENTS, ROW, Events, OrderRow, Row

SCHEMA_VERSION = "1"
RunStatus = Literal["running", "completed", "interrupted"]
_TERMINAL = sorted(int(state) for state in TERMINAL_STATES)
_FILLS = (3, 4)  # OrderEvent.PARTIAL_FILL, OrderEvent.FILL
# Batches the writer has being written at once: one committing while the next is sent,
# so the database works on both.
IN_FLIGHT = 2


class StoreError(PolyedgeError):
    """The store cannot be used (unreachable, refused, wrong schema); the message says why."""


class Batch:
    """Order rows and event rows flushed together by the event log, oldest first.

    The events are kept packed as the log packs them, in one array of EVENTS: as tuples,
    each would be looked at by the garbage collector while it waits to be written (several
    percent of a stored run's time), and the PostgreSQL store wants them as columns.
    """

    __slots__ = ("events", "orders")

    def __init__(self, orders: list[OrderRow], events: list[Row] | Events) -> None:
        """`events` as the log hands them (packed here), or packed already."""
        self.orders = orders
        self.events: Events = (
            events
            if isinstance(events, np.ndarray)
            else np.frombuffer(b"".join(itertools.starmap(ROW.pack, events)), EVENTS)
        )

    @property
    def last(self) -> int:
        """The sequence number of the last event, or 0: the high-water mark it sets."""
        return int(self.events["seq"][-1]) if len(self.events) else 0

    def finishing(self) -> Events:
        """The events that bring their order to a terminal state."""
        return self.events[np.isin(self.events["to_state"], _TERMINAL)]

    def groups(self) -> list[int]:
        """The arbitrage groups this batch's orders belong to."""
        return sorted({row[11] for row in self.orders if row[11]})


@dataclass(frozen=True, slots=True)
class RunRecord:
    run_id: uuid.UUID
    config_json: str
    status: RunStatus
    events: int  # high-water mark: events 1..events are stored
    digest: str | None


@dataclass(frozen=True, slots=True)
class InFlight:
    """An order the store holds as still in flight, with its state and filled size."""

    order: OrderRow
    state: int
    filled: int


def fold_in_flight(
    orders: list[OrderRow], events: list[tuple[int, int, int, int]]
) -> list[InFlight]:
    """In-flight orders from their rows and their (order id, event, to-state, size) events
    in sequence order: the last accepted state, and the sum of the fills."""
    state = {row[0]: 0 for row in orders}  # no event yet: PENDING
    filled = dict.fromkeys(state, 0)
    for order_id, event, to_state, size in events:
        if to_state < 0:
            continue  # a refused move changed nothing
        state[order_id] = to_state
        if event in _FILLS:
            filled[order_id] += size
    return [InFlight(row, state[row[0]], filled[row[0]]) for row in orders]


@dataclass(slots=True)
class ConnectionStats:
    opened: int = 0
    closed: int = 0
    failed: int = 0
    in_use: int = 0


class Store(ABC):
    """A place to keep runs. Open it before use and close it after (`async with store:`
    does both)."""

    description: str  # what the report shows: kind and location, never credentials
    connections: ConnectionStats
    # The most events a run writes in one transaction (it writes fewer when they are
    # ready sooner). Fewer loses less of a killed run's tail, and costs throughput.
    write_rows: int = 32_768

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(self, *exception: object) -> None:
        await self.close()

    @abstractmethod
    async def open(self) -> None:
        """Connect and make sure the schema is there (and of this version)."""

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def begin_run(self, run_id: uuid.UUID, config_json: str) -> RunRecord:
        """The stored run `run_id`, created (status running) when it is not there yet."""

    @abstractmethod
    async def write(
        self,
        run_id: uuid.UUID,
        batch: Batch,
        merge: bool = False,
        after: asyncio.Future[None] | None = None,
    ) -> None:
        """Store a batch in one transaction.

        With `merge`, rows already stored are left as they are; without it, the batch must
        be new (the fast path) and a row already stored makes the write fail. With `after`
        (the write of the batch before), the batch may be sent while that one is being
        written, but it commits only once `after` has succeeded (and fails if `after`
        fails): batches written concurrently still keep the stored events a prefix.
        """

    @abstractmethod
    async def end_run(self, run_id: uuid.UUID, status: RunStatus, digest: str | None) -> None: ...

    @abstractmethod
    async def get_run(self, run_id: uuid.UUID) -> RunRecord | None: ...

    @abstractmethod
    async def in_flight(self, run_id: uuid.UUID) -> list[InFlight]:
        """The orders of the run that had not finished by its high-water mark."""


@dataclass(slots=True)
class WriterStats:
    """What the batch writer did, for the report."""

    events_written: int = 0
    batches: int = 0
    retries: int = 0
    degraded: bool = False  # a batch outlived its retry budget at some point
    unwritten: int = 0  # events still buffered when the run ended (store down)
    skipped: int = 0  # events already stored before this run (a resume)
    errors: list[str] = field(default_factory=list)  # the first few, for the report
