from libc.stdint cimport int64_t

cdef struct Due:
    int64_t when
    int64_t order  # scheduling order: breaks ties between equal times
    Py_ssize_t slot  # where the action and its arguments are kept
    bint background

cdef struct Heap:
    Due *entries  # a binary min-heap on (when, order)
    Py_ssize_t size
    Py_ssize_t capacity

cdef class Timeline:
    cdef int64_t _now  # read as `now`: a property, which the real-time scheduler overrides
    cdef object _clock  # `_now` as a Python int once asked for (None since the time moved)
    cdef Heap _near  # the actions due within FAR_NS of when they were scheduled
    cdef Heap _far  # the rest (resting orders' expiries): kept out of the near one's way
    cdef Py_ssize_t _size  # in both
    cdef Py_ssize_t *_free  # slots no action holds
    cdef Py_ssize_t _free_count
    cdef Py_ssize_t _free_capacity
    cdef Py_ssize_t _slots  # slots ever handed out
    cdef Py_ssize_t _background
    cdef int64_t _counter
    cdef list _actions  # slot -> action, or None
    cdef list _args  # slot -> the action's arguments, or None

    cpdef object clock(self)
    cdef int64_t now_ns(self) noexcept
    cpdef schedule(self, int64_t when, action, tuple args, bint background=*)
    cdef int _push(self, int64_t when, object action, tuple args, bint background) except -1
    cdef Py_ssize_t _take_slot(self) noexcept
    cdef int _release_slot(self, Py_ssize_t slot) except -1
    cdef const Due *_first(self) noexcept
    cdef Due _pop(self, const Due *first) noexcept


cdef inline int64_t now_of(object scheduler) except? -1:
    """`scheduler.now` as a C int, from the C field when it is exactly a Timeline (virtual
    time): no property lookup, and no Python int made; a subclass (real time keeps the
    loop's clock) or any other clock (the tracker accepts one with just `now`) is asked
    for its `now`."""
    if type(scheduler) is Timeline:
        return (<Timeline>scheduler).now_ns()
    return scheduler.now
