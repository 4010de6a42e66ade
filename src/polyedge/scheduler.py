"""When things happen: every engine and venue action is scheduled here, in time order.

`VirtualScheduler` keeps a heap keyed by simulated nanoseconds and jumps from one action
to the next, so simulated latency costs no wall time and the run is deterministic (equal
times keep the order they were scheduled in). `RealtimeScheduler` runs the same heap at
real offsets from the asyncio loop, to exercise the code under real concurrency.

Background actions (a market's clock) run in time order like the others but do not keep
a run alive: draining stops when only background actions are left.
"""

from __future__ import annotations

import asyncio
import heapq
import time
from collections.abc import Callable
from typing import Any, Protocol

Action = Callable[..., object]


class Scheduler(Protocol):
    @property
    def now(self) -> int:
        """Nanoseconds since the run started (simulated or real)."""
        ...

    def at(self, when: int, action: Action, *args: Any) -> None:
        """Run `action(*args)` at `when` ns (at once, in order, if that is already past)."""
        ...

    def at_background(self, when: int, action: Action, *args: Any) -> None:
        """Like at(), but not keeping the run alive when nothing else is scheduled."""
        ...


class VirtualScheduler:
    __slots__ = ("_background", "_counter", "_heap", "now", "paused")

    def __init__(self) -> None:
        self._heap: list[tuple[int, int, Action, tuple[Any, ...], bool]] = []
        self._counter = 0  # breaks ties between equal times: first scheduled, first run
        self._background = 0  # background actions in the heap
        self.now = 0
        self.paused = False  # set by an action: stop, so asyncio tasks can react first

    def next_due(self) -> int | None:
        """When the earliest scheduled action is due, or None when nothing is."""
        return self._heap[0][0] if self._heap else None

    @property
    def busy(self) -> bool:
        """Whether anything but background actions is scheduled."""
        return len(self._heap) > self._background

    def at(self, when: int, action: Action, *args: Any) -> None:
        self._counter += 1
        if when < self.now:
            when = self.now
        heapq.heappush(self._heap, (when, self._counter, action, args, False))

    def at_background(self, when: int, action: Action, *args: Any) -> None:
        self._counter += 1
        self._background += 1
        heapq.heappush(self._heap, (max(when, self.now), self._counter, action, args, True))

    def run_until(self, limit: int | None = None) -> bool:
        """Run every action due up to `limit` ns (when None: until only background actions
        are left), in time order.

        Returns False, early, when an action set `paused` (time stays at that action).
        """
        heap, pop = self._heap, heapq.heappop
        while heap and (heap[0][0] <= limit if limit is not None else self.busy):
            when, _, action, args, background = pop(heap)
            if background:
                self._background -= 1
            self.now = when
            action(*args)
            if self.paused:
                self.paused = False
                return False
        if limit is not None and limit > self.now:
            self.now = limit
        return True


class RealtimeScheduler:
    """The virtual scheduler's ordered heap, run by one asyncio timer at real offsets.

    asyncio's own timers do not keep the order of callbacks due at the same instant, so
    the heap decides the order, exactly as in virtual time, and the loop only says when.
    """

    __slots__ = ("_due", "_error", "_idle", "_loop", "_origin", "_timer", "_timer_at")

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._origin = self._loop.time()
        self._due = VirtualScheduler()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._error: BaseException | None = None

    @property
    def now(self) -> int:
        return int((self._loop.time() - self._origin) * 1e9)

    def at(self, when: int, action: Action, *args: Any) -> None:
        self._due.at(when, action, *args)
        self._arm()

    def at_background(self, when: int, action: Action, *args: Any) -> None:
        self._due.at_background(when, action, *args)
        self._arm()

    def _arm(self) -> None:
        """Have the timer fire when the earliest action is due."""
        if self._due.busy:
            self._idle.clear()
        else:
            self._idle.set()
        first = self._due.next_due()
        if first is None:
            return
        if self._timer is None or first < self._timer_at:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = self._loop.call_at(self._origin + first / 1e9, self._fire)
            self._timer_at = first

    def _fire(self) -> None:
        self._timer = None
        try:
            self._due.run_until(self.now)
        except BaseException as exc:  # surfaced by idle(), not lost in the loop's handler
            self._error = exc
            self._idle.set()
            return
        self._arm()

    async def sleep_until(self, when: int) -> None:
        await asyncio.sleep(max(0.0, self._origin + when / 1e9 - self._loop.time()))

    async def idle(self) -> None:
        """Wait until nothing but background actions is scheduled (actions may schedule
        more while we wait); then stop the timer."""
        while self._due.busy and self._error is None:
            await self._idle.wait()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._error is not None:
            raise self._error


def wall_clock() -> float:
    """Wall seconds, for throughput figures only; never used in the simulated path."""
    return time.perf_counter()
