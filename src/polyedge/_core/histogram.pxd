from libc.stdint cimport int64_t

cdef enum:
    KEPT = 7  # bits kept of each sample (histogram_py.KEPT_BITS)
    EXACT = 1 << KEPT  # samples below this are their own bucket
    PER_LENGTH = 1 << (KEPT - 1)  # buckets per bit length above that
    BUCKETS = EXACT + (63 - KEPT) * PER_LENGTH  # every non-negative int64 covered

cdef class LatencyHistogram:
    cdef readonly int64_t count
    cdef readonly int64_t max
    cdef int64_t _counts[BUCKETS]

    cpdef record(self, int64_t nanoseconds)
    cpdef int64_t percentile(self, double fraction) except -1
