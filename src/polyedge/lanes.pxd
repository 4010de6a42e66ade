# Compiles lanes.py's classes as extension types (setup.py's ORDER_PATH): C attributes,
# and C calls to the methods declared cpdef. The .py stays the pure-Python twin.

cimport cython

from polyedge._core.ring cimport RingQueue as CoreRingQueue
from polyedge.venues.simulator cimport VenueSimulator


@cython.final
cdef class Lane:
    cdef public object policy, pushed, sequence, space, venue
    cdef public CoreRingQueue queue


@cython.final
cdef class VenueExecutor:
    cdef public Lane lane
    cdef VenueSimulator _simulator
    cdef object _scheduler, _tracker, _timeout

    cpdef send(self, order)
    cpdef _watch(self, order, bint cancel)
