cimport cython


@cython.final
cdef class OrderRouter:
    cdef dict _lanes, _venues
    cdef object _metrics, _scheduler, _tracker
    cdef public object start_group

    cpdef send(self, intent, time)
