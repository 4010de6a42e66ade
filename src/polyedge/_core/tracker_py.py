"""Pure-Python twin of tracker.pyx: the in-flight order table, and the one place where
order events are applied.

Every event, from the engine or a venue, passes OrderTracker.apply: it goes through the
core transition table (via Order), is logged, and updates the run's figures. A refused
move is recorded with the order, its state and the event, and the run goes on.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

from polyedge._core.definitions import (
    DUPLICATE_TRADE,
    Liquidity,
    OrderEvent,
    OrderState,
    Outcome,
    Side,
)
from polyedge.errors import IllegalTransition, InvalidValue

if TYPE_CHECKING:
    from polyedge._core import EventLog, Order
    from polyedge.metrics import RunMetrics
    from polyedge.scheduler import Scheduler

REFUSED = -1  # the to-state logged for a refused move
LATENCY_KINDS = ("submit_ack", "fill", "cancel_ack")  # the message kinds timed, per venue
LATENCY_KIND = {OrderEvent.ACK: LATENCY_KINDS[0], OrderEvent.CANCEL_ACK: LATENCY_KINDS[2]}


def by_name(ended: list[int]) -> dict[str, int]:
    """Counts indexed by OrderState value, by state name, zeros left out (either
    tracker's ended())."""
    return {state.name: count for state, count in zip(OrderState, ended, strict=True) if count}


def unfinished(orders: Iterable[Order]) -> dict[str, int]:
    """States of `orders` (those still in flight), by name: either tracker's cold path."""
    states: dict[str, int] = {}
    for order in orders:
        states[order.state.name] = states.get(order.state.name, 0) + 1
    return states


class GroupWatcher(Protocol):
    """What follows the orders of multi-leg groups (the coordinator)."""

    def filled(self, order: Order, price: int, size: int, fee: int) -> None: ...
    def order_ended(self, order: Order) -> None: ...


class Listener(Protocol):
    """What hears every message about every order once the tracker has dealt with it (a
    strategy's context): `applied` False when the tracker refused it (a duplicate fill, a
    late ack, an illegal move). `event` is as logged (a fill: FILL or PARTIAL_FILL)."""

    def message(
        self,
        order: Order,
        event: OrderEvent,
        price: int,
        size: int,
        fee: int,
        reason: str,
        trade_id: int,
        liquidity: Liquidity | None,
        applied: bool,
    ) -> None: ...


class NoGroups:
    """The group watcher of a tracker that has none wired in."""

    def filled(self, order: Order, price: int, size: int, fee: int) -> None:
        return None

    def order_ended(self, order: Order) -> None:
        return None


class OrderTracker:
    __slots__ = (
        "_ended",
        "_log",
        "_metrics",
        "_reasons",
        "_scheduler",
        "groups",
        "in_flight",
        "listener",
    )

    def __init__(
        self, log: EventLog, metrics: RunMetrics, scheduler: Scheduler, reasons: dict[str, int]
    ) -> None:
        self._log = log
        self._metrics = metrics
        self._scheduler = scheduler
        self._reasons = reasons  # reject code -> its number in the log (0: no reason)
        self.in_flight: dict[int, Order] = {}
        self._ended = [0] * len(OrderState)  # orders ended, by their final state's value
        self.groups: GroupWatcher = NoGroups()  # the coordinator, wired in by the engine
        self.listener: Listener | None = None  # a strategy's context, wired in by the engine

    def register(self, order: Order) -> bool:
        """Add a new order; False if its id is already in flight."""
        in_flight = self.in_flight
        known = len(in_flight)
        in_flight.setdefault(order.order_id, order)  # one lookup, where `in` and a set took two
        if len(in_flight) == known:  # the id was there (its order, or this one again)
            return False
        self._metrics.orders += 1
        self._metrics.submitted_size += order.intent.size
        self._log.order(order)
        return True

    def apply(
        self,
        order: Order,
        event: OrderEvent,
        price: int = 0,
        size: int = 0,
        fee: int = 0,
        reason: str = "",
        trade_id: int = 0,
        liquidity: Liquidity | None = None,
    ) -> bool:
        """Apply `event` (for fills: FILL, with the size filled, the venue's trade id and
        whether the order made or took liquidity) to `order` now.

        Returns False, and records the refusal, when the move is illegal. Then the
        listener, if any, hears of it.
        """
        now = self._scheduler.now
        before = order.state
        first_fill = order.filled == 0
        try:
            if event is OrderEvent.FILL:
                # One connection delivers an order's fills in order, so a trade id not
                # above the last one seen is a fill delivered twice.
                if trade_id and trade_id <= order.last_trade:
                    self.handled("duplicate_fill_refused")
                    self._refuse(order, event, price, size, fee, DUPLICATE_TRADE, now, False)
                    if self.listener is not None:
                        self.listener.message(
                            order, event, price, size, fee, reason, trade_id, liquidity, False
                        )
                    return False
                order.fill(size)
                order.last_trade = trade_id
                if order.filled < order.intent.size:
                    event = OrderEvent.PARTIAL_FILL
            else:
                order.apply(event)
        except (IllegalTransition, InvalidValue):
            # An ack overtaken by the fills that finished the order says nothing new.
            late_ack = event is OrderEvent.ACK and order.is_terminal
            if late_ack:
                self.handled("late_ack_ignored")
            self._refuse(order, event, price, size, fee, reason, now, not late_ack)
            if self.listener is not None:
                self.listener.message(
                    order, event, price, size, fee, reason, trade_id, liquidity, False
                )
            return False

        order.answers += 1
        metrics = self._metrics
        intent = order.intent
        venue = intent.market.venue
        if size:
            metrics.fills += 1
            metrics.filled_size += size
            metrics.notional += price * size  # units squared; scaled once at the end
            metrics.fees += fee
            position = metrics.positions[intent.market.market_id]
            held = size if intent.side is Side.BUY else -size
            if intent.outcome is Outcome.YES:
                position.yes += held
            else:
                position.no += held
            position.cash -= held * price
            position.fees += fee
            if first_fill:
                metrics.latency[venue][LATENCY_KINDS[1]].record(now - order.sent_at)
        elif event is OrderEvent.REJECT:
            metrics.rejects[venue][reason] += 1
        elif event in LATENCY_KIND:
            start = order.sent_at if event is OrderEvent.ACK else order.cancel_sent_at
            metrics.latency[venue][LATENCY_KIND[event]].record(now - start)
        terminal = order.is_terminal
        if terminal:
            del self.in_flight[order.order_id]
            self._ended[order.state] += 1
        self._log.append(
            order.order_id,
            order.lane_seq,
            intent.market.venue_index,
            event,
            before,
            order.state,
            price,
            size,
            fee,
            self._reasons.get(reason, 0),
            now,
        )
        # The group reacts after the event is logged: cause before effect in the log, and
        # at every event the orders in flight are as the events so far leave them.
        if intent.group_id:
            if size:
                self.groups.filled(order, price, size, fee)
            if terminal:
                self.groups.order_ended(order)
        if self.listener is not None:
            self.listener.message(order, event, price, size, fee, reason, trade_id, liquidity, True)
        return True

    def _refuse(
        self,
        order: Order,
        event: OrderEvent,
        price: int,
        size: int,
        fee: int,
        reason: str,
        now: int,
        illegal: bool,
    ) -> None:
        """Log a refused event; `illegal` ones (not a handled fault) are counted as such."""
        if illegal:
            self._metrics.illegal_move(order.order_id, order.state.name, event.name, now)
        self._log.append(
            order.order_id,
            order.lane_seq,
            order.intent.market.venue_index,
            event,
            order.state,
            REFUSED,
            price,
            size,
            fee,
            self._reasons.get(reason, 0),
            now,
        )

    def handled(self, fault: str) -> None:
        """Count a venue fault the engine noticed and coped with."""
        self._metrics.faults_handled[fault] += 1

    def ended(self) -> dict[str, int]:
        """Orders ended so far, by final state name."""
        return by_name(self._ended)

    def unfinished(self) -> dict[str, int]:
        """States of the orders still in flight, by name."""
        return unfinished(self.in_flight.values())
