/* 64-bit atomic load, store and compare-and-swap for the core's lock-free pieces
 * (the ring queue's head and tail, the sequence counter). The compiler switch lives
 * here, once, and the .pyx files reach it through `cdef extern`. */
#ifndef POLYEDGE_ATOMIC_H
#define POLYEDGE_ATOMIC_H

#include <stdint.h>

#if defined(_MSC_VER) && !defined(__clang__)
#include <intrin.h>

static inline int64_t pe_load_acquire(int64_t *p) {
    return _InterlockedOr64((volatile __int64 *)p, 0);
}
static inline void pe_store_release(int64_t *p, int64_t v) {
    _InterlockedExchange64((volatile __int64 *)p, v);
}
/* On failure, *expected receives the value seen, as with the GCC builtin. */
static inline int pe_compare_exchange(int64_t *p, int64_t *expected, int64_t desired) {
    int64_t seen = _InterlockedCompareExchange64((volatile __int64 *)p, desired, *expected);
    if (seen == *expected) return 1;
    *expected = seen;
    return 0;
}
#else
static inline int64_t pe_load_acquire(int64_t *p) {
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}
static inline void pe_store_release(int64_t *p, int64_t v) {
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}
static inline int pe_compare_exchange(int64_t *p, int64_t *expected, int64_t desired) {
    return __atomic_compare_exchange_n(p, expected, desired, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}
#endif

#endif /* POLYEDGE_ATOMIC_H */
