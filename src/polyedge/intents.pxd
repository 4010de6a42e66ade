cimport cython

from polyedge._core.sequence cimport Sequence as CoreSequence


@cython.final
cdef class IntentGenerator:
    cdef object _config, _rng, _weights, _cancellable, _refresh, _time
    cdef CoreSequence _ids
    cdef list _legs, _paired

    cpdef _price(self, leg, time, buy, yes, marketable, offset)
