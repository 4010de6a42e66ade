# Compiles prices.py's classes as extension types (setup.py's ORDER_PATH): C attributes,
# and C calls to the methods declared cpdef. The .py stays the pure-Python twin.

cimport cython
from libc.stdint cimport int64_t

from polyedge.randomness cimport IntDraws


@cython.final
cdef class PriceWalk:
    # Ticks and simulated ns: C integers, far inside 64 bits.
    cdef readonly int64_t tick
    cdef int64_t _half_spread, _max, _step, _ticks
    cdef IntDraws _steps

    @cython.locals(target=int64_t, ticks=int64_t, top=int64_t)
    cpdef int64_t fair(self, int64_t time_ns) except? -1
    @cython.locals(fair=int64_t, bid=int64_t, ask=int64_t)
    cpdef tuple quote(self, int64_t time_ns, outcome)
