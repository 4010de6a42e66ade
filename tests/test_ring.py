"""RingQueue: bounded FIFO semantics, model-checked against collections.deque."""

from __future__ import annotations

import gc
import threading
import weakref
from collections import deque
from types import ModuleType
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from polyedge.errors import PolyedgeError, QueueEmpty, QueueFull


class Token:
    """A weak-referenceable item."""


@pytest.mark.parametrize("capacity", [1, 2, 1024, 1 << 20])
def test_capacity_powers_of_two(ring: ModuleType, capacity: int) -> None:
    queue = ring.RingQueue(capacity)
    assert queue.capacity == capacity
    assert len(queue) == 0 and queue.empty() and not queue.full()


@pytest.mark.parametrize(
    ("capacity", "error"),
    [
        (0, ValueError),
        (-4, ValueError),
        (6, ValueError),
        (1000, ValueError),
        (4.0, TypeError),
        (True, TypeError),
    ],
)
def test_bad_capacity_is_refused(ring: ModuleType, capacity: Any, error: type) -> None:
    with pytest.raises(error, match="capacity"):
        ring.RingQueue(capacity)


def test_non_power_of_two_suggests_the_next_one(ring: ModuleType) -> None:
    with pytest.raises(ValueError, match=r"got 1000 \(try 1024\)"):
        ring.RingQueue(1000)


def test_fifo_order_across_wraparound(ring: ModuleType) -> None:
    queue = ring.RingQueue(4)
    popped = []
    for value in range(100):
        queue.push(value)
        if len(queue) == 3:
            popped.append(queue.pop())
    popped.extend(queue.pop_many())
    assert popped == list(range(100))


def test_push_on_full_names_the_capacity(ring: ModuleType) -> None:
    queue = ring.RingQueue(2)
    queue.push("a")
    queue.push("b")
    assert queue.full()
    with pytest.raises(QueueFull, match="capacity 2"):
        queue.push("c")
    assert queue.try_push("c") is False
    assert queue.pop_many() == ["a", "b"]


def test_pop_on_empty(ring: ModuleType) -> None:
    queue = ring.RingQueue(2)
    with pytest.raises(QueueEmpty):
        queue.pop()
    assert issubclass(QueueEmpty, PolyedgeError) and issubclass(QueueFull, PolyedgeError)


def test_push_many_is_all_or_nothing(ring: ModuleType) -> None:
    queue = ring.RingQueue(4)
    assert queue.push_many(iter([1, 2])) == 2
    with pytest.raises(QueueFull, match="cannot push 3 items: 2 of capacity 4 free"):
        queue.push_many((3, 4, 5))
    assert len(queue) == 2
    assert queue.push_many([3, 4]) == 2
    assert queue.pop_many() == [1, 2, 3, 4]


def test_pop_many_limits(ring: ModuleType) -> None:
    queue = ring.RingQueue(8)
    queue.push_many(range(5))
    assert queue.pop_many(0) == []
    assert queue.pop_many(2) == [0, 1]
    assert queue.pop_many(10) == [2, 3, 4]
    assert queue.pop_many() == []
    with pytest.raises(ValueError, match="max_items"):
        queue.pop_many(-1)


def test_popped_items_are_released(ring: ModuleType) -> None:
    queue = ring.RingQueue(4)
    tokens = [Token() for _ in range(3)]
    refs = [weakref.ref(token) for token in tokens]
    queue.push_many(tokens)
    del tokens
    queue.pop()
    queue.pop_many()
    gc.collect()
    assert [ref() for ref in refs] == [None, None, None]


def test_reference_cycles_through_the_queue_are_collected(ring: ModuleType) -> None:
    holder = Token()
    holder.queue = ring.RingQueue(2)  # type: ignore[attr-defined]
    holder.queue.push(holder)  # type: ignore[attr-defined]
    ref = weakref.ref(holder)
    del holder
    gc.collect()
    assert ref() is None


def test_one_producer_one_consumer_thread(ring: ModuleType, switch_often: None) -> None:
    count = 200_000
    queue = ring.RingQueue(64)
    received: list[int] = []

    def produce() -> None:
        for value in range(count):
            while not queue.try_push(value):
                pass

    def consume() -> None:
        while len(received) < count:
            received.extend(queue.pop_many())

    threads = [threading.Thread(target=produce), threading.Thread(target=consume)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert received == list(range(count))


class RingAgainstDeque(RuleBasedStateMachine):
    """Every operation on the ring must match a deque used as the reference model."""

    module: ModuleType

    def __init__(self) -> None:
        super().__init__()
        self.capacity = 8
        self.queue = self.module.RingQueue(self.capacity)
        self.model: deque[int] = deque()
        self.counter = 0

    def _next(self) -> int:
        self.counter += 1
        return self.counter

    @rule()
    def try_push(self) -> None:
        value = self._next()
        pushed = self.queue.try_push(value)
        assert pushed == (len(self.model) < self.capacity)
        if pushed:
            self.model.append(value)

    @rule()
    def push(self) -> None:
        value = self._next()
        if len(self.model) < self.capacity:
            self.queue.push(value)
            self.model.append(value)
        else:
            with pytest.raises(QueueFull):
                self.queue.push(value)

    @rule(n=st.integers(0, 10))
    def push_many(self, n: int) -> None:
        values = [self._next() for _ in range(n)]
        if len(self.model) + n <= self.capacity:
            assert self.queue.push_many(values) == n
            self.model.extend(values)
        else:
            with pytest.raises(QueueFull):
                self.queue.push_many(values)

    @rule()
    def pop(self) -> None:
        if self.model:
            assert self.queue.pop() == self.model.popleft()
        else:
            with pytest.raises(QueueEmpty):
                self.queue.pop()

    @rule(n=st.none() | st.integers(0, 10))
    def pop_many(self, n: int | None) -> None:
        take = len(self.model) if n is None else min(n, len(self.model))
        assert self.queue.pop_many(n) == [self.model.popleft() for _ in range(take)]

    @invariant()
    def same_size(self) -> None:
        assert len(self.queue) == len(self.model)
        assert self.queue.empty() == (not self.model)
        assert self.queue.full() == (len(self.model) == self.capacity)


def test_model_based_against_deque(ring: ModuleType) -> None:
    machine = type("Machine", (RingAgainstDeque,), {"module": ring})
    test_case = machine.TestCase
    test_case.settings = settings(max_examples=300, stateful_step_count=60)
    test_case().runTest()
