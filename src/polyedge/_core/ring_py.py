"""Pure-Python twin of ring.pyx: a bounded single-producer, single-consumer FIFO."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from polyedge.errors import QueueEmpty, QueueFull


def checked_capacity(capacity: int) -> int:
    """`capacity` if it is a positive power of two; otherwise a clear ValueError."""
    if isinstance(capacity, bool) or not isinstance(capacity, int):
        raise TypeError(f"capacity must be an int, not {type(capacity).__name__}")
    if capacity < 1 or capacity & (capacity - 1):
        suggestion = 1 << max(capacity - 1, 0).bit_length()
        raise ValueError(f"capacity must be a power of two >= 1, got {capacity} (try {suggestion})")
    return capacity


def full_error(capacity: int, wanted: int = 1, free: int = 0) -> QueueFull:
    if wanted == 1:
        return QueueFull(f"queue full (capacity {capacity})")
    return QueueFull(f"cannot push {wanted} items: {free} of capacity {capacity} free")


def checked_max_items(max_items: int | None, available: int) -> int:
    """How many of `available` items pop_many(max_items) takes."""
    if max_items is None:
        return available
    if max_items < 0:
        raise ValueError(f"max_items must be >= 0, got {max_items}")
    return min(max_items, available)


class RingQueue:
    """Bounded FIFO of Python objects with a fixed power-of-two capacity.

    Safe for one producer thread and one consumer thread: only the producer moves
    `_tail` and only the consumer moves `_head`, each after touching its slot.
    """

    __slots__ = ("_head", "_mask", "_slots", "_tail")

    def __init__(self, capacity: int) -> None:
        self._slots: list[Any] = [None] * checked_capacity(capacity)
        self._mask = capacity - 1
        self._head = 0  # count of items ever popped
        self._tail = 0  # count of items ever pushed

    @property
    def capacity(self) -> int:
        return self._mask + 1

    def __len__(self) -> int:
        return self._tail - self._head

    def __repr__(self) -> str:
        return f"RingQueue(len={len(self)}, capacity={self.capacity})"

    def full(self) -> bool:
        return self._tail - self._head > self._mask

    def empty(self) -> bool:
        return self._tail == self._head

    def try_push(self, item: Any) -> bool:
        tail = self._tail
        if tail - self._head > self._mask:
            return False
        self._slots[tail & self._mask] = item
        self._tail = tail + 1
        return True

    def push(self, item: Any) -> None:
        if not self.try_push(item):
            raise full_error(self.capacity)

    def push_many(self, items: Iterable[Any]) -> int:
        """Push every item, or none of them when they do not all fit; returns the count."""
        batch = items if isinstance(items, (list, tuple)) else tuple(items)
        tail = self._tail
        free = self.capacity - (tail - self._head)
        if len(batch) > free:
            raise full_error(self.capacity, len(batch), free)
        for offset, item in enumerate(batch):
            self._slots[(tail + offset) & self._mask] = item
        self._tail = tail + len(batch)
        return len(batch)

    def pop(self) -> Any:
        head = self._head
        if self._tail == head:
            raise QueueEmpty("queue empty")
        index = head & self._mask
        item = self._slots[index]
        self._slots[index] = None  # drop the queue's reference at once
        self._head = head + 1
        return item

    def pop_many(self, max_items: int | None = None) -> list[Any]:
        """Up to `max_items` items (all when None) in FIFO order; [] when empty."""
        head = self._head
        count = checked_max_items(max_items, self._tail - head)
        items = []
        for offset in range(count):
            index = (head + offset) & self._mask
            items.append(self._slots[index])
            self._slots[index] = None
        self._head = head + count
        return items
