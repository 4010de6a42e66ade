from libc.stdint cimport int64_t

cdef class Sequence:
    cdef int64_t _value  # the last value handed out; only ever moved by compare-and-swap

    cpdef int64_t next(self) except -1
    cpdef int64_t next_n(self, int64_t count) except -1
