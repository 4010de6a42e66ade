"""Pure-Python twin of sequence.pyx: a monotonic 64-bit counter."""

from __future__ import annotations

import threading

from polyedge.errors import SequenceExhausted

INT64_MAX = 2**63 - 1


def checked_start(start: int) -> int:
    if isinstance(start, bool) or not isinstance(start, int):
        raise TypeError(f"start must be an int, not {type(start).__name__}")
    if not 0 <= start <= INT64_MAX:
        raise ValueError(f"start must be between 0 and {INT64_MAX}, got {start}")
    return start


def checked_count(count: int) -> int:
    if count < 1:
        raise ValueError(f"count must be >= 1, got {count}")
    return count


def exhausted(current: int, count: int) -> SequenceExhausted:
    return SequenceExhausted(f"sequence at {current} cannot hand out {count} more values")


class Sequence:
    """Hands out 1, 2, 3, ... after `start`; never the same value twice, across threads.

    `current` is the last value handed out (the high-water mark a recovery resumes from).
    """

    __slots__ = ("_lock", "_value")

    def __init__(self, start: int = 0) -> None:
        self._value = checked_start(start)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Sequence(current={self._value})"

    @property
    def current(self) -> int:
        return self._value

    def next(self) -> int:
        return self.next_n(1)

    def next_n(self, count: int) -> int:
        """Reserve `count` consecutive values; returns the first of them."""
        checked_count(count)
        with self._lock:
            first = self._value + 1
            if self._value > INT64_MAX - count:
                raise exhausted(self._value, count)
            self._value += count
        return first

    def advance_to(self, value: int) -> None:
        """Raise the high-water mark to `value` (for recovery); never lowers it."""
        checked_start(value)
        with self._lock:
            self._value = max(self._value, value)
