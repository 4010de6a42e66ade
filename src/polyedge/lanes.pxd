# Compiles lanes.py's classes as extension types (setup.py's ORDER_PATH): C attributes,
# and C calls to the methods declared cpdef. The .py stays the pure-Python twin.

cimport cython

from polyedge._core.orders cimport Order as CoreOrder
from polyedge._core.ring cimport RingQueue as CoreRingQueue
from polyedge._core.sequence cimport Sequence as CoreSequence
from polyedge._core.timeline cimport Timeline
from polyedge._core.tracker cimport OrderTracker as CoreTracker
from polyedge.venues.simulator cimport VenueSimulator


@cython.final
cdef class Lane:
    cdef public object policy, pushed, space, venue
    cdef public CoreRingQueue queue
    cdef public CoreSequence sequence


@cython.final
cdef class VenueExecutor:
    cdef public Lane lane
    cdef VenueSimulator _simulator
    cdef CoreTracker _tracker
    cdef Timeline _scheduler
    cdef object _timeout, _sender

    @cython.locals(order=CoreOrder)
    cpdef drain(self)
    cpdef send(self, CoreOrder order)
    cpdef _watch(self, order, bint cancel)
