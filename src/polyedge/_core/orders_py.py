"""Pure-Python twin of orders.pyx: Intent and Order, and the checks both share.

An Intent is immutable once built and valid by construction: bad fields raise an error
naming the field, and sides, outcomes and times in force given as names ("buy", "yes",
"ioc") are stored as the enums. An Order is an intent in flight; its state moves only
through the core transition table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from polyedge._core.definitions import (
    TERMINAL_STATES,
    OrderEvent,
    OrderState,
    Outcome,
    Side,
    TimeInForce,
)
from polyedge._core.fixed_py import positive_units, to_str
from polyedge._core.transitions_py import apply
from polyedge.errors import InvalidValue

if TYPE_CHECKING:
    from polyedge.types import Market

# Enum members looked up once: an attribute of an Enum class is slow to read (hot path).
_GTD = TimeInForce.GTD
_RESTING = (TimeInForce.GTC, TimeInForce.GTD)


def checked(intent: Intent) -> tuple[Side, Outcome, TimeInForce] | None:
    """Check a new intent's fields (either implementation's). Returns its side, outcome
    and time in force as enums when any was given by name; None when all three are
    enums already (the hot case)."""
    positive_units(intent.intent_id, "intent_id")
    side, outcome, time_in_force = intent.side, intent.outcome, intent.time_in_force
    enums = type(side) is Side and type(outcome) is Outcome and type(time_in_force) is TimeInForce
    if not enums:
        side, outcome, time_in_force = Side(side), Outcome(outcome), TimeInForce(time_in_force)
    intent.market.check_price(intent.price)
    positive_units(intent.size, "size")
    if (time_in_force is _GTD) != (intent.expires_at is not None):
        raise InvalidValue("expires_at is required for GTD orders and only for them")
    if intent.post_only and time_in_force not in _RESTING:
        raise InvalidValue(f"post_only needs GTC or GTD, not {time_in_force.name}")
    if intent.max_cost is not None:
        positive_units(intent.max_cost, "max_cost")
        if side is not Side.BUY or time_in_force is not TimeInForce.FOK:
            raise InvalidValue("max_cost is for BUY orders and implies FOK: give both")
    return None if enums else (side, outcome, time_in_force)


@dataclass(frozen=True, slots=True)
class Intent:
    """What a strategy wants: one limit order on one market.

    `intent_id` is unique within a run (the order it becomes carries the same id);
    intents sharing a non-zero `group_id` are the legs of one multi-leg group.
    """

    intent_id: int
    market: Market
    side: Side
    outcome: Outcome
    price: int
    size: int
    time_in_force: TimeInForce = TimeInForce.GTC
    expires_at: int | None = None  # simulated ns, as the venue's field (see Market.gtd_threshold)
    post_only: bool = False
    group_id: int = 0
    # Kalshi's buy_max_cost: a BUY capped at what this many units pay for, fees included;
    # fill-or-kill on that size, the rest of the order expires.
    max_cost: int | None = None

    def __post_init__(self) -> None:
        enums = checked(self)
        if enums is not None:
            for name, value in zip(("side", "outcome", "time_in_force"), enums, strict=True):
                object.__setattr__(self, name, value)

    @staticmethod
    def unchecked(
        intent_id: int,
        market: Market,
        side: Side,
        outcome: Outcome,
        price: int,
        size: int,
        time_in_force: TimeInForce,
        expires_at: int | None = None,
        post_only: bool = False,
        group_id: int = 0,
        max_cost: int | None = None,
    ) -> Intent:
        """An Intent built as given, without the checks: for fields valid by construction
        (the seeded generator's; measured, the checks cost it 4% of a run) and for tests
        that forge what a careless client could send. Enums must be given as enums."""
        intent = object.__new__(Intent)
        given = (intent_id, market, side, outcome, price, size, time_in_force)
        for name, value in zip(
            _FIELDS, (*given, expires_at, post_only, group_id, max_cost), strict=True
        ):
            object.__setattr__(intent, name, value)
        return intent


_FIELDS = tuple(Intent.__dataclass_fields__)


def overfill(order_id: int, size: int, remaining: int) -> InvalidValue:
    """The error for a fill larger than what is left of the order (both implementations)."""
    return InvalidValue(
        f"fill of {to_str(size)} exceeds the {to_str(remaining)} remaining on order {order_id}"
    )


@dataclass(slots=True)
class Order:
    """An intent in flight: its lifecycle state and how much of it has filled."""

    order_id: int
    intent: Intent
    # Routing sets these two, positionally: keyword arguments cost the router ~150 ns.
    lane_seq: int = 0  # position in its venue's lane, monotonic per lane
    sent_at: int = 0  # ns the order was sent to the venue
    state: OrderState = OrderState.PENDING
    filled: int = 0
    cancel_sent_at: int = 0  # ns the last cancel request was sent
    answers: int = 0  # events applied to it (the engine's watchdog sees whether any came)
    last_trade: int = 0  # the venue's id of its latest fill (a repeated id is a duplicate)

    @property
    def remaining(self) -> int:
        return self.intent.size - self.filled

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES

    def apply(self, event: OrderEvent) -> OrderState:
        """Move to the state `event` leads to; IllegalTransition (state unchanged) if refused."""
        new = apply(self.state, event, self.order_id)
        if event is OrderEvent.CANCEL_REJECT and self.filled:
            new = OrderState.PARTIAL_FILL  # the table cannot know fills came before the cancel
        self.state = new
        return new

    def fill(self, size: int) -> OrderState:
        """Record `size` units filled: a PARTIAL_FILL or, when it completes the order, FILL."""
        size = positive_units(size, "size")
        remaining = self.intent.size - self.filled
        if size > remaining:
            raise overfill(self.order_id, size, remaining)
        event = OrderEvent.FILL if size == remaining else OrderEvent.PARTIAL_FILL
        new = self.apply(event)
        self.filled += size
        return new
