# Compiles liquidity.py's classes as extension types (setup.py's ORDER_PATH): C attributes,
# and C calls to the methods declared cpdef. The .py stays the pure-Python twin.

cimport cython

from polyedge._core.book cimport OrderBook as CoreOrderBook
from polyedge._core.orders cimport Intent as CoreIntent, Order as CoreOrder
from polyedge._core.timeline cimport Timeline
from polyedge.randomness cimport Draws


cpdef tuple _yes_terms(CoreIntent intent)


cdef class MarketLiquidity:
    cdef public object tick

    cpdef quote(self, now, outcome)
    cpdef take(self, CoreOrder order, size, now, all_or_none)
    cpdef self_trades(self, CoreOrder order, now)
    cpdef rest(self, CoreOrder order, size, now)
    cpdef remove(self, order_id)


@cython.final
cdef class BookLiquidity(MarketLiquidity):
    cdef object _unit, _path, _maker_fill, _ladder, _step_size, _depth
    cdef Timeline _scheduler
    cdef readonly CoreOrderBook book
    cdef Draws _flow
    cdef object _synthetic_ids, _step, _step_ends
    cdef tuple _synthetic, _own_levels
    cdef dict _mine
    cdef bint _ticking

    cpdef _forget(self, order_id)
    cpdef _next_step(self, now)
    cpdef _catch_up(self, now)
    cpdef _maker_traded(self, order_id, yes_price, size)


@cython.final
cdef class TouchLiquidity(MarketLiquidity):
    cdef object _walk, _step, _depth_steps, _responses, _maker_fill
    cdef Timeline _scheduler
    cdef Draws _chance, _wait, _depth
