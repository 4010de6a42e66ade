# Compiles liquidity.py's classes as extension types (setup.py's ORDER_PATH): C attributes,
# and C calls to the methods declared cpdef. The .py stays the pure-Python twin.

cimport cython

from libc.stdint cimport int64_t

from polyedge._core.book cimport OrderBook as CoreOrderBook
from polyedge._core.orders cimport Intent as CoreIntent, Order as CoreOrder
from polyedge._core.timeline cimport Timeline
from polyedge.randomness cimport Draws, IntDraws


@cython.locals(scale=int64_t, price=int64_t)
cdef (bint, int64_t) _yes_level(CoreIntent intent, int64_t unit)
@cython.locals(scale=int64_t, bid=int64_t, ask=int64_t)
cdef (int64_t, int64_t) _book_quote(CoreOrderBook book, int64_t unit, outcome)


cdef class Maker:
    cpdef maker_fill(self, order_id, price, size)


cdef class MarketLiquidity:
    cdef public object tick

    # A C pair, which the simulator compares with the order's price in C: boxed, the two
    # ints were made and freed for every order.
    cpdef (int64_t, int64_t) quote(self, now, outcome)
    cpdef take(self, CoreOrder order, size, now, all_or_none)
    cpdef self_trades(self, CoreOrder order, now)
    cpdef rest(self, CoreOrder order, size, now)
    cpdef remove(self, order_id)


@cython.final
cdef class BookLiquidity(MarketLiquidity):
    cdef object _unit, _path, _ladder, _step_size, _depth
    cdef Maker _maker
    cdef Timeline _scheduler
    cdef readonly CoreOrderBook book
    cdef IntDraws _flow
    cdef object _synthetic_ids, _step, _step_ends
    cdef tuple _synthetic, _own_levels
    cdef dict _mine
    cdef bint _ticking

    cpdef _forget(self, order_id)
    cpdef _next_step(self, now)
    cpdef _catch_up(self, now)
    cpdef _maker_traded(self, order_id, yes_price, size)
    # A market step, played for every 100 ms of a book with orders of ours in it (and for
    # every book a strategy is sent): C calls, and the book's sizes as C ints.
    @cython.locals(book=CoreOrderBook, unit=int64_t, tick=int64_t, bid=int64_t, ask=int64_t)
    cpdef _trade(self, quote)
    @cython.locals(book=CoreOrderBook, ladder=dict, live=list, resting=int64_t, missing=int64_t)
    cpdef _requote(self, bint buy, list levels, size)
    @cython.locals(book=CoreOrderBook, level=int64_t, step=int64_t, end=int64_t, found=list)
    cpdef tuple _side(self, bint buy, Py_ssize_t count)


@cython.final
cdef class TouchLiquidity(MarketLiquidity):
    cdef object _walk, _step, _depth_steps, _responses, _maker_fill
    cdef Timeline _scheduler
    cdef IntDraws _wait
    cdef Draws _chance, _depth
