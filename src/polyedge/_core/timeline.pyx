# cython: freethreading_compatible = True
"""Timeline: a run's actions in simulated-time order (see timeline_py.py for the contract).

The heap holds plain C records (time, scheduling order, slot); the actions and their
argument tuples wait in two lists at their slot, where the garbage collector sees them.
So scheduling costs no tuple of its own and no comparison of Python objects, and the
loop that runs the actions is C.

One engine thread owns a timeline. Shared across threads on free-threaded Python it
stays memory-safe: the C state changes only inside critical sections that call no
Python API (which could suspend them), and each slot's list entries belong to the one
caller holding that slot. Actions run outside any lock, and may schedule more.
"""

cimport cython
from cpython.long cimport PyLong_CheckExact
from cpython.object cimport PyObject
from cpython.tuple cimport PyTuple_GET_ITEM, PyTuple_GET_SIZE
from libc.stdint cimport int64_t
from libc.stdlib cimport free, malloc, realloc

from polyedge._core.timeline_py import checked_time

cdef extern from "Python.h":
    size_t PY_VECTORCALL_ARGUMENTS_OFFSET
    object PyObject_Vectorcall(object callable, PyObject **args, size_t nargsf, PyObject *kwnames)

cdef enum:
    FIRST_CAPACITY = 1024  # heap entries and free slots; each doubled when full
    CALL_STACK = 16  # actions with fewer arguments are called from a C array

# Actions due further ahead than this when scheduled wait in a heap of their own. Most of
# a run's are messages due within milliseconds; thousands of resting orders' expiries,
# seconds ahead, made the heap of those four levels deeper, for every push and pop
# (measured: 140 instructions an intent). Each pop takes the earlier of the two heaps'
# first entries, so the order is exactly one heap's.
cdef int64_t FAR_NS = 1_000_000_000


cdef inline int64_t _time(object when) except? -1:
    if PyLong_CheckExact(when):
        return when  # OverflowError past 64 bits
    return checked_time(when)  # numpy ints; TypeError for floats and the like


cdef inline bint _before(const Due *a, const Due *b) noexcept:
    return a.when < b.when or (a.when == b.when and a.order < b.order)


cdef inline void _sift_up(Due *heap, Py_ssize_t i, Due due) noexcept:
    """Put `due` in the hole at `i`, moving the later entries above it down."""
    cdef Py_ssize_t parent
    while i > 0:
        parent = (i - 1) >> 1
        if not _before(&due, &heap[parent]):
            break
        heap[i] = heap[parent]
        i = parent
    heap[i] = due


cdef void *_doubled(void *array, Py_ssize_t *capacity, size_t item) noexcept:
    """`array` with room for twice `capacity` items (updated), or NULL (then unchanged)."""
    cdef void *grown = realloc(array, 2 * capacity[0] * item)
    if grown != NULL:
        capacity[0] *= 2
    return grown


cdef int _heap_init(Heap *heap) except -1:
    heap.entries = <Due *>malloc(FIRST_CAPACITY * sizeof(Due))
    if heap.entries == NULL:
        raise MemoryError()
    heap.capacity = FIRST_CAPACITY
    return 0


cdef int _heap_push(Heap *heap, Due due) except -1:
    cdef Due *grown
    if heap.size == heap.capacity:
        grown = <Due *>_doubled(heap.entries, &heap.capacity, sizeof(Due))
        if grown == NULL:
            raise MemoryError()
        heap.entries = grown
    _sift_up(heap.entries, heap.size, due)
    heap.size += 1
    return 0


cdef Due _heap_pop(Heap *heap) noexcept:
    """Take the earliest entry off `heap` (which must not be empty)."""
    cdef Due *entries = heap.entries
    cdef Due first = entries[0]
    cdef Due last
    cdef Py_ssize_t i = 0, child = 1
    heap.size -= 1
    cdef Py_ssize_t size = heap.size
    if size:
        last = entries[size]
        # heapq's way: the hole left at the root goes down to a leaf along the earlier
        # child (one comparison a level, where sifting `last` down takes two); then
        # `last`, which came from the bottom, rises from there, rarely far (measured:
        # 7% fewer instructions a pop, 321 against 347).
        while child < size:
            if child + 1 < size and _before(&entries[child + 1], &entries[child]):
                child += 1
            entries[i] = entries[child]
            i = child
            child = 2 * i + 1
        _sift_up(entries, i, last)
    return first


cdef class Timeline:
    """Actions due at simulated times in ns, run in time order (ties: first scheduled).

    Not final: the real-time scheduler derives from it (polyedge.scheduler).
    """

    def __cinit__(self):
        _heap_init(&self._near)  # MemoryError: __dealloc__ frees what was allocated
        _heap_init(&self._far)
        self._free = <Py_ssize_t *>malloc(FIRST_CAPACITY * sizeof(Py_ssize_t))
        if self._free == NULL:
            raise MemoryError()
        self._free_capacity = FIRST_CAPACITY
        self._actions = []
        self._args = []
        self._clock = 0

    def __dealloc__(self):
        free(self._near.entries)
        free(self._far.entries)
        free(self._free)

    def __len__(self):
        return self._size

    def next_due(self):
        """When the earliest scheduled action is due, or None when nothing is."""
        cdef int64_t when = 0
        cdef bint any_due
        cdef const Due *first
        with cython.critical_section(self):
            first = self._first()
            any_due = first != NULL
            if any_due:
                when = first.when
        return when if any_due else None

    @property
    def busy(self):
        """Whether anything but background actions is scheduled."""
        return self._size > self._background

    @property
    def now(self):
        """ns: the time of the action running, or the last limit reached."""
        return self.clock()

    cpdef object clock(self):
        """`now`, as a C call from the compiled order path, where reading the property is a
        Python attribute lookup (measured: 200 instructions a read, 5 reads an intent).
        The real-time scheduler overrides it with the loop's clock. A Python int: typed as
        a C one, the callers' locals were inferred C and boxed again at every use. Boxed
        at the first read after the time moves and kept: not boxed again at every read
        (six reads an event), nor for actions that read the time only as a C int."""
        cdef object boxed
        cdef int64_t now
        with cython.critical_section(self):
            boxed = self._clock
            now = self._now
        if boxed is None:
            boxed = now  # allocated outside the critical section
            with cython.critical_section(self):
                if self._now == now:
                    self._clock = boxed
        return boxed

    cdef int64_t now_ns(self) noexcept:
        """`now` as a C int (now_of() reads it): the tracker's, which makes no Python int."""
        with cython.critical_section(self):
            return self._now

    def at(self, when, action, *args):
        """Run `action(*args)` at `when` ns (at the current time, if that is past)."""
        self.schedule(_time(when), action, args)

    def at_background(self, when, action, *args):
        """Like at(), but not keeping the run alive when nothing else is scheduled."""
        self.schedule(_time(when), action, args, True)

    cpdef schedule(self, int64_t when, action, tuple args, bint background=False):
        """at() or at_background() with the arguments as one tuple: a C call from the
        compiled order path, where building the tuple costs less than Python's call.

        The time is a C int: the order path has its times as C ints, and an int boxed
        for the call cost an allocation and a free (measured: 430 instructions an
        intent). So, called from Python, a float is truncated as C converts it; at()
        and at_background() check the time as the twin does."""
        self._push(when, action, args, background)

    cdef int _push(self, int64_t when, object action, tuple args, bint background) except -1:
        cdef Py_ssize_t slot = self._take_slot()
        while len(self._actions) <= slot:  # a new slot: the lists grow to reach it
            self._actions.append(None)
            self._args.append(None)
        self._actions[slot] = action
        self._args[slot] = args
        cdef Due due
        with cython.critical_section(self):
            due = Due(when if when > self._now else self._now, self._counter + 1, slot, background)
            _heap_push(&self._far if due.when - self._now > FAR_NS else &self._near, due)
            self._counter += 1
            self._size += 1
            if background:
                self._background += 1
        return 0

    cdef Py_ssize_t _take_slot(self) noexcept:
        """A slot for a new action: a free one, or the next never used."""
        cdef Py_ssize_t slot
        with cython.critical_section(self):
            if self._free_count:
                self._free_count -= 1
                slot = self._free[self._free_count]
            else:
                slot = self._slots
                self._slots += 1
        return slot

    cdef int _release_slot(self, Py_ssize_t slot) except -1:
        """Give back a slot whose list entries are cleared."""
        cdef Py_ssize_t *free_slots
        with cython.critical_section(self):
            if self._free_count == self._free_capacity:
                free_slots = <Py_ssize_t *>_doubled(
                    self._free, &self._free_capacity, sizeof(Py_ssize_t)
                )
                if free_slots == NULL:
                    raise MemoryError()
                self._free = free_slots
            self._free[self._free_count] = slot
            self._free_count += 1
        return 0

    cdef inline const Due *_first(self) noexcept:
        """The earliest entry of the two heaps, or NULL when both are empty."""
        if not self._far.size:
            return self._near.entries if self._near.size else NULL
        if not self._near.size or _before(self._far.entries, self._near.entries):
            return self._far.entries
        return self._near.entries

    cdef Due _pop(self, const Due *first) noexcept:
        """Take `first`, the earliest entry (from _first()), off its heap."""
        cdef Due due = _heap_pop(&self._far if first == self._far.entries else &self._near)
        self._size -= 1
        if due.background:
            self._background -= 1
        return due

    def run_until(self, limit=None):
        """Run every action due up to `limit` ns (when None: until only background actions
        are left), in time order; then the time is `limit` (if later).

        An action's exception propagates; the actions after it stay scheduled.
        """
        cdef bint bounded = limit is not None
        cdef int64_t until = _time(limit) if bounded else 0
        cdef const Due *first
        cdef Due due
        cdef object action
        cdef tuple args
        cdef PyObject *stack[CALL_STACK]
        cdef Py_ssize_t i, count
        while True:
            with cython.critical_section(self):
                first = self._first()
                if first == NULL or (
                    first.when > until if bounded else self._size <= self._background
                ):
                    break
                due = self._pop(first)
                if due.when != self._now:
                    self._now = due.when
                    self._clock = None  # boxed again when asked for
            action = self._actions[due.slot]
            args = self._args[due.slot]
            self._actions[due.slot] = None  # the lists hold nothing that has run
            self._args[due.slot] = None
            self._release_slot(due.slot)
            count = PyTuple_GET_SIZE(args)
            if count < CALL_STACK:
                # The arguments after a spare slot, which vectorcall lets the callee use:
                # a bound method puts its self there instead of allocating a new array,
                # as it must for more than four arguments (measured: 140 ns a message).
                for i in range(count):
                    stack[i + 1] = PyTuple_GET_ITEM(args, i)
                PyObject_Vectorcall(action, stack + 1, count | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL)
            else:
                action(*args)
        if bounded and until > self._now:
            with cython.critical_section(self):
                self._now = until
                self._clock = None
