# Compiles intents.py's classes as extension types (setup.py's ORDER_PATH): C attributes,
# and C calls to the methods declared cpdef. The .py stays the pure-Python twin.

cimport cython
from libc.stdint cimport int64_t

from polyedge._core.orders cimport Intent as CoreIntent
from polyedge._core.sequence cimport Sequence as CoreSequence
from polyedge.venues.prices cimport PriceWalk


# The kinds by index: C ints, so the batch loop compares its drawn kinds in C.
cdef Py_ssize_t _GTC, _GTD, _FOK, _FAK, _CANCEL, _ARBITRAGE


@cython.final
cdef class _Sizes:
    cdef readonly int64_t low, count, step

    @cython.locals(steps=int64_t)
    cpdef int64_t draw(self, double uniform) except? -1


@cython.final
cdef class _Leg:
    cdef readonly object market, depth, twin
    cdef readonly PriceWalk walk
    cdef readonly _Sizes sizes, pair_sizes


@cython.final
cdef class IntentGenerator:
    cdef object _config, _rng, _weights, _cancellable, _refresh, _time
    cdef object _min_edge, _leg_time_in_force
    cdef CoreSequence _ids
    cdef list _legs, _paired

    @cython.locals(bid=int64_t, ask=int64_t, top=int64_t, ticks=int64_t)
    cpdef int64_t _price(
        self, _Leg leg, int64_t time, bint buy, bint yes, bint marketable, int64_t offset
    ) except? -1

    @cython.locals(yes_leg=_Leg, no_leg=_Leg, sizes=_Sizes)
    cpdef _opportunity(self, time, Py_ssize_t first, double draw)

    @cython.locals(
        times=list, kinds=list, markets=list, sides=list, outcomes=list, marketable=list,
        post_only=list, offsets=list, size_draws=list, picks=list, batch=list,
        i=Py_ssize_t, count=Py_ssize_t, kind=Py_ssize_t, resting=bint, leg=_Leg,
    )
    cpdef tuple _batch(self, Py_ssize_t size, end_ns)


@cython.locals(rows=list, row=tuple, batch=list, i=Py_ssize_t)
cpdef list unpack(bytes packed, tuple markets)

# Typed: the packer reads each intent's fields as C (a property lookup cost 170 each).
cpdef bytes _intent_row(time, CoreIntent intent, dict index)
