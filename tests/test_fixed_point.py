"""Fixed-point arithmetic and parsing, checked against Fraction and Decimal as references."""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from polyedge.errors import FixedPointOverflow, FloatRefused, InvalidValue, PrecisionError
from polyedge.fixedpoint import (
    CENT,
    SCALE,
    Rounding,
    from_cents,
    round_div,
    to_cents,
    to_decimal,
    to_str,
    to_units,
)

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
int64s = st.integers(INT64_MIN, INT64_MAX)
# Amounts a trading system meets: up to a trillion dollars, often small.
amounts = st.integers(-(10**18), 10**18) | st.integers(-(10**7), 10**7)
roundings = st.sampled_from(list(Rounding))

DECIMAL_ROUNDING = {
    Rounding.FLOOR: ROUND_FLOOR,
    Rounding.CEIL: ROUND_CEILING,
    Rounding.HALF_EVEN: ROUND_HALF_EVEN,
    Rounding.TOWARD_ZERO: ROUND_DOWN,
}


def reference_round(exact: Fraction, rounding: Rounding) -> int:
    """Independent of the code under test: Python's own floor, ceil, round and int."""
    if rounding is Rounding.FLOOR:
        return math.floor(exact)
    if rounding is Rounding.CEIL:
        return math.ceil(exact)
    if rounding is Rounding.HALF_EVEN:
        return round(exact)  # Fraction.__round__ rounds half to even
    return int(exact)  # truncates toward zero


def fits(value: int) -> bool:
    return INT64_MIN <= value <= INT64_MAX


# --- arithmetic, both implementations ---------------------------------------------------


@settings(max_examples=3000)
@given(a=int64s, b=int64s, c=int64s.filter(bool), rounding=roundings)
@example(a=INT64_MIN, b=INT64_MIN, c=INT64_MIN, rounding=Rounding.FLOOR)
@example(a=INT64_MIN, b=-1, c=1, rounding=Rounding.FLOOR)
@example(a=INT64_MAX, b=INT64_MAX, c=INT64_MAX, rounding=Rounding.CEIL)
@example(a=-3, b=1, c=2, rounding=Rounding.HALF_EVEN)
@example(a=5, b=1, c=-2, rounding=Rounding.HALF_EVEN)
def test_mul_div_matches_fraction(
    fixed: ModuleType, a: int, b: int, c: int, rounding: Rounding
) -> None:
    expected = reference_round(Fraction(a * b, c), rounding)
    if fits(expected):
        assert fixed.mul_div(a, b, c, rounding) == expected
    else:
        with pytest.raises(FixedPointOverflow):
            fixed.mul_div(a, b, c, rounding)


@settings(max_examples=3000)
@given(a=amounts, b=amounts, rounding=roundings)
def test_mul_and_div_match_decimal(fixed: ModuleType, a: int, b: int, rounding: Rounding) -> None:
    step = Decimal(1).scaleb(-6)
    with localcontext() as context:
        context.prec = 80  # exact for every product of two int64 amounts
        product = (to_decimal(a) * to_decimal(b)).quantize(step, DECIMAL_ROUNDING[rounding])
        expected_mul = int(product.scaleb(6))
        if fits(expected_mul):
            assert fixed.mul(a, b, rounding) == expected_mul
        else:
            with pytest.raises(FixedPointOverflow):
                fixed.mul(a, b, rounding)
        if b:
            quotient = (to_decimal(a) / to_decimal(b)).quantize(step, DECIMAL_ROUNDING[rounding])
            expected_div = int(quotient.scaleb(6))
            if fits(expected_div):
                assert fixed.div(a, b, rounding) == expected_div
            else:
                with pytest.raises(FixedPointOverflow):
                    fixed.div(a, b, rounding)


@settings(max_examples=2000)
@given(a=int64s, b=int64s)
@example(a=INT64_MAX, b=1)
@example(a=INT64_MIN, b=-1)
@example(a=INT64_MIN, b=INT64_MAX)
def test_add_and_sub_are_exact_or_raise(fixed: ModuleType, a: int, b: int) -> None:
    for operation, expected in ((fixed.add, a + b), (fixed.sub, a - b)):
        if fits(expected):
            assert operation(a, b) == expected
        else:
            with pytest.raises(FixedPointOverflow, match="outside the signed 64-bit range"):
                operation(a, b)


def test_worked_rounding_cases(fixed: ModuleType) -> None:
    half = SCALE // 2
    assert fixed.mul(3 * SCALE, half, Rounding.HALF_EVEN) == 1_500_000
    assert fixed.mul_div(5, 1, 2, Rounding.HALF_EVEN) == 2  # 2.5 -> 2
    assert fixed.mul_div(7, 1, 2, Rounding.HALF_EVEN) == 4  # 3.5 -> 4
    assert fixed.mul_div(-5, 1, 2, Rounding.HALF_EVEN) == -2
    assert fixed.mul_div(-5, 1, 2, Rounding.FLOOR) == -3
    assert fixed.mul_div(-5, 1, 2, Rounding.CEIL) == -2
    assert fixed.mul_div(-5, 1, 2, Rounding.TOWARD_ZERO) == -2
    # 100 shares at 0.57 cost 57 dollars.
    assert fixed.mul(100 * SCALE, 570_000, Rounding.FLOOR) == 57 * SCALE


@pytest.mark.parametrize("position", [0, 1, 2])
def test_float_is_refused_naming_the_argument(fixed: ModuleType, position: int) -> None:
    args: list[Any] = [SCALE, SCALE, SCALE]
    args[position] = 0.5
    with pytest.raises(FloatRefused, match=r"^" + "abc"[position] + "=0.5 is a float"):
        fixed.mul_div(*args, Rounding.FLOOR)
    with pytest.raises(TypeError, match="is a float"):
        fixed.add(*args[:2]) if position < 2 else fixed.div(SCALE, 0.5, Rounding.FLOOR)


@pytest.mark.parametrize("value", [Decimal("1"), "1", True, None])
def test_non_integers_are_refused(fixed: ModuleType, value: Any) -> None:
    with pytest.raises(TypeError, match=r"^b must be an integer number of units"):
        fixed.mul(SCALE, value, Rounding.FLOOR)


def test_numpy_integers_are_accepted(fixed: ModuleType) -> None:
    assert fixed.add(np.int64(2), np.int32(3)) == 5
    with pytest.raises(FloatRefused):
        fixed.add(np.float64(2.0), 1)


def test_out_of_range_arguments_are_refused(fixed: ModuleType) -> None:
    with pytest.raises(FixedPointOverflow, match=r"^a=9223372036854775808"):
        fixed.add(2**63, 0)


def test_division_by_zero(fixed: ModuleType) -> None:
    with pytest.raises(ZeroDivisionError):
        fixed.mul_div(1, 1, 0, Rounding.FLOOR)
    with pytest.raises(ZeroDivisionError):
        fixed.div(1, 0, Rounding.FLOOR)


@pytest.mark.parametrize(
    ("rounding", "error"),
    [(7, ValueError), (-1, ValueError), (2**70, ValueError), (None, TypeError), (True, TypeError)],
)
def test_bad_rounding_mode(fixed: ModuleType, rounding: Any, error: type) -> None:
    with pytest.raises(error, match="rounding"):
        fixed.mul_div(1, 1, 3, rounding)


@settings(max_examples=3000)
@given(
    size=amounts | int64s,
    price=st.integers(0, SCALE) | int64s,
    rate=st.integers(0, SCALE) | int64s,
    exponent=st.sampled_from([1, 2]),
    quantum=st.sampled_from([1, 10, 10_000]) | int64s.filter(bool),
    rounding=roundings,
)
@example(
    size=INT64_MAX, price=INT64_MIN, rate=INT64_MAX, exponent=2, quantum=1, rounding=Rounding.FLOOR
)
@example(size=9, price=SCALE // 2, rate=70_000, exponent=1, quantum=10_000, rounding=Rounding.CEIL)
def test_fee_matches_fraction(
    fixed: ModuleType,
    size: int,
    price: int,
    rate: int,
    exponent: int,
    quantum: int,
    rounding: Rounding,
) -> None:
    # The compiled core computes in 128 bits where that suffices, else as its twin does.
    exact = Fraction(
        size * rate * (price * (SCALE - price)) ** exponent, SCALE ** (1 + 2 * exponent)
    )
    expected = quantum * reference_round(exact / quantum, Rounding(rounding))
    assert fixed.fee(size, price, rate, exponent, quantum, rounding) == expected


# --- exact rounding of arbitrary integers -----------------------------------------------


@settings(max_examples=2000)
@given(numerator=st.integers(), denominator=st.integers().filter(bool), rounding=roundings)
def test_round_div_matches_fraction(numerator: int, denominator: int, rounding: Rounding) -> None:
    expected = reference_round(Fraction(numerator, denominator), rounding)
    assert round_div(numerator, denominator, rounding) == expected


# --- parsing and formatting ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "units"),
    [
        ("0.57", 570_000),
        ("12.8205", 12_820_500),
        (" 2435.89 ", 2_435_890_000),
        ("-0.000001", -1),
        ("1e-3", 1_000),
        (Decimal("0.3337"), 333_700),
        (5, 5_000_000),
        ("0", 0),
    ],
)
def test_to_units(value: Any, units: int) -> None:
    assert to_units(value) == units


def test_float_is_refused_by_name() -> None:
    with pytest.raises(FloatRefused, match=r"^price=0.57 is a float"):
        to_units(0.57, name="price")  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["abc", "", "1.2.3", "NaN", "Infinity", "-inf"])
def test_malformed_numbers_are_refused(value: str) -> None:
    with pytest.raises(InvalidValue, match=r"^size="):
        to_units(value, name="size")


def test_too_many_decimals_needs_a_rounding_mode() -> None:
    with pytest.raises(PrecisionError, match="more than 6 decimal places"):
        to_units("0.1234567")
    assert to_units("0.1234567", rounding=Rounding.FLOOR) == 123_456
    assert to_units("0.1234567", rounding=Rounding.CEIL) == 123_457
    assert to_units("-0.1234565", rounding=Rounding.HALF_EVEN) == -123_456
    assert to_units("12.8205", decimals=2, rounding=Rounding.TOWARD_ZERO) == 1282


@pytest.mark.parametrize("value", ["9223372036854.775808", "1e30", Decimal("-1e13")])
def test_parsing_out_of_range_raises(value: Any) -> None:
    with pytest.raises(FixedPointOverflow):
        to_units(value)


@settings(max_examples=2000)
@given(units=int64s)
def test_str_and_decimal_round_trip(units: int) -> None:
    assert to_units(to_str(units)) == units
    assert to_units(to_decimal(units)) == units
    assert to_decimal(units) == Decimal(units) / SCALE
    assert Decimal(to_str(units)) == Decimal(units) / SCALE


@settings(max_examples=2000)
@given(value=st.decimals(allow_nan=False, allow_infinity=False, places=9), rounding=roundings)
def test_parsing_with_rounding_matches_decimal_quantize(value: Decimal, rounding: Rounding) -> None:
    with localcontext() as context:
        context.prec = 80
        expected = int(value.quantize(Decimal("1e-6"), DECIMAL_ROUNDING[rounding]).scaleb(6))
    if fits(expected):
        assert to_units(value, rounding=rounding) == expected
    else:
        with pytest.raises(FixedPointOverflow):
            to_units(value, rounding=rounding)


def test_formatting() -> None:
    assert to_str(570_000) == "0.57"
    assert to_str(5_000_000) == "5"
    assert to_str(-1) == "-0.000001"
    assert to_str(1282, decimals=2) == "12.82"
    assert str(to_decimal(570_000)) == "0.570000"


def test_kalshi_cents_convert_exactly() -> None:
    assert from_cents(57) == 570_000 == 57 * CENT
    assert to_cents(570_000) == 57
    with pytest.raises(PrecisionError, match="not a whole number of cents"):
        to_cents(575_000)
    assert to_cents(575_000, Rounding.CEIL) == 58
    assert to_cents(-575_000, Rounding.TOWARD_ZERO) == -57
    with pytest.raises(FloatRefused):
        from_cents(0.5)  # type: ignore[arg-type]
