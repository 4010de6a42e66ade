"""Fixed-point amounts: integers of micro-units, never binary floats.

Every price, size, notional and fee in polyedge is an int of micro-units (SCALE = 10**6
per dollar, share or contract). Kalshi cents are 10_000 units, exactly. This module turns
human amounts ("0.57", Decimal("12.8205"), 5) into units and back, and re-exports the
checked arithmetic of the active core (compiled or pure Python).
"""

from __future__ import annotations

from decimal import Decimal

from polyedge._core import Rounding, add, div, mul, mul_div, sub
from polyedge._core.fixed_py import (
    DECIMALS,
    INT64_MAX,
    INT64_MIN,
    SCALE,
    checked_rounding,
    checked_units,
    positive_units,
    round_div,
    to_str,
)
from polyedge.errors import FixedPointOverflow, FloatRefused, InvalidValue, PrecisionError

CENT = SCALE // 100

__all__ = [
    "CENT",
    "DECIMALS",
    "INT64_MAX",
    "SCALE",
    "Rounding",
    "add",
    "checked_units",
    "div",
    "from_cents",
    "mul",
    "mul_div",
    "positive_units",
    "round_div",
    "sub",
    "to_cents",
    "to_decimal",
    "to_str",
    "to_units",
]


def to_units(
    value: str | int | Decimal,
    *,
    name: str = "value",
    rounding: Rounding | None = None,
    decimals: int = DECIMALS,
) -> int:
    """`value` (a human amount: "0.57", Decimal("12.8205"), or 5 meaning five whole units)
    as an int at 10**decimals per unit.

    More decimals than the scale holds is a PrecisionError unless `rounding` says how to
    round. A float is refused with a TypeError naming `name`.
    """
    if isinstance(value, float):
        raise FloatRefused(name, value)
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise TypeError(f"{name} must be a str, int or Decimal, not {type(value).__name__}")
    units: int
    if isinstance(value, int):
        units = value * 10**decimals
    else:
        units = _decimal_to_units(_as_decimal(value, name), name, rounding, decimals)
    if not INT64_MIN <= units <= INT64_MAX:
        raise FixedPointOverflow(f"{name}={value!r} is outside the signed 64-bit range of units")
    return units


def _as_decimal(value: str | Decimal, name: str) -> Decimal:
    try:
        number = Decimal(value.strip()) if isinstance(value, str) else value
    except ArithmeticError:
        raise InvalidValue(f"{name}={value!r} is not a decimal number") from None
    if not number.is_finite():
        raise InvalidValue(f"{name}={value!r} is not a finite number")
    return number


def _decimal_to_units(number: Decimal, name: str, rounding: Rounding | None, decimals: int) -> int:
    sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)  # finite, checked above
    coefficient = int("".join(map(str, digits))) * (-1 if sign else 1)
    shift = exponent + decimals
    if coefficient == 0:
        return 0
    if shift >= 0:
        if shift > 19:  # at least 10**19 units: past any int64, no need to build it
            raise FixedPointOverflow(f"{name}={number} is outside the signed 64-bit range")
        multiplier: int = 10**shift
        return coefficient * multiplier
    divisor: int = 10**-shift
    if rounding is None:
        if coefficient % divisor:
            raise PrecisionError(
                f"{name}={number} has more than {decimals} decimal places; "
                "pass rounding= to round it"
            )
        return coefficient // divisor
    return round_div(coefficient, divisor, checked_rounding(rounding))


def to_decimal(units: int, decimals: int = DECIMALS) -> Decimal:
    """`units` as an exact Decimal with `decimals` places (570000 -> Decimal('0.570000'))."""
    units = checked_units(units, "units")
    return Decimal((0 if units >= 0 else 1, tuple(map(int, str(abs(units)))), -decimals))


def from_cents(cents: int) -> int:
    """Kalshi cents as units, exactly (57 -> 570000)."""
    return checked_units(checked_units(cents, "cents") * CENT, "cents")


def to_cents(units: int, rounding: Rounding | None = None) -> int:
    """Units as whole cents; a fraction of a cent needs an explicit `rounding`."""
    units = checked_units(units, "units")
    if rounding is None:
        if units % CENT:
            raise PrecisionError(f"{to_str(units)} is not a whole number of cents")
        return units // CENT
    return round_div(units, CENT, rounding)
