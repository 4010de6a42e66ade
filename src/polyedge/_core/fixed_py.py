"""Pure-Python twin of fixed.pyx: checked fixed-point arithmetic on 64-bit integers.

Amounts are integers of micro-units (SCALE = 10**6 per dollar, share or contract), the
resolution of Polymarket's 6-decimal tokens. Results must fit in a signed 64-bit integer
(so they fit a PostgreSQL bigint); a result outside raises, it never wraps. Every
operation that can lose precision takes an explicit Rounding.

This module also holds the cold paths the compiled module delegates to (argument errors,
overflow and division-by-zero reports), so the two implementations fail identically.
"""

from __future__ import annotations

import operator

from polyedge._core.definitions import Rounding
from polyedge.errors import FixedPointOverflow, FloatRefused, InvalidValue

DECIMALS = 6
SCALE: int = 10**DECIMALS
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


def checked_units(value: object, name: str) -> int:
    """`value` as an int of units, or a TypeError / FixedPointOverflow naming `name`."""
    if type(value) is int and INT64_MIN <= value <= INT64_MAX:  # the common case, first
        return value
    if isinstance(value, float):
        raise FloatRefused(name, value)
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an integer number of units, not bool")
    try:
        units = operator.index(value)  # type: ignore[arg-type]  # int, numpy.int64, ...
    except TypeError:
        raise TypeError(
            f"{name} must be an integer number of units, not {type(value).__name__}; "
            "convert decimal amounts with polyedge.fixedpoint.to_units()"
        ) from None
    if not INT64_MIN <= units <= INT64_MAX:
        raise FixedPointOverflow(f"{name}={units} is outside the signed 64-bit range")
    return units


def positive_units(value: object, name: str) -> int:
    """`value` as an int of units above zero, or an error naming `name`."""
    if type(value) is int and 0 < value <= INT64_MAX:  # the common case, without a call
        return value
    units = checked_units(value, name)
    if units <= 0:
        raise InvalidValue(f"{name} must be positive, got {to_str(units)}")
    return units


def to_str(units: int, decimals: int = DECIMALS) -> str:
    """`units` as the shortest exact decimal string (570000 -> '0.57', 5000000 -> '5')."""
    units = checked_units(units, "units")
    whole, fraction = divmod(abs(units), 10**decimals)
    sign = "-" if units < 0 else ""
    digits = f"{fraction:0{decimals}d}".rstrip("0") if decimals else ""
    return f"{sign}{whole}.{digits}" if digits else f"{sign}{whole}"


def checked_rounding(rounding: object) -> Rounding:
    if type(rounding) is Rounding:  # the common case, first
        return rounding
    if isinstance(rounding, bool) or not isinstance(rounding, int):
        raise TypeError(f"rounding must be a polyedge Rounding, not {type(rounding).__name__}")
    if rounding not in Rounding._value2member_map_:
        raise ValueError(f"unknown rounding mode {rounding!r}; use a polyedge Rounding")
    return Rounding(rounding)


# Read on every fee: on Python 3.11 reading a member off its Enum class costs ten times a
# global (EnumType.__getattr__).
_FLOOR, _CEIL, _TOWARD_ZERO = Rounding.FLOOR, Rounding.CEIL, Rounding.TOWARD_ZERO


def round_div(numerator: int, denominator: int, rounding: int) -> int:
    """numerator / denominator rounded as asked, exactly, for integers of any size."""
    mode = rounding if type(rounding) is Rounding else checked_rounding(rounding)  # hot: fees
    if denominator == 0:
        raise ZeroDivisionError("fixed-point division by zero")
    quotient, remainder = divmod(numerator, denominator)  # quotient is the floor
    if remainder == 0 or mode is _FLOOR:
        return quotient
    if mode is _CEIL:
        return quotient + 1
    if mode is _TOWARD_ZERO:
        return quotient + 1 if quotient < 0 else quotient
    # HALF_EVEN: the exact quotient lies strictly between quotient and quotient + 1.
    twice, whole = abs(2 * remainder), abs(denominator)
    if twice > whole or (twice == whole and quotient % 2):
        return quotient + 1
    return quotient


def _fit(result: int, expression: str) -> int:
    if not INT64_MIN <= result <= INT64_MAX:
        raise FixedPointOverflow(f"{expression} = {result} is outside the signed 64-bit range")
    return result


def add(a: int, b: int) -> int:
    """a + b, exact."""
    a, b = checked_units(a, "a"), checked_units(b, "b")
    return _fit(a + b, f"{a} + {b}")


def sub(a: int, b: int) -> int:
    """a - b, exact."""
    a, b = checked_units(a, "a"), checked_units(b, "b")
    return _fit(a - b, f"{a} - {b}")


def mul_div(a: int, b: int, c: int, rounding: int) -> int:
    """a * b / c with one rounding at the end (the product is never truncated first)."""
    a, b, c = checked_units(a, "a"), checked_units(b, "b"), checked_units(c, "c")
    return _fit(round_div(a * b, c, rounding), f"{a} * {b} / {c}")


def mul(a: int, b: int, rounding: int) -> int:
    """a * b of two amounts at SCALE, rounded back to SCALE (price * size -> notional)."""
    a, b = checked_units(a, "a"), checked_units(b, "b")
    return mul_div(a, b, SCALE, rounding)


def div(a: int, b: int, rounding: int) -> int:
    """a / b of two amounts at SCALE, rounded to SCALE (notional / price -> size)."""
    a, b = checked_units(a, "a"), checked_units(b, "b")
    return mul_div(a, SCALE, b, rounding)


def fee(size: int, price: int, rate: int, exponent: int, quantum: int, rounding: int) -> int:
    """A fee curve's fee in units: size * rate * (price * (1 - price)) ** exponent, rounded
    to a multiple of `quantum` units (size, price, rate and quantum in units). Exact."""
    variance = (price * (SCALE - price)) ** exponent
    # size * rate * variance is in units ** (2 + 2 * exponent); the fee is in units.
    steps = round_div(size * rate * variance, SCALE ** (1 + 2 * exponent) * quantum, rounding)
    return steps * quantum
