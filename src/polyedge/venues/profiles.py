"""Venue profiles: the rules and reject codes of each venue (../shared/venue-rules.md).

Every number here is a default a run configuration can override (venues change fee
schedules and tick sizes over time); nothing downstream hard-codes a venue fact.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from polyedge.fixedpoint import CENT, SCALE, Rounding
from polyedge.types import FeeProfile, Venue


class Rule(StrEnum):
    """A venue rule an order can break; each venue answers with its own reject code."""

    TICK = "tick"  # price not a multiple of the tick
    PRICE_BOUNDS = "price_bounds"  # price outside [tick, 1 - tick]
    MIN_SIZE = "min_size"
    MIN_MARKETABLE_BUY = "min_marketable_buy"  # a marketable BUY worth less than the minimum
    SIZE_STEP = "size_step"  # size not a multiple of the venue's size step
    POST_ONLY_CROSS = "post_only_cross"  # a post-only order that would take liquidity
    FOK_UNFILLED = "fok_unfilled"  # a fill-or-kill order that cannot fill at once
    RATE_LIMITED = "rate_limited"


# Reasons the engine itself gives, before an order reaches a venue.
LANE_FULL = "LANE_FULL"  # the venue's lane was full and the policy is to reject
NOT_WORKING = "ORDER_NOT_WORKING"  # a cancel for an order that is unknown or already done
DUPLICATE_INTENT = "DUPLICATE_INTENT"  # an intent id seen before in this run
LOCAL_REASONS = (LANE_FULL, NOT_WORKING, DUPLICATE_INTENT)


@dataclass(frozen=True, slots=True)
class VenueProfile:
    venue: Venue
    tick_size: int  # default tick for the venue's markets, in units
    min_size: int  # default minimum order size, in units
    size_step: int  # sizes are multiples of this (0.01 share; whole Kalshi contracts)
    min_marketable_buy: int  # smallest notional of a BUY that takes liquidity (0: none)
    fees: FeeProfile
    rule_codes: dict[Rule, str]
    random_reject_codes: tuple[str, ...]  # what the response model's random rejects say

    def reject_codes(self) -> tuple[str, ...]:
        return (*self.rule_codes.values(), *self.random_reject_codes)


POLYMARKET = VenueProfile(
    venue=Venue.POLYMARKET,
    tick_size=SCALE // 100,
    min_size=5 * SCALE,
    size_step=SCALE // 100,
    min_marketable_buy=SCALE,  # $1
    # crypto category: 0.07 taker, makers pay nothing, rounded to 0.00001 USDC
    fees=FeeProfile(taker_rate=70_000, quantum=10, rounding=Rounding.HALF_EVEN),
    rule_codes={
        Rule.TICK: "INVALID_ORDER_MIN_TICK_SIZE",
        Rule.PRICE_BOUNDS: "INVALID_ORDER_MIN_TICK_SIZE",
        Rule.MIN_SIZE: "INVALID_ORDER_MIN_SIZE",
        Rule.MIN_MARKETABLE_BUY: "INVALID_ORDER_MIN_SIZE",
        Rule.SIZE_STEP: "INVALID_ORDER_MIN_SIZE",
        Rule.POST_ONLY_CROSS: "INVALID_POST_ONLY_ORDER",
        Rule.FOK_UNFILLED: "FOK_ORDER_NOT_FILLED_ERROR",
        Rule.RATE_LIMITED: "HTTP_429_RATE_LIMITED",
    },
    random_reject_codes=("INVALID_ORDER_NOT_ENOUGH_BALANCE", "MARKET_NOT_READY"),
)

KALSHI = VenueProfile(
    venue=Venue.KALSHI,
    tick_size=CENT,
    min_size=SCALE,
    size_step=SCALE,
    min_marketable_buy=0,
    # quadratic: ceil(0.07 * C * P * (1 - P)) to the next cent, takers only
    fees=FeeProfile(taker_rate=70_000, quantum=CENT, rounding=Rounding.CEIL),
    rule_codes={
        Rule.TICK: "invalid_order",
        Rule.PRICE_BOUNDS: "invalid_order",
        Rule.MIN_SIZE: "invalid_order",
        Rule.SIZE_STEP: "invalid_order",
        Rule.POST_ONLY_CROSS: "invalid_order:post_only_cross",
        Rule.FOK_UNFILLED: "fill_or_kill_insufficient_resting_volume",  # (unverified)
        Rule.RATE_LIMITED: "too_many_requests",  # (unverified)
    },
    random_reject_codes=("insufficient_balance", "market_closed"),  # (unverified)
)

PROFILES = {profile.venue: profile for profile in (POLYMARKET, KALSHI)}
