# Compiles routing.py's classes as extension types (setup.py's ORDER_PATH): C attributes,
# and C calls to the methods declared cpdef. The .py stays the pure-Python twin.

cimport cython

from polyedge._core.orders cimport Intent as CoreIntent
from polyedge._core.timeline cimport Timeline


@cython.final
cdef class OrderRouter:
    cdef dict _lanes, _venues
    cdef object _metrics, _tracker
    cdef Timeline _scheduler
    cdef public object start_group

    cpdef send(self, CoreIntent intent, time)
