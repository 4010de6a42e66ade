"""Order state: the in-flight table (the core's OrderTracker, where every order event is
applied), and how orders look to the store and the router."""

from __future__ import annotations

from polyedge._core import OrderTracker
from polyedge._core.tracker_py import REFUSED, GroupWatcher
from polyedge.events import OrderRow
from polyedge.types import Order, OrderState

__all__ = ["REFUSED", "WORKING", "GroupWatcher", "OrderTracker", "is_working", "order_row"]


def order_row(order: Order) -> OrderRow:
    """An order as the store keeps it. Side, outcome and time in force are StrEnum members,
    so already the texts stored (their `.value` costs as much as the rest of the row)."""
    intent = order.intent
    return (
        order.order_id,
        order.lane_seq,
        intent.market.venue_index,
        intent.market.market_id,
        intent.side,
        intent.outcome,
        intent.price,
        intent.size,
        intent.time_in_force,
        intent.expires_at,
        intent.post_only,
        intent.group_id,
    )


WORKING = (OrderState.SUBMITTED, OrderState.PARTIAL_FILL)  # the states is_working() accepts


def is_working(order: Order) -> bool:
    """At the venue and cancellable: acknowledged or not, possibly partly filled."""
    return order.state in WORKING
