"""The multi-leg coordinator: legs run together; one fails, the rest are stopped at once.

A group sends every leg's order at once. The coordinator reacts in the tracker's
callbacks, at the instant an order ends (after its event is logged): a leg that did not
fill (rejected, expired, timed out) has the venues asked to cancel every sibling order
there and then; the last leg to fill completes the group. Once every order of an aborted
group has ended, the group fails (nothing filled) or the unwind policy flattens its
filled legs, and what cannot be flattened is recorded as residual exposure. A group's
own state moves through its transition table, like an order's.

The unwind is a coroutine run by the simulation (`polyedge.driven`), not by the event
loop: it starts, and sends its first order, in the callback that ended the group's last
order, and resumes in the callback that ends each order it waits for (a `Signal` per
unwind order). So it acts at the instant of its cause, in virtual and real time alike,
and simulated time never waits for the loop. What it raises propagates out of that
callback, through the scheduler: the run fails with it. An unwind whose order never ends
(the venue never answered) leaves its group ABORTING, its filled size still counted as
exposure.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum

from polyedge._core import Sequence
from polyedge.config import ArbitrageConfig
from polyedge.driven import Driven, Signal
from polyedge.errors import PolyedgeError
from polyedge.fixedpoint import SCALE
from polyedge.metrics import ArbitrageSummary, LatencyHistogram
from polyedge.scheduler import Scheduler, wall_clock
from polyedge.types import (
    ArbitrageGroup,
    Intent,
    Order,
    OrderState,
    Side,
    TimeInForce,
)


class GroupState(IntEnum):
    PENDING = 0
    WORKING = 1  # legs submitted
    COMPLETED = 2  # every leg filled
    ABORTING = 3  # a leg failed: siblings being cancelled, fills being unwound
    UNWOUND = 4  # a leg failed after others filled; those were flattened
    FAILED = 5  # a leg failed and nothing had filled


class GroupEvent(IntEnum):
    SUBMIT = 0
    COMPLETE = 1
    LEG_FAILED = 2
    FLAT = 3  # aborted with nothing filled
    UNWIND_DONE = 4


GROUP_TRANSITIONS: dict[tuple[GroupState, GroupEvent], GroupState] = {
    (GroupState.PENDING, GroupEvent.SUBMIT): GroupState.WORKING,
    (GroupState.WORKING, GroupEvent.COMPLETE): GroupState.COMPLETED,
    (GroupState.WORKING, GroupEvent.LEG_FAILED): GroupState.ABORTING,
    (GroupState.ABORTING, GroupEvent.FLAT): GroupState.FAILED,
    (GroupState.ABORTING, GroupEvent.UNWIND_DONE): GroupState.UNWOUND,
}


class IllegalGroupTransition(PolyedgeError):
    def __init__(self, group_id: int, state: GroupState, event: GroupEvent) -> None:
        super().__init__(f"group {group_id}: {state.name} does not accept {event.name}")


# Members read for every group, bound once: on Python 3.11 reading a member off its Enum
# class costs ten times a global (EnumType.__getattr__ slows every class read).
_WORKING = GroupState.WORKING
_ABORTING = GroupState.ABORTING
_SUBMIT = GroupEvent.SUBMIT
_COMPLETE = GroupEvent.COMPLETE
_LEG_FAILED = GroupEvent.LEG_FAILED
_FLAT = GroupEvent.FLAT
_FILLED = OrderState.FILLED
_BUY = Side.BUY
_GTC = TimeInForce.GTC

UNWIND_IDS = 1 << 62  # unwind orders' ids: far above any intent id
_KEPT = 1_000  # settled groups kept for inspection (memory stays flat)


@dataclass(slots=True)
class GroupRecord:
    group: ArbitrageGroup
    state: GroupState = GroupState.PENDING
    reason: str = ""
    orders: list[Order] = field(default_factory=list)  # its legs', then its unwinds'
    unwinding: Driven | None = None  # the coroutine flattening its filled legs
    residual: int = 0  # size (units) left exposed after unwinding
    paid: int = 0  # price * size of buys minus sells, units squared
    fees: int = 0
    failed_at: tuple[int, float] | None = None  # (simulated ns, wall s) of the first failure

    def apply(self, event: GroupEvent) -> None:
        new = GROUP_TRANSITIONS.get((self.state, event))
        if new is None:
            raise IllegalGroupTransition(self.group.group_id, self.state, event)
        self.state = new


@dataclass(slots=True)
class ArbitrageMetrics:
    attempted: int = 0
    completed: int = 0
    unwound: int = 0
    failed: int = 0
    aborted_by_reason: Counter[str] = field(default_factory=Counter)
    realised_edge: int = 0  # units, completed groups, after fees
    residual_exposure: int = 0  # units of size left unhedged, all groups
    exposure: int = 0  # units of size filled on legs whose group is not settled
    exposure_peak: int = 0
    exposure_by_second: dict[int, int] = field(default_factory=dict)  # peak per sim second
    cancel_sim: LatencyHistogram = field(default_factory=LatencyHistogram)
    cancel_wall: LatencyHistogram = field(default_factory=LatencyHistogram)


class Coordinator:
    """Runs arbitrage groups. `submit(intent)` sends an order now and returns it;
    `cancel(order)` asks for its cancellation now; `quote(intent)` gives the current
    (bid, ask) of the intent's market and outcome in units, for pricing unwinds."""

    def __init__(
        self,
        config: ArbitrageConfig,
        scheduler: Scheduler,
        submit: Callable[[Intent], Order],
        cancel: Callable[[Order], object],
        quote: Callable[[Intent], tuple[int, int]],
    ) -> None:
        self._config = config
        self._scheduler = scheduler
        self._submit = submit
        self._cancel = cancel
        self._quote = quote
        self._leg_timeout = int(config.leg_timeout_s * 1e9)  # ns
        self._records: dict[int, GroupRecord] = {}  # order id -> its group, while working
        self._ends: dict[int, Signal[OrderState]] = {}  # unwind order id -> its end
        self._unwind_ids = Sequence(start=UNWIND_IDS)
        self.metrics = ArbitrageMetrics()
        self.settled: deque[GroupRecord] = deque(maxlen=_KEPT)  # the latest, to inspect

    # --- called by the engine ------------------------------------------------------------

    def start(self, group: ArbitrageGroup) -> None:
        """Send every leg's order now (a GTC leg with its timeout)."""
        record = GroupRecord(group)
        self.metrics.attempted += 1
        record.apply(_SUBMIT)
        for intent in group.legs:
            order = self._follow(record, intent)  # sent: it ends later, never at once
            if intent.time_in_force is _GTC:
                timeout_at = self._scheduler.clock() + self._leg_timeout
                self._scheduler.at(timeout_at, self._time_out, record, order)

    def order_ended(self, order: Order) -> None:
        """The tracker saw an order reach a terminal state."""
        record = self._records.pop(order.order_id, None)
        if record is None:
            return  # not an order of a group
        if not _is_leg(order):
            # An unwind's order: the unwind waiting for it goes on, before this returns.
            self._ends.pop(order.order_id).set(order.state)
            return
        # A failed leg stops its siblings; the last leg to fill completes the group.
        if order.state is not _FILLED:
            self._fail(record, _why(order))
        elif record.state is _WORKING and all(leg.state is _FILLED for leg in record.orders):
            self._complete(record)
        if (
            record.state is _ABORTING
            and record.unwinding is None
            and all(o.is_terminal for o in record.orders)
        ):
            self._aborted(record)

    def _complete(self, record: GroupRecord) -> None:
        """Every leg filled: the group locked its edge in."""
        record.apply(_COMPLETE)
        self.metrics.completed += 1
        payout = record.group.legs[0].size  # one YES and one NO always pay $1 together
        self.metrics.realised_edge += payout - record.paid // SCALE - record.fees
        self._exposure(-sum(order.filled for order in record.orders))
        self.settled.append(record)

    def _fail(self, record: GroupRecord, reason: str) -> None:
        """A leg failed: ask the venues to cancel every sibling still working, at once."""
        if record.state is not _WORKING:
            return  # the group is already being stopped
        record.apply(_LEG_FAILED)
        record.reason = reason
        record.failed_at = (self._scheduler.now, wall_clock())
        # The legs as they are: a leg not yet sent is cancelled here and now, and the
        # group's last order ending may start its unwind, which adds orders of its own.
        for order in tuple(record.orders):
            self._cancel(order)  # nothing happens for orders that are done
        self._cancel_latency(record)

    def _aborted(self, record: GroupRecord) -> None:
        """Every order of an aborted group has ended: it failed flat, or its filled legs
        are flattened by its unwind, which runs at once up to its first wait."""
        self.metrics.aborted_by_reason[record.reason] += 1
        filled = [order for order in record.orders if order.filled]
        if not filled:
            record.apply(_FLAT)
            self.metrics.failed += 1
            self.settled.append(record)
            return
        unwind = self._unwind_legs(record, filled)
        record.unwinding = Driven(unwind, name=f"group {record.group.group_id}'s unwind")

    def filled(self, order: Order, price: int, size: int, fee: int) -> None:
        """The tracker saw a fill on an order the coordinator follows."""
        record = self._records.get(order.order_id)
        if record is None:
            return
        buy = order.intent.side is _BUY
        record.paid += price * size if buy else -price * size
        record.fees += fee
        if buy:  # a leg: exposure until its group settles
            self._exposure(size)

    def summary(self) -> ArbitrageSummary:
        m = self.metrics
        return ArbitrageSummary(
            attempted=m.attempted,
            completed=m.completed,
            aborted_by_reason=dict(sorted(m.aborted_by_reason.items())),
            unwound=m.unwound,
            failed=m.failed,
            realised_edge=m.realised_edge,
            residual_exposure=m.residual_exposure,
            exposure_peak=m.exposure_peak,
            exposure_by_second=dict(sorted(m.exposure_by_second.items())),
            cancel_latency_sim=m.cancel_sim.summary(),
            cancel_latency_wall=m.cancel_wall.summary(),
        )

    # --- a group's timeout and unwind ------------------------------------------------------

    def _time_out(self, record: GroupRecord, order: Order) -> None:
        if order.is_terminal or record.state is not _WORKING:
            return
        self._cancel(order)  # its cancel ack, or a late fill, ends the order later
        self._fail(record, "timeout")  # which asks for its siblings' cancellation

    async def _unwind_legs(self, record: GroupRecord, filled: list[Order]) -> None:
        for order in filled:
            await self._flatten(record, order)
        record.apply(GroupEvent.UNWIND_DONE)
        self.metrics.unwound += 1
        self.metrics.residual_exposure += record.residual
        self.settled.append(record)

    async def _flatten(self, record: GroupRecord, leg: Order) -> None:
        """Sell what `leg` bought, by the unwind policy; record what could not be sold."""
        remaining = leg.filled
        intent = leg.intent
        tick = intent.market.tick_size
        if self._config.unwind.mode == "rest_then_cross":
            _, ask = self._quote(intent)
            resting = self._unwind(record, intent, remaining, ask, TimeInForce.GTC)
            self._scheduler.at(
                self._scheduler.now + int(self._config.unwind.rest_s * 1e9), self._cancel, resting
            )
            await self._end_of(resting)
            remaining -= resting.filled
        for _ in range(self._config.unwind.attempts):
            if not remaining:
                break
            bid, _ = self._quote(intent)
            worst = max(tick, (bid - self._config.unwind.max_slippage) // tick * tick)
            crossing = self._unwind(record, intent, remaining, worst, TimeInForce.FAK)
            await self._end_of(crossing)
            remaining -= crossing.filled
        self._exposure(-leg.filled)  # settled: what is left is residual, reported as such
        record.residual += remaining

    def _unwind(
        self, record: GroupRecord, leg: Intent, size: int, price: int, tif: TimeInForce
    ) -> Order:
        intent = Intent(
            intent_id=self._unwind_ids.next(),
            market=leg.market,
            side=Side.SELL,
            outcome=leg.outcome,
            price=price,
            size=size,
            time_in_force=tif,
            group_id=record.group.group_id,
        )
        order = self._follow(record, intent)  # sent: it ends later, never at once
        self._ends[order.order_id] = Signal()
        return order

    def _follow(self, record: GroupRecord, intent: Intent) -> Order:
        """Send `intent` now, and have its fills counted and its end seen."""
        order = self._submit(intent)
        self._records[order.order_id] = record
        record.orders.append(order)
        return order

    async def _end_of(self, order: Order) -> OrderState:
        """The state an unwind order ends in, once it has."""
        return await self._ends[order.order_id]

    # --- figures -----------------------------------------------------------------------------

    def _exposure(self, change: int) -> None:
        metrics = self.metrics
        metrics.exposure += change
        metrics.exposure_peak = max(metrics.exposure_peak, metrics.exposure)
        second = self._scheduler.now // 1_000_000_000
        metrics.exposure_by_second[second] = max(
            metrics.exposure_by_second.get(second, 0), metrics.exposure
        )

    def _cancel_latency(self, record: GroupRecord) -> None:
        """From the first failure to every sibling's cancel request, simulated and wall."""
        if record.failed_at is not None:
            sim, wall = record.failed_at
            self.metrics.cancel_sim.record(self._scheduler.now - sim)
            self.metrics.cancel_wall.record(int((wall_clock() - wall) * 1e9))


def _is_leg(order: Order) -> bool:
    """A leg of its group, not an order sent to unwind one (those sell)."""
    return order.intent.side is _BUY


_WHY = {
    OrderState.REJECTED: "rejected",
    OrderState.EXPIRED: "expired",
    OrderState.CANCELLED: "cancelled",
}


def _why(order: Order) -> str:
    return _WHY.get(order.state) or order.state.name.lower()
