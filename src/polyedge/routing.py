"""The order router: intents in, orders out to one lane per venue.

A new intent becomes an order: registered in the in-flight table (O(1) by order id; it
leaves on a terminal state, so memory stays flat), given its lane's next sequence number
and pushed into the lane. A full lane gets the venue's backpressure policy: "wait" hands
the lane back to the caller to drain or await, "reject" refuses the order with a recorded
reason. A cancel is executed at its time, against the order's state at that moment.
Nothing is dropped silently: every intent is counted as routed, or refused with a reason.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from polyedge._core import routed_order
from polyedge._core.definitions import DUPLICATE_INTENT, LANE_FULL, NOT_WORKING
from polyedge.lanes import Lane, VenueExecutor
from polyedge.scheduler import Scheduler
from polyedge.state import WORKING, OrderTracker
from polyedge.types import (
    ArbitrageGroup,
    Cancel,
    Intent,
    Order,
    OrderEvent,
    OrderState,
    TimeInForce,
    Venue,
)

# Members read on every order, bound once: on Python 3.11 reading a member off its
# Enum class costs ten times a global (EnumType.__getattr__ slows every class read).
_CANCEL_REQUEST = OrderEvent.CANCEL_REQUEST
_PENDING = OrderState.PENDING
_CANCELLABLE = (_PENDING, *WORKING)  # one tuple test, where is_working() is a Python call

# What the router counts, by kind: each time in force, then cancels and arbitrage legs.
KINDS = (*(tif.value.lower() for tif in TimeInForce), "cancel", "arbitrage")
_KIND = {tif: index for index, tif in enumerate(TimeInForce)}  # index in KINDS
_REFUSALS = (DUPLICATE_INTENT, NOT_WORKING)
_DUPLICATE, _NOT_WORKING = range(len(_REFUSALS))
_CANCEL = len(TimeInForce)
_ARBITRAGE = _CANCEL + 1


def _no_coordinator(group: ArbitrageGroup) -> None:
    raise RuntimeError("an arbitrage group arrived, but no coordinator is wired in")


class OrderRouter:
    __slots__ = (
        "_cancel_at",
        "_deliver",
        "_lanes",
        "_refused",
        "_routed",
        "_scheduler",
        "_tracker",
        "_venues",
        "start_group",
    )

    def __init__(
        self,
        lanes: dict[Venue, Lane],
        venues: dict[Venue, VenueExecutor],
        tracker: OrderTracker,
        scheduler: Scheduler,
    ) -> None:
        # By venue index: a C list access, where the dict's str-enum key cost 130
        # instructions an intent (measured). None for a venue with no lane.
        self._lanes = [lanes.get(venue) for venue in Venue]
        self._venues = venues
        self._tracker = tracker
        # Scheduled for refused orders, bound once: compiled, a typed tracker's apply can't
        # be taken as a callable where it is needed.
        self._deliver = tracker.apply
        self._cancel_at = self._cancel_intent  # bound once: scheduled for a third of intents
        self._scheduler = scheduler
        # Intents routed, by index in KINDS: compiled, a C int64 at a C index (routing.pxd),
        # where a dict's += by name cost 535 instructions an intent and a list slot's
        # made and freed an int (measured).
        self._routed = np.zeros(len(KINDS), np.int64)
        self._refused = np.zeros(len(_REFUSALS), np.int64)  # by index in _REFUSALS, alike
        # Where arbitrage groups go: the coordinator's start, wired in by the engine.
        self.start_group: Callable[[ArbitrageGroup], None] = _no_coordinator

    def route(self, item: Intent | Cancel | ArbitrageGroup, time: int) -> Lane | None:
        """Route `item`, which arrived at `time` ns.

        Returns None once it is routed (or refused), or the full lane it is waiting for
        under the "wait" policy: drain or await that lane, then route the item again.
        """
        if isinstance(item, Intent):  # the most common item: checked first
            intent = item  # compiled, typed (routing.pxd): its fields are read as C
            full = self.send(intent, time)
            if full is None:
                kind = _KIND[intent.time_in_force]  # compiled, a C index: C list access
                self._routed[kind] += 1
            return full
        if isinstance(item, Cancel):
            self._routed[_CANCEL] += 1
            self._scheduler.schedule(time, self._cancel_at, (item,))
            return None
        self._routed[_ARBITRAGE] += len(item.legs)
        self._scheduler.schedule(time, self.start_group, (item,))
        return None

    def route_all(self, batch: list[tuple[int, Intent | Cancel | ArbitrageGroup]]) -> None:
        """Route every (time, item) of `batch` in turn (virtual time): a lane full under the
        "wait" policy has its executor take what is queued, then the item goes again."""
        for time, item in batch:
            while (full := self.route(item, time)) is not None:
                self._venues[full.venue].drain()

    def refused(self) -> dict[str, int]:
        """Intents that never became venue orders (or cancel requests), by reason (reasons
        not seen left out)."""
        refused = self._refused
        return {reason: int(refused[i]) for i, reason in enumerate(_REFUSALS) if refused[i]}

    def routed(self) -> dict[str, int]:
        """Intents routed so far by kind, a group counting one per leg (kinds not seen left
        out)."""
        routed = self._routed
        return {kind: int(routed[index]) for index, kind in enumerate(KINDS) if routed[index]}

    def send(self, intent: Intent, time: int) -> Lane | None:
        """Make `intent` an order and queue it in its venue's lane (as route() does)."""
        lane = self._lanes[intent.market.venue_index]
        if lane is None:  # checked here: compiled, a typed local may hold None unchecked
            raise KeyError(f"no lane for venue {intent.market.venue.value}")
        if lane.policy == "wait" and lane.queue.full():
            return lane
        if intent.intent_id in self._tracker.in_flight:
            self._refused[_DUPLICATE] += 1
            return None
        order = routed_order(intent, lane.sequence.next(), time)
        self._tracker.register(order)
        if not lane.queue.try_push(order):  # full, and the policy is to reject
            rejection = (order, OrderEvent.REJECT, 0, 0, 0, LANE_FULL)
            self._scheduler.schedule(time, self._deliver, rejection)
        return None

    def _cancel_intent(self, item: Cancel) -> None:
        order = self._tracker.in_flight.get(item.target)
        if order is None or not self.cancel_order(order):
            # Unknown, finished, or already being cancelled: nothing to ask the venue.
            self._refused[_NOT_WORKING] += 1

    def cancel_order(self, order: Order) -> bool:
        """Ask for `order`'s cancellation now; False when there is nothing to cancel."""
        if order.state not in _CANCELLABLE:
            return False
        sent = order.state is not _PENDING  # a queued order is cancelled locally
        order.cancel_sent_at = self._scheduler.clock()
        if self._tracker.apply(order, _CANCEL_REQUEST) and sent:
            self._venues[order.intent.market.venue].cancel(order)
        return True
