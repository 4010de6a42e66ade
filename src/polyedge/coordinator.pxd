# Compiles coordinator.py's Coordinator as an extension type (setup.py's ORDER_PATH): C
# attributes, and C calls to the methods declared cpdef. The .py stays the pure-Python
# twin. A group's path through it is mostly attribute reads and calls between its own
# methods, which were dictionary lookups and Python calls.

cimport cython

from polyedge._core.orders cimport Intent as CoreIntent, Order as CoreOrder
from polyedge._core.timeline cimport Timeline


@cython.final
cdef class Coordinator:
    cdef object _config, _submit, _cancel, _quote, _leg_timeout, _unwind_ids
    cdef Timeline _scheduler
    cdef dict _records, _ends
    cdef public object metrics, settled

    @cython.locals(order=CoreOrder, intent=CoreIntent)
    cpdef start(self, group)
    cpdef _fail(self, record, str reason)
    cpdef _aborted(self, record)
    cpdef filled(self, CoreOrder order, price, size, fee)
    cpdef _time_out(self, record, CoreOrder order)
    cpdef CoreOrder _follow(self, record, CoreIntent intent)
    cpdef _exposure(self, change)
    cpdef _cancel_latency(self, record)


cpdef bint _is_leg(CoreOrder order) except -1
