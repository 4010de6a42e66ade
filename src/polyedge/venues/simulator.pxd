# Compiles simulator.py's classes as extension types (setup.py's ORDER_PATH): C attributes,
# and C calls to the methods declared cpdef. The .py stays the pure-Python twin.

cimport cython
from libc.stdint cimport int64_t

from polyedge._core.orders cimport (
    FeeProfile as CoreFeeProfile,
    Intent as CoreIntent,
    Order as CoreOrder,
)
from polyedge._core.timeline cimport Timeline
from polyedge._core.tracker cimport OrderTracker as CoreTracker
from polyedge.randomness cimport Draws, IntDraws
from polyedge.venues.liquidity cimport Maker, MarketLiquidity


@cython.final
cdef class _Market:
    cdef public object config, grid
    cdef public CoreFeeProfile fees
    # Python ints: the rules compare them with the intent's, and a C int would be boxed
    # for every comparison (measured: five an order).
    cdef public object tick_size, min_size, size_step, gtd_threshold
    cdef public MarketLiquidity liquidity
    cdef public bint open


cdef class VenueSimulator


@cython.final
cdef class _Working:
    cdef public CoreOrder order
    cdef public object rest
    cdef public int64_t last  # ns: C, so that _after() adds and compares in C
    cdef public _Market market
    cdef public bint arrived
    cdef public VenueSimulator venue


@cython.locals(working=_Working)
cdef _Working _working(VenueSimulator venue, CoreOrder order, int64_t arrival, _Market market)


cdef class VenueSimulator(Maker):
    cdef object _codes, _min_marketable_buy, _random_codes, _self_trade, _responses
    cdef double _reject_rate  # C: compared with a C double draw
    cdef object _deliver, _resolve
    cdef Timeline _scheduler
    cdef CoreTracker _tracker
    cdef IntDraws _ack, _fill, _cancel
    cdef Draws _chance
    cdef readonly dict _markets  # read by tests: a market's liquidity
    cdef dict _open
    cdef set _lost
    cdef object _faults
    cdef public object faults
    cdef object _trade_ids, _refill, _capacity, _tokens, _refilled_at

    @cython.locals(working=_Working, arrival=int64_t)
    cpdef submit(self, CoreOrder order)
    @cython.locals(working=_Working)
    cpdef _behind(self, CoreOrder order, when)
    cpdef _refuse(self, now, CoreOrder order, str code)
    cpdef _answer(self, now, CoreOrder order, event, str reason=*)
    # Times in C: latencies come as C ints (IntDraws), and a time is made a Python int
    # once, for the scheduler.
    cpdef _send(
        self,
        int64_t when,
        CoreOrder order,
        event,
        reason=*,
        price=*,
        size=*,
        fee=*,
        trade_id=*,
        liquidity=*,
    )
    cpdef int64_t _connected(self, int64_t when) except? -1
    @cython.locals(when=int64_t)
    cpdef int64_t _after(self, _Working working, int64_t latency) except? -1
    @cython.locals(venue_market=_Market)
    cpdef _fill_message(self, _Working working, price, size, side)
    @cython.locals(
        order=CoreOrder, intent=CoreIntent, venue_market=_Market, liquidity=MarketLiquidity,
        taken=list, buying=bint, crosses=bint, fok=bint, stopped=bint,
        price=int64_t, bid=int64_t, ask=int64_t,
    )
    cpdef _arrive(self, _Working working)
    @cython.locals(
        scale=int64_t, price=int64_t, size=int64_t, tick=int64_t, min_size=int64_t, step=int64_t
    )
    cpdef _broken_rule(self, CoreIntent intent, _Market venue_market, now)
    @cython.locals(working=_Working)
    cpdef maker_fill(self, order_id, price, size)
    @cython.locals(working=_Working)
    cpdef _expire(self, CoreOrder order)
    @cython.locals(working=_Working)
    cpdef _cancel_arrives(self, CoreOrder order)
