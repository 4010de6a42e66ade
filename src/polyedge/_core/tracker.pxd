from libc.stdint cimport int64_t

from polyedge._core.eventlog cimport EventLog
from polyedge._core.metrics cimport RunMetrics
from polyedge._core.orders cimport Order

cdef enum:
    STATES = 8  # len(OrderState): checked when a tracker is made

cdef class OrderTracker:
    cdef EventLog _log
    cdef RunMetrics _metrics
    cdef object _scheduler
    cdef dict _reasons
    cdef list _histograms  # venue index x latency kind -> its histogram, once used
    cdef int64_t _ended[STATES]  # orders ended, by final state
    cdef public object groups
    cdef public object listener
    cdef readonly dict in_flight

    cpdef bint register(self, Order order) except -1
    cpdef bint apply(
        self,
        Order order,
        object event,
        object price=*,
        object size=*,
        object fee=*,
        str reason=*,
        object trade_id=*,
        object liquidity=*,
    ) except -1
    cdef int _record_latency(
        self, object venue, Py_ssize_t venue_index, Py_ssize_t kind, int64_t start, int64_t now
    ) except -1
    cdef int _refuse(
        self,
        Order order,
        object event,
        object price,
        object size,
        object fee,
        str reason,
        object now,
        bint illegal,
    ) except -1
