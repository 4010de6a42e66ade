# cython: freethreading_compatible = True
"""LatencyHistogram with its buckets in a C array (see histogram_py.py for the contract).

Bucket i holds the samples whose value, all but the top KEPT bits cleared, is the i-th
such value in increasing order: below EXACT a sample is its own bucket; above, each bit
length has PER_LENGTH buckets. So recording is a few integer operations, and reading
percentiles walks the array in value order.
"""

from polyedge._core.histogram_py import LatencySummary, rank, summary
from polyedge.errors import InvalidValue


cdef inline int _bit_length(int64_t value) noexcept:
    """The bits of a non-negative value, by halving the range: six steps whatever the value
    (portable, unlike clz), where shifting one bit at a time took twenty for a latency."""
    cdef int bits = 0
    cdef int half = 32
    while half:
        if value >> half:
            value >>= half
            bits += half
        half >>= 1
    return bits + <int>value


cdef inline Py_ssize_t _index(int64_t value) noexcept:
    """The bucket of a non-negative sample."""
    cdef int shift = _bit_length(value) - KEPT
    if shift <= 0:
        return value
    return EXACT + (shift - 1) * PER_LENGTH + ((value >> shift) - PER_LENGTH)


cdef inline int64_t _value(Py_ssize_t index) noexcept:
    if index < EXACT:
        return index
    index -= EXACT
    return (PER_LENGTH + index % PER_LENGTH) << (index // PER_LENGTH + 1)


cdef class LatencyHistogram:
    """Latency samples in ns, counted per bucket; memory stays flat."""

    cpdef record(self, int64_t nanoseconds):
        if nanoseconds < 0:
            raise InvalidValue(f"a latency cannot be negative: {nanoseconds} ns")
        self._counts[_index(nanoseconds)] += 1
        self.count += 1
        if nanoseconds > self.max:
            self.max = nanoseconds

    cpdef int64_t percentile(self, double fraction) except -1:
        """The smallest bucket value at or below which `fraction` of samples lie."""
        if not self.count:
            return 0
        cdef int64_t wanted = rank(fraction, self.count)
        cdef int64_t seen = 0
        cdef Py_ssize_t index
        for index in range(BUCKETS):
            seen += self._counts[index]
            if seen >= wanted:
                return _value(index)
        return self.max

    def summary(self):
        return summary(self)
