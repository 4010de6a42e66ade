from libc.stdint cimport int64_t

cdef class RingQueue:
    cdef list _slots
    cdef int64_t _mask
    cdef int64_t _head  # count of items ever popped; written by the consumer only
    cdef int64_t _tail  # count of items ever pushed; written by the producer only

    cpdef bint try_push(self, object item) except -1
    cpdef push(self, object item)
    cpdef object pop(self)
    cpdef bint full(self) noexcept
    cpdef bint empty(self) noexcept
