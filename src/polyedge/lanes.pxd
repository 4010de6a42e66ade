cimport cython

from polyedge.venues.simulator cimport VenueSimulator


@cython.final
cdef class Lane:
    cdef public object policy, pushed, queue, sequence, space, venue


@cython.final
cdef class VenueExecutor:
    cdef public Lane lane
    cdef VenueSimulator _simulator
    cdef object _scheduler, _tracker, _timeout

    cpdef send(self, order)
    cpdef _watch(self, order, bint cancel)
