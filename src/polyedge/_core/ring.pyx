# cython: freethreading_compatible = True
"""Bounded single-producer, single-consumer FIFO of Python objects.

Head and tail are ever-growing counters published with release stores and read with
acquire loads, so one producer thread and one consumer thread need no lock.
"""

cimport cython
from libc.stdint cimport int64_t

from polyedge._core.atomic cimport pe_load_acquire, pe_store_release

from polyedge._core.ring_py import checked_capacity, checked_max_items, full_error
from polyedge.errors import QueueEmpty


@cython.final
cdef class RingQueue:
    """Bounded FIFO of Python objects with a fixed power-of-two capacity."""

    def __init__(self, capacity):
        self._slots = [None] * checked_capacity(capacity)
        self._mask = capacity - 1
        self._head = 0
        self._tail = 0

    @property
    def capacity(self):
        return self._mask + 1

    def __len__(self):
        return pe_load_acquire(&self._tail) - pe_load_acquire(&self._head)

    def __repr__(self):
        return f"RingQueue(len={len(self)}, capacity={self.capacity})"

    cpdef bint full(self) noexcept:
        return pe_load_acquire(&self._tail) - pe_load_acquire(&self._head) > self._mask

    cpdef bint empty(self) noexcept:
        return pe_load_acquire(&self._tail) == pe_load_acquire(&self._head)

    cpdef bint try_push(self, object item) except -1:
        cdef int64_t tail = self._tail
        if tail - pe_load_acquire(&self._head) > self._mask:
            return False
        self._slots[tail & self._mask] = item
        pe_store_release(&self._tail, tail + 1)
        return True

    cpdef push(self, object item):
        if not self.try_push(item):
            raise full_error(self._mask + 1)

    def push_many(self, items):
        """Push every item, or none of them when they do not all fit; returns the count."""
        cdef object batch = items if isinstance(items, (list, tuple)) else tuple(items)
        cdef int64_t count = len(batch)
        cdef int64_t tail = self._tail
        cdef int64_t free = self._mask + 1 - (tail - pe_load_acquire(&self._head))
        if count > free:
            raise full_error(self._mask + 1, count, free)
        for item in batch:
            self._slots[tail & self._mask] = item
            tail += 1
        pe_store_release(&self._tail, tail)
        return count

    cpdef object pop(self):
        cdef int64_t head = self._head
        if pe_load_acquire(&self._tail) == head:
            raise QueueEmpty("queue empty")
        cdef Py_ssize_t index = head & self._mask
        item = self._slots[index]
        self._slots[index] = None  # drop the queue's reference at once
        pe_store_release(&self._head, head + 1)
        return item

    def pop_many(self, max_items=None):
        """Up to `max_items` items (all when None) in FIFO order; [] when empty."""
        cdef int64_t head = self._head
        cdef Py_ssize_t count = pe_load_acquire(&self._tail) - head
        if max_items is not None:  # the common call takes all, with no Python call to check
            count = checked_max_items(max_items, count)
        cdef list items = [None] * count
        cdef Py_ssize_t offset, index
        for offset in range(count):
            index = (head + offset) & self._mask
            items[offset] = self._slots[index]
            self._slots[index] = None
        pe_store_release(&self._head, head + count)
        return items
