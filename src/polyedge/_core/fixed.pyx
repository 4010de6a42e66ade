# cython: freethreading_compatible = True
"""Checked fixed-point arithmetic on 64-bit integers (see fixed_py.py for the contract).

The fast paths are C; anything unusual (an argument that is not a plain int, an overflow,
a division by zero, a bad rounding mode) goes to the pure-Python twin, which raises the
error, so both implementations fail with the same words.
"""

from cpython.bool cimport PyBool_Check
from cpython.long cimport (
    PyLong_AsLongAndOverflow,
    PyLong_AsLongLongAndOverflow,
    PyLong_Check,
    PyLong_CheckExact,
)
from libc.stdint cimport INT64_MAX, INT64_MIN, int64_t

from polyedge._core import fixed_py as _py

from polyedge._core.fixed_py import SCALE as _SCALE_OBJ

cdef extern from "polyedge_fixed.h" nogil:
    enum: PE_OK, PE_FLOOR, PE_TOWARD_ZERO
    int pe_mul_div(int64_t a, int64_t b, int64_t c, int rounding, int64_t *out)
    int pe_fee_steps(int64_t size, int64_t price, int64_t rate, int exponent,
                     int64_t quantum, int64_t scale, int rounding, int64_t *out)

cdef int64_t SCALE = _SCALE_OBJ


cdef inline bint _int64(object value, int64_t *out) noexcept:
    """Whether `value` is an exact int that fits 64 bits (then stored in `out`)."""
    cdef int overflow = 0
    if not PyLong_CheckExact(value):
        return False
    out[0] = PyLong_AsLongLongAndOverflow(value, &overflow)
    return not overflow


cdef inline int64_t _units(object value, str name) except? -1:
    cdef int64_t units
    if _int64(value, &units):
        return units
    return _py.checked_units(value, name)


cdef inline int _rounding(object rounding) except -1:
    # A Rounding is an IntEnum, so not an exact int: accept any int subclass but bool.
    cdef int overflow = 0
    cdef long mode
    if PyLong_Check(rounding) and not PyBool_Check(rounding):
        mode = PyLong_AsLongAndOverflow(rounding, &overflow)
        if not overflow and PE_FLOOR <= mode <= PE_TOWARD_ZERO:
            return mode
    return _py.checked_rounding(rounding)  # raises the twin's error


cdef int64_t add_c(int64_t a, int64_t b) except? -1:
    if (b > 0 and a > INT64_MAX - b) or (b < 0 and a < INT64_MIN - b):
        return _py.add(a, b)
    return a + b


cdef int64_t sub_c(int64_t a, int64_t b) except? -1:
    if (b < 0 and a > INT64_MAX + b) or (b > 0 and a < INT64_MIN + b):
        return _py.sub(a, b)
    return a - b


cdef int64_t mul_div_c(int64_t a, int64_t b, int64_t c, int rounding) except? -1:
    cdef int64_t result
    if pe_mul_div(a, b, c, rounding, &result) == PE_OK:
        return result
    return _py.mul_div(a, b, c, rounding)


cdef object positive_units_c(object value, str name):
    """positive_units(), its common case (a plain int that fits, above zero) without a
    Python call: the order path checks every fill's size."""
    cdef int64_t units
    if _int64(value, &units) and units > 0:
        return value
    return _py.positive_units(value, name)


def add(a, b):
    """a + b, exact."""
    return add_c(_units(a, "a"), _units(b, "b"))


def sub(a, b):
    """a - b, exact."""
    return sub_c(_units(a, "a"), _units(b, "b"))


def mul_div(a, b, c, rounding):
    """a * b / c with one rounding at the end (the product is never truncated first)."""
    return mul_div_c(_units(a, "a"), _units(b, "b"), _units(c, "c"), _rounding(rounding))


def mul(a, b, rounding):
    """a * b of two amounts at SCALE, rounded back to SCALE (price * size -> notional)."""
    return mul_div_c(_units(a, "a"), _units(b, "b"), SCALE, _rounding(rounding))


def div(a, b, rounding):
    """a / b of two amounts at SCALE, rounded to SCALE (notional / price -> size)."""
    return mul_div_c(_units(a, "a"), SCALE, _units(b, "b"), _rounding(rounding))



cpdef object fee(object size, object price, object rate, object exponent, object quantum,
                 object rounding):
    """A fee curve's fee in units (see fixed_py.fee): in 128-bit integers when the
    figures fit, else exactly in Python's (the twin), with the same result either way."""
    cdef int64_t s, p, r, q, steps
    if (
        (exponent == 1 or exponent == 2)
        and _int64(size, &s) and _int64(price, &p) and _int64(rate, &r) and _int64(quantum, &q)
        and pe_fee_steps(s, p, r, exponent, q, SCALE, _rounding(rounding), &steps) == PE_OK
    ):
        return steps * quantum  # a Python int: the product may not fit 64 bits
    return _py.fee(size, price, rate, exponent, quantum, rounding)
