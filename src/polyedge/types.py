"""Domain types: venues, markets, intents, orders and fills.

Prices, sizes and fees are ints of micro-units (see polyedge.fixedpoint). Construction
validates, so an Intent or Market that exists is well formed; bad input gets an error
naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from polyedge._core import Cancel, FeeProfile, Intent, Market, Order, OrderEvent, OrderState
from polyedge._core.definitions import Liquidity, Outcome, Side, TimeInForce, Venue
from polyedge.errors import InvalidValue
from polyedge.fixedpoint import positive_units

__all__ = [
    "ArbitrageGroup",
    "Cancel",
    "FeeProfile",
    "Fill",
    "Intent",
    "Liquidity",
    "Market",
    "Order",
    "OrderEvent",
    "OrderState",
    "Outcome",
    "Side",
    "TimeInForce",
    "Venue",
]


@dataclass(frozen=True, slots=True)
class ArbitrageGroup:
    """Legs to execute together: all of them fill, or none is left exposed.

    `edge` is what the group should lock in (units, after fees) if every leg fills at
    its limit price; `group_id` is also each leg's group_id.
    """

    group_id: int
    legs: tuple[Intent, ...]
    edge: int = 0

    def __post_init__(self) -> None:
        positive_units(self.group_id, "group_id")
        if len(self.legs) < 2:
            raise InvalidValue("an arbitrage group needs at least two legs")
        if any(leg.group_id != self.group_id for leg in self.legs):
            raise InvalidValue(f"every leg of group {self.group_id} must carry its group_id")


class Fill(NamedTuple):
    """One execution against an order, as the venue reported it (made by the engine from
    a fill message it has checked): `time` is when the message arrived (simulated ns),
    `liquidity` whether the order made or took liquidity."""

    order_id: int
    trade_id: str
    price: int
    size: int
    fee: int
    liquidity: Liquidity
    time: int
