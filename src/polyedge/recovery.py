"""Rebuilding a run's state from its store, to report it or to resume the run."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass

from polyedge.scheduler import wall_clock
from polyedge.store.base import InFlight, RunRecord, Store, StoreError
from polyedge.types import OrderState


@dataclass(frozen=True, slots=True)
class Recovery:
    run: RunRecord
    in_flight: list[InFlight]
    seconds: float

    @property
    def high_water_mark(self) -> int:
        """The last event stored: a resumed run writes from the one after it."""
        return self.run.events

    def states(self) -> dict[str, int]:
        counts = Counter(OrderState(order.state).name for order in self.in_flight)
        return dict(sorted(counts.items()))

    def by_order(self) -> dict[int, tuple[int, int]]:
        """order id -> (state, filled size), to compare with a replay."""
        return {order.order[0]: (order.state, order.filled) for order in self.in_flight}


async def recover(store: Store, run_id: uuid.UUID) -> Recovery:
    """The stored run, its in-flight orders and their states; timed."""
    started = wall_clock()
    run = await store.get_run(run_id)
    if run is None:
        raise StoreError(f"no run {run_id} in {store.description}")
    in_flight = await store.in_flight(run_id)
    return Recovery(run, in_flight, wall_clock() - started)
