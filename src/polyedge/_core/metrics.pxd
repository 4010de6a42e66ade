cimport cython
from libc.stdint cimport int64_t

cdef enum:
    MOST_SUMS = 6  # RunMetrics' (Position has four)


cdef class _Sums:
    # Figure i is _big[i] + _small[i]: added to in C, and moved into the Python int only
    # when the C part would overflow, so it stays exact and unbounded.
    cdef int64_t _small[MOST_SUMS]
    cdef list _big

    cdef int add(self, Py_ssize_t i, int64_t value) except -1
    cdef int add_product(self, Py_ssize_t i, int64_t a, int64_t b) except -1


@cython.final
cdef class Position(_Sums):
    cdef public object winner

    cdef int trade(self, bint yes, int64_t held, int64_t price, int64_t fee) except -1


@cython.final
cdef class RunMetrics(_Sums):
    cdef public object rejects, illegal, illegal_examples, latency, positions
    cdef public object faults_handled

    cdef int registered(self, int64_t size) except -1
    cdef int filled(self, int64_t price, int64_t size, int64_t fee) except -1
