"""Pure-Python twin of intent.pyx: the Intent, and the checks both implementations share.

An Intent is immutable once built and valid by construction: bad fields raise an error
naming the field, and sides, outcomes and times in force given as names ("buy", "yes",
"ioc") are stored as the enums.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from polyedge._core.definitions import Outcome, Side, TimeInForce
from polyedge._core.fixed_py import positive_units
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
