# Declarations of polyedge_atomic.h, shared by the .pyx files that need atomics.
from libc.stdint cimport int64_t

cdef extern from "polyedge_atomic.h" nogil:
    int64_t pe_load_acquire(int64_t *p)
    void pe_store_release(int64_t *p, int64_t v)
    bint pe_compare_exchange(int64_t *p, int64_t *expected, int64_t desired)
