"""Venue arithmetic against the worked examples of shared/venue-rules.md and references.

The references are independent of the code under test: the official CLOB client's
algorithm replayed in exact Decimal arithmetic, Kalshi's integer-cents fee formula,
Fraction products, brute-force scans and the FeeProfile fee curve.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_CEILING, ROUND_DOWN, Decimal, localcontext
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from polyedge.errors import FloatRefused, InvalidValue
from polyedge.fixedpoint import CENT, SCALE, Rounding, to_decimal, to_units
from polyedge.types import FeeProfile, Liquidity, Side
from polyedge.venues.amounts import (
    KALSHI_MAKER_MULTIPLIER,
    KALSHI_TAKER_MULTIPLIER,
    POLYMARKET_GTD_THRESHOLD_S,
    POLYMARKET_TAKER_RATES,
    KalshiFeeType,
    KalshiPriceStructure,
    OrderAmounts,
    RoundConfig,
    kalshi_fee,
    kalshi_max_cost_count,
    polymarket_fee,
    polymarket_gtd_valid,
    polymarket_limit_amounts,
    polymarket_market_buy_amounts,
    polymarket_rounding,
)

u = to_units
BUY, SELL = Side.BUY, Side.SELL
TAKER, MAKER = Liquidity.TAKER, Liquidity.MAKER
QUADRATIC = KalshiFeeType.QUADRATIC
WITH_MAKER = KalshiFeeType.QUADRATIC_WITH_MAKER_FEES
FLAT = KalshiFeeType.FLAT
LINEAR = KalshiPriceStructure.LINEAR_CENT
TAPERED = KalshiPriceStructure.TAPERED_DECI_CENT
DECI = KalshiPriceStructure.DECI_CENT

TICKS = ["0.1", "0.01", "0.005", "0.0025", "0.001", "0.0001"]


@st.composite
def on_tick(draw: st.DrawFn) -> tuple[int, int]:
    """A (tick, price) pair: a usual tick and a valid price on it."""
    tick = u(draw(st.sampled_from(TICKS)))
    return tick, draw(st.integers(1, SCALE // tick - 1)) * tick


# From one share step (0.01: below it is refused) to ten million shares, often small.
sizes = st.integers(CENT, 10**7 * SCALE) | st.integers(CENT, 1000 * SCALE)


# --- Polymarket order amounts -------------------------------------------------------------


@pytest.mark.parametrize(
    ("side", "size", "price", "tick", "maker", "taker"),
    [
        (BUY, "100", "0.57", "0.01", 57_000_000, 100_000_000),
        (SELL, "100", "0.57", "0.01", 100_000_000, 57_000_000),
        (BUY, "12.8205", "0.78", "0.01", 9_999_600, 12_820_000),
        (SELL, "2435.89", "0.39", "0.01", 2_435_890_000, 949_997_100),
        (BUY, "33.333", "0.3337", "0.0001", 11_122_221, 33_330_000),
        # The float client signs taker 280000 here (0.29 * 100 == 28.999...); exact is 290000.
        (BUY, "0.29", "0.50", "0.01", 145_000, 290_000),
        (SELL, "0.29", "0.5", "0.1", 290_000, 145_000),
    ],
)
def test_polymarket_limit_amounts_worked_examples(
    side: Side, size: str, price: str, tick: str, maker: int, taker: int
) -> None:
    assert polymarket_limit_amounts(side, u(price), u(size), u(tick)) == OrderAmounts(maker, taker)


def test_polymarket_market_buy_worked_example() -> None:
    amounts = polymarket_market_buy_amounts(u("100"), u("0.56"), u("0.01"))
    assert amounts == OrderAmounts(maker_amount=100_000_000, taker_amount=178_571_400)


@pytest.mark.parametrize(
    ("dollars", "price", "tick", "maker", "taker"),
    [
        ("100.009", "0.56", "0.01", 100_000_000, 178_571_400),  # dollars cut to cents first
        ("1", "0.3", "0.1", 1_000_000, 3_333_000),  # 3 amount decimals at tick 0.1
        ("1", "0.003", "0.001", 1_000_000, 333_333_330),  # 5 at tick 0.001
        ("1", "0.0003", "0.0001", 1_000_000, 3_333_333_333),  # 6 at tick 0.0001
        ("1", "0.015", "0.005", 1_000_000, 66_666_660),  # 0.005 uses the 0.001 row
        ("1", "0.0075", "0.0025", 1_000_000, 133_333_333),  # 0.0025 uses the 0.0001 row
    ],
)
def test_polymarket_market_buy_truncates_per_row(
    dollars: str, price: str, tick: str, maker: int, taker: int
) -> None:
    assert polymarket_market_buy_amounts(u(dollars), u(price), u(tick)) == OrderAmounts(
        maker, taker
    )


@pytest.mark.parametrize(
    ("tick", "row"),
    [
        ("0.1", RoundConfig(1, 2, 3)),
        ("0.01", RoundConfig(2, 2, 4)),
        ("0.001", RoundConfig(3, 2, 5)),
        ("0.0001", RoundConfig(4, 2, 6)),
        ("0.005", RoundConfig(3, 2, 5)),
        ("0.0025", RoundConfig(4, 2, 6)),
        ("0.05", RoundConfig(2, 2, 4)),
    ],
)
def test_polymarket_rounding_row_is_the_coarsest_that_writes_the_tick(
    tick: str, row: RoundConfig
) -> None:
    assert polymarket_rounding(u(tick)) == row


def test_polymarket_rounding_refuses_a_tick_finer_than_the_table() -> None:
    with pytest.raises(InvalidValue, match="more than 4 decimals"):
        polymarket_rounding(u("0.00005"))


@pytest.mark.parametrize(
    ("function", "args", "name"),
    [
        (polymarket_limit_amounts, (BUY, 0.57, u("100"), u("0.01")), "price"),
        (polymarket_limit_amounts, (BUY, u("0.57"), 100.0, u("0.01")), "size"),
        (polymarket_limit_amounts, (BUY, u("0.57"), u("100"), 0.01), "tick"),
        (polymarket_market_buy_amounts, (100.0, u("0.56"), u("0.01")), "dollars"),
        (polymarket_market_buy_amounts, (u("100"), 0.56, u("0.01")), "price"),
        (polymarket_market_buy_amounts, (u("100"), u("0.56"), 0.01), "tick"),
    ],
)
def test_polymarket_amounts_refuse_floats_by_name(
    function: Callable[..., OrderAmounts], args: tuple[Any, ...], name: str
) -> None:
    with pytest.raises(FloatRefused, match=rf"^{name}="):
        function(*args)


@pytest.mark.parametrize(
    ("price", "size", "tick", "message"),
    [
        ("0.575", "100", "0.01", "not a multiple of the tick"),
        ("0", "100", "0.01", "not a multiple of the tick"),
        ("1", "100", "0.01", "not a multiple of the tick"),
        ("0.5", "0", "0.01", "size must be positive"),
        ("0.5", "-1", "0.01", "size must be positive"),
        ("0.5", "0.009999", "0.01", "less than one share step"),
        ("0.5", "100", "0", "tick must be positive"),
    ],
)
def test_polymarket_limit_amounts_refuse_bad_values(
    price: str, size: str, tick: str, message: str
) -> None:
    with pytest.raises(InvalidValue, match=message):
        polymarket_limit_amounts(BUY, u(price), u(size), u(tick))


def test_polymarket_bounds_are_inclusive() -> None:
    assert polymarket_limit_amounts(BUY, u("0.01"), u("5"), u("0.01")).maker_amount == u("0.05")
    assert polymarket_limit_amounts(BUY, u("0.99"), u("5"), u("0.01")).maker_amount == u("4.95")
    assert polymarket_limit_amounts(SELL, u("0.995"), u("5"), u("0.005")).taker_amount == u("4.975")


def test_polymarket_market_buy_refuses_less_than_a_cent() -> None:
    with pytest.raises(InvalidValue, match="less than one cent"):
        polymarket_market_buy_amounts(u("0.009"), u("0.5"), u("0.01"))


@given(side=st.sampled_from([BUY, SELL]), tick_price=on_tick(), size=sizes)
def test_polymarket_limit_amounts_are_the_exact_product_of_whole_cents_of_shares(
    side: Side, tick_price: tuple[int, int], size: int
) -> None:
    tick, price = tick_price
    amounts = polymarket_limit_amounts(side, price, size, tick)
    shares, usdc = (
        (amounts.taker_amount, amounts.maker_amount)
        if side is BUY
        else (amounts.maker_amount, amounts.taker_amount)
    )
    assert shares % (SCALE // 100) == 0 and size - SCALE // 100 < shares <= size
    # On the tick, nothing is cut from shares * price, and it never exceeds size * price.
    assert usdc * SCALE == shares * price <= size * price


@given(tick_price=on_tick(), dollars=sizes)
def test_polymarket_market_buy_receives_the_most_steps_the_dollars_pay_for(
    tick_price: tuple[int, int], dollars: int
) -> None:
    tick, price = tick_price
    amounts = polymarket_market_buy_amounts(dollars, price, tick)
    usdc, shares = amounts.maker_amount, amounts.taker_amount
    step = 10 ** (6 - polymarket_rounding(tick).amount)
    assert usdc % CENT == 0 and dollars - CENT < usdc <= dollars
    assert shares % step == 0
    assert Fraction(shares) <= Fraction(usdc * SCALE, price) < shares + step


def client_rounded(amount: Decimal, row: RoundConfig) -> Decimal:
    """The client's cut of an amount with too many decimals: up at amount + 4, then down."""
    exponent = amount.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    if -exponent <= row.amount:
        return amount
    amount = amount.quantize(Decimal(1).scaleb(-row.amount - 4), ROUND_CEILING)
    return amount.quantize(Decimal(1).scaleb(-row.amount), ROUND_DOWN)


def client_amounts(side: Side, size: Decimal, price: Decimal, row: RoundConfig) -> OrderAmounts:
    """py-clob-client's get_order_amounts, with Decimal in place of its binary floats."""
    shares = size.quantize(Decimal(1).scaleb(-row.size), ROUND_DOWN)
    usdc = client_rounded(shares * price, row)
    if side is BUY:
        return OrderAmounts(u(usdc), u(shares))
    return OrderAmounts(u(shares), u(usdc))


def client_market_buy(dollars: Decimal, price: Decimal, row: RoundConfig) -> OrderAmounts:
    """py-clob-client's get_market_order_amounts (BUY), with Decimal in place of floats."""
    usdc = dollars.quantize(Decimal(1).scaleb(-row.size), ROUND_DOWN)
    with localcontext() as context:
        context.prec = 60  # far past the amount + 4 decimals the client looks at
        shares = client_rounded(usdc / price, row)
    return OrderAmounts(u(usdc), u(shares))


@given(side=st.sampled_from([BUY, SELL]), tick_price=on_tick(), size=sizes)
def test_polymarket_limit_amounts_match_the_client_algorithm_done_exactly(
    side: Side, tick_price: tuple[int, int], size: int
) -> None:
    tick, price = tick_price
    row = polymarket_rounding(tick)
    expected = client_amounts(side, to_decimal(size), to_decimal(price), row)
    assert polymarket_limit_amounts(side, price, size, tick) == expected


@given(tick_price=on_tick(), dollars=sizes)
def test_polymarket_market_buy_matches_the_client_algorithm_done_exactly(
    tick_price: tuple[int, int], dollars: int
) -> None:
    tick, price = tick_price
    row = polymarket_rounding(tick)
    expected = client_market_buy(to_decimal(dollars), to_decimal(price), row)
    assert polymarket_market_buy_amounts(dollars, price, tick) == expected


# --- Polymarket fees ----------------------------------------------------------------------


def test_polymarket_taker_rates_by_category() -> None:
    assert dict(POLYMARKET_TAKER_RATES) == {
        "crypto": u("0.07"),
        "sports": u("0.03"),
        "finance": u("0.04"),
        "politics": u("0.04"),
        "economics": u("0.05"),
        "culture": u("0.05"),
        "weather": u("0.05"),
        "geopolitics": 0,
    }
    with pytest.raises(TypeError):
        POLYMARKET_TAKER_RATES["crypto"] = 0  # type: ignore[index]  # defaults are read-only


@pytest.mark.parametrize(
    ("size", "price", "rate", "exponent", "fee"),
    [
        ("100", "0.50", "0.07", 1, "1.75"),  # venue-rules' example
        ("100", "0.50", "0", 1, "0"),  # geopolitics
        ("100", "0.45", "0.04", 1, "0.99"),
        ("100", "0.50", "0.25", 2, "1.5625"),
        ("100", "0.10", "0.25", 2, "0.2025"),
        ("1", "0.01", "0.07", 1, "0.00069"),  # 0.000693 to nearest
        ("1", "0.01", "0.05", 1, "0.0005"),  # 0.000495 to nearest
        ("0.01", "0.50", "0.07", 1, "0.00018"),  # 0.000175: a tie, to even (up)
        ("0.03", "0.50", "0.07", 1, "0.00052"),  # 0.000525: a tie, to even (down)
        ("0.01", "0.01", "0.07", 1, "0.00001"),  # 0.00000693: nearest is the smallest fee
        ("0.01", "0.01", "0.04", 1, "0"),  # 0.00000396: below half the smallest fee
    ],
)
def test_polymarket_fee_examples(size: str, price: str, rate: str, exponent: int, fee: str) -> None:
    assert polymarket_fee(u(size), u(price), u(rate), exponent) == u(fee)


@pytest.mark.parametrize("exponent", [1, 2])
def test_polymarket_fee_is_the_fee_profile_curve(exponent: int) -> None:
    for rate in (*POLYMARKET_TAKER_RATES.values(), u("0.25"), u("0.0175")):
        profile = FeeProfile(taker_rate=rate, exponent=exponent, quantum=10)
        for price in range(u("0.001"), SCALE, u("0.013")):
            for size in (1, 10_000, u("1"), u("5"), u("33.33"), u("100"), u("2435.89")):
                expected = profile.fee(size, price, TAKER)
                assert polymarket_fee(size, price, rate, exponent) == expected


@given(
    a=sizes,
    b=sizes,
    price=st.integers(1, SCALE - 1),
    rate=st.integers(0, SCALE),
    exponent=st.sampled_from([1, 2]),
)
def test_polymarket_fee_is_nearest_and_monotone_in_size(
    a: int, b: int, price: int, rate: int, exponent: int
) -> None:
    small, large = sorted((a, b))
    fee = polymarket_fee(small, price, rate, exponent)
    exact = Fraction(small * rate, SCALE) * Fraction(price * (SCALE - price), SCALE**2) ** exponent
    assert fee % 10 == 0 and abs(fee - exact) <= 5
    assert polymarket_fee(large, price, rate, exponent) >= fee


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        ((1.0, u("0.5"), u("0.07")), FloatRefused, r"^size="),
        ((u("1"), 0.5, u("0.07")), FloatRefused, r"^price="),
        ((u("1"), u("0.5"), 0.07), FloatRefused, r"^rate="),
        ((u("1"), u("0.5"), u("0.07"), 1.0), FloatRefused, r"^exponent="),
        ((u("1"), u("0.5"), u("0.07"), 3), InvalidValue, "exponent must be 1 or 2"),
        ((u("1"), u("0.5"), -1), InvalidValue, "rate must not be negative"),
        ((0, u("0.5"), u("0.07")), InvalidValue, "size must be positive"),
        ((u("1"), 0, u("0.07")), InvalidValue, "outside"),
        ((u("1"), SCALE, u("0.07")), InvalidValue, "outside"),
    ],
)
def test_polymarket_fee_refuses_bad_arguments(
    args: tuple[Any, ...], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        polymarket_fee(*args)


def test_cross_venue_arbitrage_worked_example() -> None:
    """venue-rules: YES 0.50 on Polymarket (crypto) + NO 0.45 on Kalshi, 100 each."""
    contracts = u("100")
    pm_fee = polymarket_fee(contracts, u("0.50"), POLYMARKET_TAKER_RATES["crypto"])
    kalshi = kalshi_fee(contracts, u("0.45"), KALSHI_TAKER_MULTIPLIER, QUADRATIC, TAKER)
    assert (pm_fee, kalshi) == (u("1.75"), u("1.74"))
    cost = u("50") + u("45") + pm_fee + kalshi
    assert (cost, contracts - cost) == (u("98.49"), u("1.51"))


# --- Polymarket GTD -----------------------------------------------------------------------

NOW = 1_700_000_000


@pytest.mark.parametrize(
    ("expiration", "threshold", "valid"),
    [
        (NOW + 60, POLYMARKET_GTD_THRESHOLD_S, True),  # the boundary is accepted
        (NOW + 59, POLYMARKET_GTD_THRESHOLD_S, False),
        (NOW + 3600, POLYMARKET_GTD_THRESHOLD_S, True),
        (NOW, POLYMARKET_GTD_THRESHOLD_S, False),
        (NOW - 1, POLYMARKET_GTD_THRESHOLD_S, False),
        (NOW + 180, 180, True),  # a stricter threshold, as newer clients apply
        (NOW + 179, 180, False),
        (NOW, 0, True),
    ],
)
def test_polymarket_gtd_expiration(expiration: int, threshold: int, valid: bool) -> None:
    assert polymarket_gtd_valid(expiration, NOW, threshold) is valid


def test_polymarket_gtd_default_threshold_is_a_minute() -> None:
    assert polymarket_gtd_valid(NOW + 60, NOW)
    assert not polymarket_gtd_valid(NOW + 59, NOW)


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        ((NOW + 60.0, NOW), FloatRefused, r"^expiration_s="),
        ((NOW + 60, float(NOW)), FloatRefused, r"^now_s="),
        ((NOW + 60, NOW, 60.0), FloatRefused, r"^threshold_s="),
        ((NOW + 60, NOW, -1), InvalidValue, "threshold_s must not be negative"),
    ],
)
def test_polymarket_gtd_refuses_bad_arguments(
    args: tuple[Any, ...], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        polymarket_gtd_valid(*args)


# --- Kalshi price structures --------------------------------------------------------------


@pytest.mark.parametrize(
    ("structure", "price", "valid"),
    [
        (LINEAR, "0.01", True),
        (LINEAR, "0.99", True),
        (LINEAR, "0.5", True),
        (LINEAR, "0.095", False),
        (LINEAR, "0.005", False),
        (LINEAR, "0", False),
        (LINEAR, "1", False),
        (TAPERED, "0.001", True),
        (TAPERED, "0.095", True),
        (TAPERED, "0.099", True),
        (TAPERED, "0.10", True),  # on both grids
        (TAPERED, "0.105", False),
        (TAPERED, "0.11", True),
        (TAPERED, "0.895", False),
        (TAPERED, "0.90", True),  # on both grids
        (TAPERED, "0.901", True),
        (TAPERED, "0.905", True),
        (TAPERED, "0.999", True),
        (TAPERED, "0.0005", False),
        (TAPERED, "0", False),
        (TAPERED, "1", False),
        (DECI, "0.001", True),
        (DECI, "0.105", True),
        (DECI, "0.999", True),
        (DECI, "0.1055", False),
        (DECI, "0", False),
        (DECI, "1", False),
    ],
)
def test_kalshi_price_validity(structure: KalshiPriceStructure, price: str, valid: bool) -> None:
    assert structure.is_valid(u(price)) is valid


@pytest.mark.parametrize(
    ("structure", "price", "tick"),
    [
        (LINEAR, "0.05", "0.01"),
        (LINEAR, "0.95", "0.01"),
        (DECI, "0.5", "0.001"),
        (TAPERED, "0.099", "0.001"),
        (TAPERED, "0.1", "0.01"),
        (TAPERED, "0.5", "0.01"),
        (TAPERED, "0.9", "0.01"),
        (TAPERED, "0.901", "0.001"),
        (TAPERED, "0", "0.001"),
        (TAPERED, "1", "0.001"),
    ],
)
def test_kalshi_tick_at(structure: KalshiPriceStructure, price: str, tick: str) -> None:
    assert structure.tick_at(u(price)) == u(tick)


@pytest.mark.parametrize(
    ("structure", "count", "lowest", "highest"),
    [(LINEAR, 99, "0.01", "0.99"), (TAPERED, 99 + 81 + 99, "0.001", "0.999")],
)
def test_kalshi_grids_hold_exactly_their_prices(
    structure: KalshiPriceStructure, count: int, lowest: str, highest: str
) -> None:
    valid = [p for p in range(SCALE + 1) if structure.is_valid(p)]
    assert (len(valid), valid[0], valid[-1]) == (count, u(lowest), u(highest))


def test_kalshi_deci_cent_grid_holds_every_tenth_of_a_cent() -> None:
    valid = [p for p in range(SCALE + 1) if DECI.is_valid(p)]
    assert valid == list(range(u("0.001"), SCALE, u("0.001")))


@given(price=st.integers(-SCALE, 2 * SCALE))
def test_kalshi_tapered_grid_is_cents_inside_the_band_and_deci_cents_outside(price: int) -> None:
    in_band = u("0.10") <= price <= u("0.90")
    expected = LINEAR.is_valid(price) if in_band else DECI.is_valid(price)
    assert TAPERED.is_valid(price) is expected


def test_kalshi_price_structures_refuse_floats_and_bad_prices() -> None:
    half: Any = 0.5
    with pytest.raises(FloatRefused, match=r"^price="):
        TAPERED.is_valid(half)
    with pytest.raises(FloatRefused, match=r"^price="):
        TAPERED.tick_at(half)
    with pytest.raises(InvalidValue, match="outside"):
        TAPERED.tick_at(SCALE + 1)
    assert KalshiPriceStructure("tapered_deci_cent") is TAPERED  # the API's names


# --- Kalshi fees --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "price", "multiplier", "fee_type", "liquidity", "fee"),
    [
        ("100", "0.50", KALSHI_TAKER_MULTIPLIER, QUADRATIC, TAKER, "1.75"),
        ("1", "0.50", KALSHI_TAKER_MULTIPLIER, QUADRATIC, TAKER, "0.02"),  # 0.0175 up
        ("100", "0.45", KALSHI_TAKER_MULTIPLIER, QUADRATIC, TAKER, "1.74"),  # 1.7325 up
        ("1", "0.01", KALSHI_TAKER_MULTIPLIER, QUADRATIC, TAKER, "0.01"),  # never below a cent
        ("100", "0.50", KALSHI_MAKER_MULTIPLIER, WITH_MAKER, MAKER, "0.44"),  # 0.4375 up
        ("100", "0.50", KALSHI_TAKER_MULTIPLIER, WITH_MAKER, TAKER, "1.75"),  # takers too
        ("100", "0.50", KALSHI_MAKER_MULTIPLIER, QUADRATIC, MAKER, "0"),  # makers free
        ("100", "0.50", KALSHI_TAKER_MULTIPLIER // 2, QUADRATIC, TAKER, "0.88"),  # x0.5 series
        ("100", "0.50", 0, QUADRATIC, TAKER, "0"),
        ("100", "0.501", KALSHI_TAKER_MULTIPLIER, QUADRATIC, TAKER, "1.75"),  # deci-cent price
        ("3", "0.30", u("0.01"), FLAT, TAKER, "0.03"),  # (unverified) per contract
        ("3", "0.30", u("0.001"), FLAT, TAKER, "0.01"),  # (unverified) up to the cent
        ("3", "0.30", u("0.01"), FLAT, MAKER, "0"),  # (unverified) takers only
    ],
)
def test_kalshi_fee_examples(
    count: str,
    price: str,
    multiplier: int,
    fee_type: KalshiFeeType,
    liquidity: Liquidity,
    fee: str,
) -> None:
    assert kalshi_fee(u(count), u(price), multiplier, fee_type, liquidity) == u(fee)


def test_kalshi_taker_fee_is_the_integer_cents_formula() -> None:
    """venue-rules' integer form: ceil(7 * C * Pc * (100 - Pc) / 10000) cents."""
    for cents in range(1, 100):
        for contracts in (*range(1, 60), 99, 100, 101, 1000, 12_345):
            expected = -(-7 * contracts * cents * (100 - cents) // 10_000) * CENT
            fee = kalshi_fee(
                contracts * SCALE, cents * CENT, KALSHI_TAKER_MULTIPLIER, QUADRATIC, TAKER
            )
            assert fee == expected


@pytest.mark.parametrize("fee_type", [QUADRATIC, WITH_MAKER])
def test_kalshi_taker_fee_is_the_fee_profile_curve(fee_type: KalshiFeeType) -> None:
    profile = FeeProfile(taker_rate=KALSHI_TAKER_MULTIPLIER, quantum=CENT, rounding=Rounding.CEIL)
    for price in range(u("0.001"), SCALE, u("0.007")):
        for contracts in (1, 2, 3, 7, 10, 33, 100, 250, 1000, 99_999):
            size = contracts * SCALE
            expected = profile.fee(size, price, TAKER)
            assert kalshi_fee(size, price, KALSHI_TAKER_MULTIPLIER, fee_type, TAKER) == expected


@given(
    a=st.integers(1, 10**6),
    b=st.integers(1, 10**6),
    cents=st.integers(1, 999),
    fee_type=st.sampled_from(list(KalshiFeeType)),
    liquidity=st.sampled_from(list(Liquidity)),
)
def test_kalshi_fee_is_monotone_in_count_and_symmetric_in_price(
    a: int, b: int, cents: int, fee_type: KalshiFeeType, liquidity: Liquidity
) -> None:
    small, large = sorted((a * SCALE, b * SCALE))
    price = cents * u("0.001")
    m = KALSHI_TAKER_MULTIPLIER if liquidity is TAKER else KALSHI_MAKER_MULTIPLIER
    fee = kalshi_fee(small, price, m, fee_type, liquidity)
    assert fee % CENT == 0 and fee >= 0
    assert kalshi_fee(large, price, m, fee_type, liquidity) >= fee
    # Buying YES at P is selling NO at 1 - P: the same fee.
    assert kalshi_fee(small, SCALE - price, m, fee_type, liquidity) == fee


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        (
            (100.0, u("0.5"), KALSHI_TAKER_MULTIPLIER, QUADRATIC, TAKER),
            FloatRefused,
            r"^count_units=",
        ),
        ((u("1"), 0.5, KALSHI_TAKER_MULTIPLIER, QUADRATIC, TAKER), FloatRefused, r"^price="),
        ((u("1"), u("0.5"), 0.07, QUADRATIC, TAKER), FloatRefused, r"^multiplier="),
        ((0, u("0.5"), KALSHI_TAKER_MULTIPLIER, QUADRATIC, TAKER), InvalidValue, "positive"),
        ((u("1"), 0, KALSHI_TAKER_MULTIPLIER, QUADRATIC, TAKER), InvalidValue, "outside"),
        ((u("1"), SCALE, KALSHI_TAKER_MULTIPLIER, QUADRATIC, TAKER), InvalidValue, "outside"),
        ((u("1"), u("0.5"), -1, QUADRATIC, TAKER), InvalidValue, "multiplier must not be"),
        ((u("1"), u("0.5"), KALSHI_TAKER_MULTIPLIER, "cubic", TAKER), ValueError, "cubic"),
    ],
)
def test_kalshi_fee_refuses_bad_arguments(
    args: tuple[Any, ...], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        kalshi_fee(*args)


# --- Kalshi buy_max_cost ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "count", "max_cost", "fits"),
    [
        ("0.50", 100, "51.75", 100),  # 50.00 + 1.75 exactly
        ("0.50", 100, "51.74", 99),  # 49.50 + 1.74 = 51.24 fits, 100 does not
        ("0.50", 100, "1000", 100),  # capped by the order's count
        ("0.50", 100, "0.52", 1),  # 0.50 + 0.02
        ("0.50", 100, "0.51", 0),  # not even one contract
        ("0.50", 100, "0", 0),
        ("0.45", 100, "46.74", 100),  # 45.00 + 1.74
        ("0.45", 100, "46.73", 99),  # 44.55 + ceil(1.715175) = 46.27
        ("0.99", 10, "5", 5),  # 4.95 + ceil(0.003465) = 4.96; 6 cost 5.95
        ("0.01", 1000, "10", 935),  # 9.35 + ceil(0.647955) = 10.00; 936 cost 10.01
    ],
)
def test_kalshi_max_cost_count_worked_cases(
    price: str, count: int, max_cost: str, fits: int
) -> None:
    assert kalshi_max_cost_count(u(price), count * SCALE, u(max_cost)) == fits * SCALE


def test_kalshi_max_cost_count_with_maker_fee_series_and_flat_fees() -> None:
    # Takers on quadratic_with_maker_fees series pay the usual taker fee.
    assert kalshi_max_cost_count(u("0.50"), u("100"), u("51.74"), fee_type=WITH_MAKER) == u("99")
    # (unverified) flat 0.01 per contract: 0.51 per contract at 0.50.
    assert kalshi_max_cost_count(u("0.50"), u("100"), u("51"), u("0.01"), FLAT) == u("100")
    assert kalshi_max_cost_count(u("0.50"), u("100"), u("50.99"), u("0.01"), FLAT) == u("99")


def test_kalshi_max_cost_count_counts_whole_contracts() -> None:
    assert kalshi_max_cost_count(u("0.50"), u("2.5"), u("1000")) == u("2")
    max_cost: Any = 51.75
    with pytest.raises(FloatRefused, match=r"^max_cost="):
        kalshi_max_cost_count(u("0.5"), u("1"), max_cost)
    with pytest.raises(InvalidValue, match="max_cost must not be negative"):
        kalshi_max_cost_count(u("0.5"), u("1"), -1)


@given(
    cents=st.integers(1, 999),
    count=st.integers(1, 300),
    max_cost=st.integers(0, 400 * SCALE),
    multiplier=st.sampled_from([KALSHI_TAKER_MULTIPLIER, KALSHI_TAKER_MULTIPLIER // 2, 0]),
)
def test_kalshi_max_cost_count_is_the_largest_count_that_fits(
    cents: int, count: int, max_cost: int, multiplier: int
) -> None:
    price = cents * u("0.001")

    def cost(n: int) -> int:
        return n * price + kalshi_fee(n * SCALE, price, multiplier, QUADRATIC, TAKER)

    fits = [n for n in range(1, count + 1) if cost(n) <= max_cost]
    expected = max(fits, default=0)
    assert kalshi_max_cost_count(price, count * SCALE, max_cost, multiplier) == expected * SCALE
