"""Venue rules: what each venue checks, and the reject code it answers with.

The defaults follow ../shared/venue-rules.md. Every one of them is a field of
config.VenueRules, which a run configuration can override (venues change fee schedules
and tick sizes over time); nothing downstream hard-codes a venue fact.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from polyedge.types import Venue


class Rule(StrEnum):
    """A venue rule an order can break; each venue answers with its own reject code."""

    TICK = "tick"  # price not a multiple of the tick
    PRICE_BOUNDS = "price_bounds"  # price outside [tick, 1 - tick]
    MIN_SIZE = "min_size"
    MIN_MARKETABLE_BUY = "min_marketable_buy"  # a marketable BUY worth less than the minimum
    SIZE_STEP = "size_step"  # size not a multiple of the venue's size step
    POST_ONLY_CROSS = "post_only_cross"  # a post-only order that would take liquidity
    FOK_UNFILLED = "fok_unfilled"  # a fill-or-kill order that cannot fill at once
    EXPIRATION = "expiration"  # a GTD expiry too soon (inside the venue's threshold)
    RATE_LIMITED = "rate_limited"
    MARKET_CLOSED = "market_closed"  # the market no longer trades
    OUTAGE = "outage"  # the venue is down (an injected fault)
    UNKNOWN_ORDER = "unknown_order"  # a status query for an order the venue never got


# The defaults of config.VenueRules per venue, as a configuration would write them.
DEFAULT_RULES: dict[Venue, dict[str, Any]] = {
    Venue.POLYMARKET: {
        "tick_size": "0.01",
        "min_size": "5",
        "size_step": "0.01",  # sizes have 2 decimals
        "min_marketable_buy": "1",  # $1
        # crypto category: 0.07 taker, makers pay nothing, rounded to 0.00001 USDC
        "fees": {"taker_rate": "0.07", "quantum": "0.00001", "rounding": "half_even"},
        "gtd_threshold_s": 60,  # the venue adds a 60 s security threshold to GTD expiries
        "codes": {
            Rule.TICK: "INVALID_ORDER_MIN_TICK_SIZE",
            Rule.PRICE_BOUNDS: "INVALID_ORDER_MIN_TICK_SIZE",
            Rule.MIN_SIZE: "INVALID_ORDER_MIN_SIZE",
            Rule.MIN_MARKETABLE_BUY: "INVALID_ORDER_MIN_SIZE",
            Rule.SIZE_STEP: "INVALID_ORDER_MIN_SIZE",
            Rule.POST_ONLY_CROSS: "INVALID_POST_ONLY_ORDER",
            Rule.FOK_UNFILLED: "FOK_ORDER_NOT_FILLED_ERROR",
            Rule.EXPIRATION: "INVALID_ORDER_EXPIRATION",
            Rule.RATE_LIMITED: "HTTP_429_RATE_LIMITED",
            Rule.MARKET_CLOSED: "HTTP_503_TRADING_DISABLED",
            Rule.OUTAGE: "HTTP_503_SERVICE_UNAVAILABLE",
            Rule.UNKNOWN_ORDER: "ORDER_NOT_FOUND",  # (unverified)
        },
        "random_reject_codes": ["INVALID_ORDER_NOT_ENOUGH_BALANCE", "MARKET_NOT_READY"],
        "self_trade_prevention": "none",  # (unverified: none documented)
    },
    Venue.KALSHI: {
        "tick_size": "0.01",
        "min_size": "1",
        "size_step": "1",  # whole contracts
        "min_marketable_buy": "0",
        # quadratic: ceil(0.07 * C * P * (1 - P)) to the next cent, takers only
        "fees": {"taker_rate": "0.07", "quantum": "0.01", "rounding": "ceil"},
        "gtd_threshold_s": 0,
        "codes": {
            Rule.TICK: "invalid_order",
            Rule.PRICE_BOUNDS: "invalid_order",
            Rule.MIN_SIZE: "invalid_order",
            Rule.MIN_MARKETABLE_BUY: "invalid_order",
            Rule.SIZE_STEP: "invalid_order",
            Rule.POST_ONLY_CROSS: "invalid_order:post_only_cross",
            Rule.FOK_UNFILLED: "fill_or_kill_insufficient_resting_volume",  # (unverified)
            Rule.EXPIRATION: "invalid_order:expiration",  # (unverified)
            Rule.RATE_LIMITED: "too_many_requests",  # (unverified)
            Rule.MARKET_CLOSED: "market_closed",  # (unverified)
            Rule.OUTAGE: "service_unavailable",  # (unverified)
            Rule.UNKNOWN_ORDER: "not_found",
        },
        "random_reject_codes": ["insufficient_balance", "market_closed"],  # (unverified)
        # Per order on Kalshi (self_trade_prevention_type: taker_at_cross | maker); the
        # default when an order names none is not documented: off unless configured.
        "self_trade_prevention": "none",
    },
}
