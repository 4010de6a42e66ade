# Compiles liquidity.py's classes as extension types (setup.py's ORDER_PATH): C attributes,
# and C calls to the methods declared cpdef. The .py stays the pure-Python twin.

cimport cython

from polyedge.randomness cimport Draws


@cython.final
cdef class BookLiquidity:
    cdef object _unit, _path, _scheduler, _maker_fill, _ladder, _step_size, _depth
    cdef readonly object book
    cdef public object tick
    cdef Draws _flow
    cdef object _synthetic_ids, _step
    cdef tuple _synthetic, _own_levels
    cdef dict _mine
    cdef bint _ticking

    cpdef _forget(self, order_id)
    cpdef _next_step(self, now)
    cpdef _catch_up(self, now)
    cpdef _maker_traded(self, order_id, yes_price, size)
