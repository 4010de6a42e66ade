"""Sequence: monotonic, contiguous blocks, never the same value twice across threads."""

from __future__ import annotations

import threading
from types import ModuleType
from typing import Any

import pytest

from polyedge.errors import PolyedgeError, SequenceExhausted

INT64_MAX = 2**63 - 1


def test_counts_up_from_start(sequence: ModuleType) -> None:
    counter = sequence.Sequence()
    assert counter.current == 0
    assert [counter.next() for _ in range(3)] == [1, 2, 3]
    assert counter.current == 3


def test_resumes_after_a_start(sequence: ModuleType) -> None:
    counter = sequence.Sequence(start=41)
    assert counter.next() == 42


def test_next_n_reserves_a_contiguous_block(sequence: ModuleType) -> None:
    counter = sequence.Sequence(start=10)
    assert counter.next_n(5) == 11  # 11..15 are now reserved
    assert counter.current == 15
    assert counter.next() == 16


@pytest.mark.parametrize("count", [0, -3])
def test_next_n_needs_a_positive_count(sequence: ModuleType, count: int) -> None:
    counter = sequence.Sequence()
    with pytest.raises(ValueError, match="count must be >= 1"):
        counter.next_n(count)
    assert counter.current == 0


@pytest.mark.parametrize(
    ("start", "error"), [(-1, ValueError), (2**63, ValueError), (1.0, TypeError), (True, TypeError)]
)
def test_bad_start_is_refused(sequence: ModuleType, start: Any, error: type) -> None:
    with pytest.raises(error, match="start"):
        sequence.Sequence(start)


def test_exhaustion_raises_and_leaves_the_counter_alone(sequence: ModuleType) -> None:
    counter = sequence.Sequence(start=INT64_MAX - 2)
    assert counter.next_n(2) == INT64_MAX - 1
    with pytest.raises(SequenceExhausted):
        counter.next()
    assert counter.current == INT64_MAX
    assert issubclass(SequenceExhausted, PolyedgeError)


def test_advance_to_only_raises_the_mark(sequence: ModuleType) -> None:
    counter = sequence.Sequence(start=100)
    counter.advance_to(50)
    assert counter.current == 100
    counter.advance_to(500)
    assert counter.next() == 501
    with pytest.raises(ValueError):
        counter.advance_to(-1)


def test_threads_never_share_a_value(sequence: ModuleType, switch_often: None) -> None:
    counter = sequence.Sequence()
    per_thread = 20_000
    results: list[list[int]] = []

    def take() -> None:
        mine: list[int] = []
        for i in range(per_thread):
            if i % 10 == 0:
                first = counter.next_n(3)
                mine.extend(range(first, first + 3))
            else:
                mine.append(counter.next())
        results.append(mine)

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    handed_out = sorted(value for mine in results for value in mine)
    assert len(results) == 4
    assert all(mine == sorted(mine) for mine in results)  # monotonic within each thread
    assert handed_out == list(range(1, counter.current + 1))  # no duplicates, no gaps
