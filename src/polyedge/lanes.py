"""Execution lanes: one per venue, a bounded core RingQueue between router and venue.

The router pushes orders into a lane; the lane's executor takes them out and sends them
to the venue simulator. In virtual time the engine drains lanes between batches; in
real time each executor is an asyncio task woken when orders arrive.
"""

from __future__ import annotations

import asyncio
from typing import Literal

from polyedge._core import RingQueue, Sequence
from polyedge.config import FaultConfig
from polyedge.scheduler import Scheduler
from polyedge.state import OrderTracker
from polyedge.types import Order, OrderEvent, OrderState, Venue
from polyedge.venues.simulator import VenueSimulator

# Members read on every order, bound once: on Python 3.11 reading a member off its
# Enum class costs ten times a global (EnumType.__getattr__ slows every class read).
_SUBMIT = OrderEvent.SUBMIT
_PENDING = OrderState.PENDING

_STATUS_QUERIES = 20  # asked this often in vain, an order is reported unreconciled


class Lane:
    __slots__ = ("policy", "pushed", "queue", "sequence", "space", "venue")

    def __init__(self, venue: Venue, capacity: int, policy: Literal["wait", "reject"]) -> None:
        self.venue = venue
        self.queue = RingQueue(capacity)
        self.sequence = Sequence()  # lane sequence numbers, monotonic in this lane
        self.policy = policy
        # Real-time mode only: wake the executor, and wake a router waiting for room.
        self.pushed = asyncio.Event()
        self.space = asyncio.Event()


class VenueExecutor:
    """Sends a lane's orders, and cancels, to its venue.

    With faults injected at the venue, a watchdog follows every request: when nothing
    about the order arrives within the response timeout, it asks the venue for the
    order's status (again, until something does).
    """

    __slots__ = ("_scheduler", "_sender", "_simulator", "_timeout", "_tracker", "lane")

    def __init__(
        self,
        lane: Lane,
        simulator: VenueSimulator,
        tracker: OrderTracker,
        scheduler: Scheduler,
        faults: FaultConfig,
    ) -> None:
        self.lane = lane
        self._simulator = simulator
        self._tracker = tracker
        self._scheduler = scheduler
        self._timeout = int(faults.response_timeout_s * 1e9) if faults.any() else 0
        self._sender = self.send  # bound once: drain() schedules it for every order

    def drain(self) -> None:
        """Virtual time: schedule every queued order's send at the time it was routed."""
        for order in self.lane.queue.pop_many():
            self._scheduler.schedule(order.sent_at, self._sender, (order,))

    def send(self, order: Order) -> None:
        if order.state is not _PENDING:
            return  # cancelled while it waited in the lane
        order.sent_at = self._scheduler.clock()
        if self._tracker.apply(order, _SUBMIT):
            self._simulator.submit(order)
            self._watch(order, cancel=False)

    def cancel(self, order: Order) -> None:
        """Ask the venue to cancel `order` (already PENDING_CANCEL)."""
        self._simulator.cancel(order)
        self._watch(order, cancel=True)

    def _watch(self, order: Order, cancel: bool) -> None:
        if self._timeout:
            when = self._scheduler.clock() + self._timeout
            look = (order, cancel, order.answers, _STATUS_QUERIES)
            self._scheduler.schedule(when, self._check, look)

    def _check(self, order: Order, cancel: bool, answers: int, queries: int) -> None:
        """Nothing heard about the order (or, for a cancel, nothing settling it) since the
        last look: ask the venue, up to `queries` more times."""
        if order.is_terminal:
            return
        if order.answers != answers:
            if not (cancel and order.state is OrderState.PENDING_CANCEL):
                return  # the venue answered
            answers = order.answers  # a fill, but nothing about the cancel: keep waiting
        elif not queries:
            self._tracker.handled("unreconciled")  # the venue never answered: give up
            return
        else:
            self._tracker.handled("status_query")
            self._simulator.status(order, cancelling=order.state is OrderState.PENDING_CANCEL)
            queries -= 1
        when = self._scheduler.clock() + self._timeout
        self._scheduler.schedule(when, self._check, (order, cancel, answers, queries))

    async def run(self, stop: asyncio.Event) -> None:
        """Real time: send orders as they arrive, until `stop` is set and the lane is empty."""
        lane = self.lane
        while True:
            orders = lane.queue.pop_many()
            if orders:
                lane.space.set()
                for order in orders:
                    self.send(order)
                continue
            if stop.is_set():
                return
            lane.pushed.clear()
            waiter = asyncio.ensure_future(lane.pushed.wait())
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait((waiter, stopper), return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            stopper.cancel()
