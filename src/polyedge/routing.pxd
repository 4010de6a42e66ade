# Compiles routing.py's classes as extension types (setup.py's ORDER_PATH): C attributes,
# and C calls to the methods declared cpdef. The .py stays the pure-Python twin.

cimport cython
from libc.stdint cimport int64_t

from polyedge._core.orders cimport Cancel as CoreCancel, Intent as CoreIntent, Order as CoreOrder
from polyedge._core.orders cimport routed_order
from polyedge._core.timeline cimport Timeline
from polyedge._core.tracker cimport OrderTracker as CoreTracker
from polyedge.lanes cimport Lane


@cython.final
cdef class OrderRouter:
    cdef dict _venues
    cdef list _lanes
    cdef int64_t[::1] _routed  # by index in KINDS
    cdef int64_t[::1] _refused  # by index in _REFUSALS
    cdef object _deliver, _cancel_at
    cdef CoreTracker _tracker
    cdef Timeline _scheduler
    cdef public object start_group

    @cython.locals(intent=CoreIntent, kind=Py_ssize_t)
    cpdef route(self, item, time)
    @cython.locals(lane=Lane)
    cpdef send(self, CoreIntent intent, time)
    @cython.locals(full=Lane)
    cpdef route_all(self, list batch)
    cpdef _cancel_intent(self, CoreCancel item)
    @cython.locals(sent=bint)
    cpdef bint cancel_order(self, CoreOrder order) except -1
