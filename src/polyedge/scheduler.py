"""When things happen: every engine and venue action is scheduled here, in time order.

`VirtualScheduler` is the core's Timeline: a heap keyed by simulated nanoseconds that
jumps from one action to the next, so simulated latency costs no wall time and the run
is deterministic (equal times keep the order they were scheduled in). `RealtimeScheduler`
runs the same heap at real offsets from the asyncio loop, to exercise the code under real
concurrency.

Background actions (a market's clock) run in time order like the others but do not keep
a run alive: draining stops when only background actions are left.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Protocol

from polyedge._core import Timeline
from polyedge._core.timeline_py import Action


class Scheduler(Protocol):
    @property
    def now(self) -> int:
        """Nanoseconds since the run started (simulated or real)."""
        ...

    def clock(self) -> int:
        """`now` as a method: the order path's form, a C call when compiled."""
        ...

    def at(self, when: int, action: Action, *args: Any) -> None:
        """Run `action(*args)` at `when` ns (at once, in order, if that is already past)."""
        ...

    def at_background(self, when: int, action: Action, *args: Any) -> None:
        """Like at(), but not keeping the run alive when nothing else is scheduled."""
        ...

    def schedule(
        self, when: int, action: Action, args: tuple[Any, ...], background: bool = False
    ) -> None:
        """at() or at_background() with the arguments as one tuple: the order path's form,
        a C call when compiled (its modules hold the scheduler as the core's Timeline)."""
        ...


# Virtual time: the core's timeline, run to completion as fast as the actions go.
VirtualScheduler = Timeline


class RealtimeScheduler(Timeline):
    """The virtual scheduler's ordered heap, run by one asyncio timer at real offsets.

    asyncio's own timers do not keep the order of callbacks due at the same instant, so
    the heap decides the order, exactly as in virtual time, and the loop only says when.
    A Timeline itself, so the order path holds either scheduler as one; `now` (and
    `clock()`, which it reads) is the loop's clock.
    """

    __slots__ = ("_error", "_idle", "_loop", "_origin", "_timer", "_timer_at")

    def __init__(self) -> None:
        super().__init__()
        self._loop = asyncio.get_running_loop()
        self._origin = self._loop.time()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._error: BaseException | None = None

    def clock(self) -> int:
        return int((self._loop.time() - self._origin) * 1e9)

    def schedule(
        self, when: int, action: Action, args: tuple[Any, ...], background: bool = False
    ) -> None:
        super().schedule(when, action, args, background)
        self._arm()

    def _arm(self) -> None:
        """Have the timer fire when the earliest action is due."""
        if self.busy:
            self._idle.clear()
        else:
            self._idle.set()
        first = self.next_due()
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
            self.run_until(self.now)
        except BaseException as exc:  # surfaced by idle(), not lost in the loop's handler
            self._error = exc
            self._idle.set()
            return
        self._arm()

    async def sleep_until(self, when: int) -> None:
        await asyncio.sleep(max(0.0, self._origin + when / 1e9 - self._loop.time()))

    def raise_error(self) -> None:
        """Raise what an action raised, if one did."""
        if self._error is not None:
            raise self._error

    async def idle(self) -> None:
        """Wait until nothing but background actions is scheduled (actions may schedule
        more while we wait); then stop the timer."""
        while self.busy and self._error is None:
            await self._idle.wait()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._error is not None:
            raise self._error


# Wall seconds, for throughput and wall-latency figures only; never used in the simulated
# path. The clock itself, not a function calling it: a Python call more for each group.
wall_clock = time.perf_counter
