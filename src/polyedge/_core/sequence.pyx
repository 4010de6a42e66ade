# cython: freethreading_compatible = True
"""Monotonic 64-bit counter, advanced with an atomic compare-and-swap."""

cimport cython
from libc.stdint cimport INT64_MAX, int64_t

from polyedge._core.atomic cimport pe_compare_exchange, pe_load_acquire

from polyedge._core.sequence_py import checked_count, checked_start, exhausted


@cython.final
cdef class Sequence:
    """Hands out 1, 2, 3, ... after `start`; never the same value twice, across threads."""

    def __init__(self, start=0):
        self._value = checked_start(start)

    def __repr__(self):
        return f"Sequence(current={self.current})"

    @property
    def current(self):
        return pe_load_acquire(&self._value)

    cpdef int64_t next(self) except -1:
        return self.next_n(1)

    cpdef int64_t next_n(self, int64_t count) except -1:
        """Reserve `count` consecutive values; returns the first of them."""
        if count < 1:
            checked_count(count)
        cdef int64_t seen = pe_load_acquire(&self._value)
        while True:
            if seen > INT64_MAX - count:
                raise exhausted(seen, count)
            if pe_compare_exchange(&self._value, &seen, seen + count):
                return seen + 1

    def advance_to(self, value):
        """Raise the high-water mark to `value` (for recovery); never lowers it."""
        cdef int64_t target = checked_start(value)
        cdef int64_t seen = pe_load_acquire(&self._value)
        while seen < target and not pe_compare_exchange(&self._value, &seen, target):
            pass
