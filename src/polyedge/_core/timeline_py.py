"""Timeline: a run's actions in simulated-time order (pure-Python twin of timeline.pyx).

Each action is a callable with its arguments, due at a time in nanoseconds. run_until()
jumps from one to the next, so simulated latency costs no wall time; actions due at the
same time run in the order they were scheduled, so a run is deterministic. An action
scheduled in the past runs at the current time.

Background actions (a market's clock) run in order like the others but do not keep a run
alive: run_until(None) stops when only background actions are left.
"""

from __future__ import annotations

import heapq
import operator
from collections.abc import Callable
from typing import Any, SupportsIndex

Action = Callable[..., object]
_NS_MAX = (1 << 63) - 1


def checked_time(when: SupportsIndex) -> int:
    """A time in ns as an int that fits 64 bits (the compiled heap's key); no floats."""
    ns = operator.index(when)
    if not -_NS_MAX - 1 <= ns <= _NS_MAX:
        raise OverflowError(f"time {ns} ns does not fit 64 bits")
    return ns


class Timeline:
    __slots__ = ("_background", "_counter", "_heap", "_now")

    def __init__(self) -> None:
        self._heap: list[tuple[int, int, Action, tuple[Any, ...], bool]] = []
        self._counter = 0  # breaks ties between equal times: first scheduled, first run
        self._background = 0  # background actions in the heap
        self._now = 0

    def __len__(self) -> int:
        return len(self._heap)

    def next_due(self) -> int | None:
        """When the earliest scheduled action is due, or None when nothing is."""
        return self._heap[0][0] if self._heap else None

    @property
    def busy(self) -> bool:
        """Whether anything but background actions is scheduled."""
        return len(self._heap) > self._background

    @property
    def now(self) -> int:
        """ns: the time of the action running, or the last limit reached."""
        return self.clock()

    def clock(self) -> int:
        """`now` as a method: the order path's form, a C call when compiled (the real-time
        scheduler overrides it with the loop's clock)."""
        return self._now

    def at(self, when: int, action: Action, *args: Any) -> None:
        """Run `action(*args)` at `when` ns (at the current time, if that is past)."""
        self.schedule(when, action, args)

    def at_background(self, when: int, action: Action, *args: Any) -> None:
        """Like at(), but not keeping the run alive when nothing else is scheduled."""
        self.schedule(when, action, args, True)

    def schedule(
        self, when: int, action: Action, args: tuple[Any, ...], background: bool = False
    ) -> None:
        """at() or at_background() with the arguments as one tuple (a C call, compiled)."""
        self._push(when, action, args, background)

    def _push(self, when: int, action: Action, args: tuple[Any, ...], background: bool) -> None:
        when = max(checked_time(when), self._now)
        self._counter += 1
        self._background += background
        heapq.heappush(self._heap, (when, self._counter, action, args, background))

    def run_until(self, limit: int | None = None) -> None:
        """Run every action due up to `limit` ns (when None: until only background actions
        are left), in time order; then the time is `limit` (if later).

        An action's exception propagates; the actions after it stay scheduled.
        """
        if limit is not None:
            checked_time(limit)
        heap, pop = self._heap, heapq.heappop
        while heap and (heap[0][0] <= limit if limit is not None else self.busy):
            when, _, action, args, background = pop(heap)
            if background:
                self._background -= 1
            self._now = when
            action(*args)
        if limit is not None and limit > self._now:
            self._now = limit
