# Compiles prices.py's classes as extension types (setup.py's ORDER_PATH): C attributes,
# and C calls to the methods declared cpdef. The .py stays the pure-Python twin.

cimport cython

from polyedge.randomness cimport Draws


@cython.final
cdef class PriceWalk:
    cdef public object tick
    cdef object _half_spread, _max, _step, _ticks
    cdef Draws _steps

    cpdef fair(self, time_ns)
    cpdef quote(self, time_ns, outcome)
