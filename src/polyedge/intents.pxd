# Compiles intents.py's classes as extension types (setup.py's ORDER_PATH): C attributes,
# and C calls to the methods declared cpdef. The .py stays the pure-Python twin.

cimport cython

from polyedge._core.sequence cimport Sequence as CoreSequence


@cython.final
cdef class IntentGenerator:
    cdef object _config, _rng, _weights, _cancellable, _refresh, _time
    cdef CoreSequence _ids
    cdef list _legs, _paired

    cpdef _price(self, leg, time, buy, yes, marketable, offset)

    @cython.locals(
        times=list, kinds=list, markets=list, sides=list, outcomes=list, marketable=list,
        post_only=list, offsets=list, size_draws=list, picks=list, batch=list,
        i=Py_ssize_t, count=Py_ssize_t, kind=str,
    )
    cpdef tuple _batch(self, Py_ssize_t size, end_ns)
