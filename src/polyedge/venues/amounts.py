"""Venue arithmetic, exact: Polymarket order amounts and fees, Kalshi price grids and fees.

Everything is an int of units (polyedge.fixedpoint: 1.0 == SCALE). Every venue number here
is a default from ../shared/venue-rules.md: the functions take rates, ticks and thresholds
as arguments, so a run configuration can override any of them.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from polyedge.errors import InvalidValue
from polyedge.fixedpoint import (
    CENT,
    DECIMALS,
    SCALE,
    Rounding,
    checked_units,
    positive_units,
    round_div,
    to_str,
)
from polyedge.types import Liquidity, Side

__all__ = [
    "KALSHI_MAKER_MULTIPLIER",
    "KALSHI_TAKER_MULTIPLIER",
    "POLYMARKET_FEE_QUANTUM",
    "POLYMARKET_GTD_THRESHOLD_S",
    "POLYMARKET_ROUNDING",
    "POLYMARKET_TAKER_RATES",
    "KalshiFeeType",
    "KalshiPriceStructure",
    "OrderAmounts",
    "RoundConfig",
    "affordable_size",
    "kalshi_fee",
    "kalshi_max_cost_count",
    "polymarket_fee",
    "polymarket_gtd_valid",
    "polymarket_limit_amounts",
    "polymarket_market_buy_amounts",
    "polymarket_rounding",
]


# --- Polymarket signed-order amounts ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RoundConfig:
    """Decimal places the official CLOB client keeps for price, size and amount."""

    price: int
    size: int
    amount: int


# The official client's table, coarsest tick first (0.1, 0.01, 0.001, 0.0001).
POLYMARKET_ROUNDING = (
    RoundConfig(price=1, size=2, amount=3),
    RoundConfig(price=2, size=2, amount=4),
    RoundConfig(price=3, size=2, amount=5),
    RoundConfig(price=4, size=2, amount=6),
)


@dataclass(frozen=True, slots=True)
class OrderAmounts:
    """What a signed order gives (maker_amount) and receives (taker_amount), in units."""

    maker_amount: int
    taker_amount: int


def polymarket_rounding(tick: int) -> RoundConfig:
    """The client's row for `tick`: the coarsest row whose price decimals can write it.

    The four standard ticks get their own row; 0.005 needs 3 price decimals (the 0.001 row)
    and 0.0025 needs 4 (the 0.0001 row), so every on-tick price is written exactly.
    """
    tick = positive_units(tick, "tick")
    for row in POLYMARKET_ROUNDING:
        if tick % 10 ** (DECIMALS - row.price) == 0:
            return row
    raise InvalidValue(f"tick {to_str(tick)} has more than 4 decimals; no rounding row fits it")


def polymarket_limit_amounts(side: Side, price: int, size: int, tick: int) -> OrderAmounts:
    """The amounts of a limit order of `size` shares at `price`, as the client signs them.

    Shares are `size` truncated to the row's size decimals, USDC is shares * price truncated
    to its amount decimals; a BUY gives USDC for shares, a SELL shares for USDC. A market
    SELL (given in shares) is signed exactly like a limit SELL: use this function for it.
    """
    side = Side(side)
    row = polymarket_rounding(tick)
    price = _on_tick(price, tick)
    shares = _truncated(positive_units(size, "size"), 1, row.size, "size")
    if shares == 0:
        raise InvalidValue(f"size {to_str(size)} is less than one share step (0.01)")
    # Never cuts for an on-tick price: price and size decimals add up to the amount's.
    usdc = _truncated(shares * price, SCALE, row.amount, "amount")
    if side is Side.BUY:
        return OrderAmounts(maker_amount=usdc, taker_amount=shares)
    return OrderAmounts(maker_amount=shares, taker_amount=usdc)


def polymarket_market_buy_amounts(dollars: int, price: int, tick: int) -> OrderAmounts:
    """The amounts of a market BUY spending `dollars` at worst price `price`.

    The maker gives `dollars` truncated to the row's size decimals and receives that sum
    divided by `price`, truncated to the amount decimals.
    """
    row = polymarket_rounding(tick)
    price = _on_tick(price, tick)
    usdc = _truncated(positive_units(dollars, "dollars"), 1, row.size, "dollars")
    if usdc == 0:
        raise InvalidValue(f"dollars {to_str(dollars)} is less than one cent")
    shares = _truncated(usdc * SCALE, price, row.amount, "amount")
    return OrderAmounts(maker_amount=usdc, taker_amount=shares)


def _on_tick(price: int, tick: int) -> int:
    price = checked_units(price, "price")
    if not tick <= price <= SCALE - tick or price % tick:
        raise InvalidValue(
            f"price {to_str(price)} is not a multiple of the tick {to_str(tick)} "
            f"within [{to_str(tick)}, {to_str(SCALE - tick)}]"
        )
    return price


def _truncated(numerator: int, denominator: int, decimals: int, name: str) -> int:
    """numerator / denominator units, truncated to `decimals` places (amounts are positive)."""
    step = 10 ** (DECIMALS - decimals)
    units = round_div(numerator, denominator * step, Rounding.TOWARD_ZERO) * step
    return checked_units(units, name)


# --- Polymarket fees and expirations ------------------------------------------------------

# Default taker rates by market category, in units. Sports is 0.03 to 0.05 by league;
# 0.03 is the rate Polymarket's fee page lists for the category, so it is the default.
POLYMARKET_TAKER_RATES: Mapping[str, int] = MappingProxyType(
    {
        "crypto": 70_000,
        "sports": 30_000,
        "finance": 40_000,
        "politics": 40_000,
        "economics": 50_000,
        "culture": 50_000,
        "weather": 50_000,
        "geopolitics": 0,
    }
)
POLYMARKET_FEE_QUANTUM = 10  # fees are rounded to 0.00001 USDC


def polymarket_fee(size: int, price: int, rate: int, exponent: int = 1) -> int:
    """The taker fee, size * rate * (p * (1 - p)) ** exponent, in units; makers never pay.

    "Rounded to 5 decimals" is read as to nearest, ties to even: the venue names no mode,
    nearest is the plain reading, half-even has no bias across many fills, and it is what
    the venue profile's FeeProfile uses, so the simulator and this function charge alike.
    (NautilusTrader's adapter floors instead; if the venue is shown to floor, change both.)
    """
    size = positive_units(size, "size")
    price = _inside_unit(price)
    rate = _not_negative(rate, "rate")
    if checked_units(exponent, "exponent") not in (1, 2):
        raise InvalidValue(f"exponent must be 1 or 2, got {exponent}")
    variance = (price * (SCALE - price)) ** exponent
    denominator = SCALE ** (1 + 2 * exponent) * POLYMARKET_FEE_QUANTUM
    steps = round_div(size * rate * variance, denominator, Rounding.HALF_EVEN)
    return steps * POLYMARKET_FEE_QUANTUM


POLYMARKET_GTD_THRESHOLD_S = 60


def polymarket_gtd_valid(
    expiration_s: int, now_s: int, threshold_s: int = POLYMARKET_GTD_THRESHOLD_S
) -> bool:
    """Whether the venue accepts a GTD order expiring at `expiration_s` (unix seconds).

    The venue expires a GTD order `threshold_s` before its expiration (its security
    threshold), and accepts expiration >= now + threshold: the boundary is inclusive, as
    Polymarket's maintainers confirmed for the server (Polymarket/py-sdk#44 and #46). An
    order at the boundary is accepted with no life left: callers add their own margin.
    """
    expiration_s = checked_units(expiration_s, "expiration_s")
    now_s = checked_units(now_s, "now_s")
    return expiration_s >= now_s + _not_negative(threshold_s, "threshold_s")


# --- Kalshi ------------------------------------------------------------------------------

_DECI_CENT = CENT // 10
_CENT_BAND = (100_000, 900_000)  # where tapered_deci_cent moves in whole cents


class KalshiPriceStructure(StrEnum):
    """A Kalshi market's price grid (its price level structure)."""

    LINEAR_CENT = "linear_cent"  # $0.01 everywhere
    TAPERED_DECI_CENT = "tapered_deci_cent"  # $0.001 below $0.10 and above $0.90
    DECI_CENT = "deci_cent"  # $0.001 everywhere

    @property
    def min_tick(self) -> int:
        return CENT if self is KalshiPriceStructure.LINEAR_CENT else _DECI_CENT

    def tick_at(self, price: int) -> int:
        """The grid step at `price`, in units.

        The tapered cent band is closed, [0.10, 0.90]: its ends lie on both grids and count
        as cent prices, so 0.10 and 0.90 are valid, 0.105 and 0.895 are not, 0.095 and 0.905
        are (the step down from 0.10 is to 0.099, the step up to 0.11).
        """
        price = checked_units(price, "price")
        if not 0 <= price <= SCALE:
            raise InvalidValue(f"price {to_str(price)} is outside [0, 1]")
        if self is KalshiPriceStructure.TAPERED_DECI_CENT:
            low, high = _CENT_BAND
            return CENT if low <= price <= high else _DECI_CENT
        return self.min_tick

    def is_valid(self, price: int) -> bool:
        """Whether `price` is on this grid within [min tick, 1 - min tick]."""
        price = checked_units(price, "price")
        low = self.min_tick
        return low <= price <= SCALE - low and price % self.tick_at(price) == 0


class KalshiFeeType(StrEnum):
    """How a Kalshi series charges fees (its fee_type)."""

    QUADRATIC = "quadratic"  # takers only
    QUADRATIC_WITH_MAKER_FEES = "quadratic_with_maker_fees"  # makers pay too, at their rate
    FLAT = "flat"  # (unverified) `multiplier` dollars per contract, takers only


# Fee multipliers in units; a series' fee_multiplier scales both (0.5 halves them;
# unverified).
KALSHI_TAKER_MULTIPLIER = 70_000  # 0.07
KALSHI_MAKER_MULTIPLIER = 17_500  # 0.0175


def kalshi_fee(
    count_units: int, price: int, multiplier: int, fee_type: KalshiFeeType, liquidity: Liquidity
) -> int:
    """The fee in units on `count_units` (1 contract == SCALE) matched at `price`.

    Quadratic: ceil(multiplier * C * P * (1 - P)) to the next cent, where `multiplier` is
    the charged side's (KALSHI_TAKER_MULTIPLIER for a taker, KALSHI_MAKER_MULTIPLIER for a
    maker). Makers pay only on QUADRATIC_WITH_MAKER_FEES series.
    """
    count = positive_units(count_units, "count_units")
    price = _inside_unit(price)
    multiplier = _not_negative(multiplier, "multiplier")
    fee_type = KalshiFeeType(fee_type)
    makers_pay = fee_type is KalshiFeeType.QUADRATIC_WITH_MAKER_FEES
    if Liquidity(liquidity) is Liquidity.MAKER and not makers_pay:
        return 0
    if fee_type is KalshiFeeType.FLAT:
        exact, denominator = multiplier * count, SCALE
    else:
        exact, denominator = multiplier * count * price * (SCALE - price), SCALE**3
    return round_div(exact, denominator * CENT, Rounding.CEIL) * CENT


def kalshi_max_cost_count(
    price: int,
    count_units: int,
    max_cost: int,
    multiplier: int = KALSHI_TAKER_MULTIPLIER,
    fee_type: KalshiFeeType = KalshiFeeType.QUADRATIC,
) -> int:
    """The most whole contracts (in units) of a buy at `price`, up to `count_units`, whose
    cost plus taker fee stays within `max_cost` (units); 0 when not even one fits.

    Kalshi's buy_max_cost makes the order fill-or-kill, so this is the size to cap it at.
    """
    price = _inside_unit(price)
    return affordable_size(
        price,
        positive_units(count_units, "count_units"),
        max_cost,
        SCALE,
        lambda size: kalshi_fee(size, price, multiplier, fee_type, Liquidity.TAKER),
    )


def affordable_size(
    price: int, size: int, max_cost: int, step: int, fee: Callable[[int], int]
) -> int:
    """The largest multiple of `step` up to `size` whose cost at `price` plus `fee(size)`
    stays within `max_cost` (all units); 0 when not even one step fits."""
    max_cost = _not_negative(max_cost, "max_cost")

    def cost(steps: int) -> int:  # grows with the size, so the sizes that fit are a prefix
        filled = steps * step
        return -(-filled * price // SCALE) + fee(filled)

    return bisect_right(range(1, size // step + 1), max_cost, key=cost) * step


# --- shared checks ------------------------------------------------------------------------


def _inside_unit(price: int) -> int:
    price = checked_units(price, "price")
    if not 0 < price < SCALE:
        raise InvalidValue(f"price {to_str(price)} is outside (0, 1)")
    return price


def _not_negative(value: int, name: str) -> int:
    value = checked_units(value, name)
    if value < 0:
        raise InvalidValue(f"{name} must not be negative, got {value}")
    return value
