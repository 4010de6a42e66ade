"""When things happen: every engine and venue action is scheduled here, in time order.

`VirtualScheduler` keeps a heap keyed by simulated nanoseconds and jumps from one action
to the next, so simulated latency costs no wall time and the run is deterministic (equal
times keep the order they were scheduled in). `RealtimeScheduler` hands the same actions
to the asyncio loop at real offsets, to exercise the code under real concurrency.
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


class VirtualScheduler:
    __slots__ = ("_counter", "_heap", "now")

    def __init__(self) -> None:
        self._heap: list[tuple[int, int, Action, tuple[Any, ...]]] = []
        self._counter = 0  # breaks ties between equal times: first scheduled, first run
        self.now = 0

    def __len__(self) -> int:
        return len(self._heap)

    def at(self, when: int, action: Action, *args: Any) -> None:
        self._counter += 1
        heapq.heappush(self._heap, (max(when, self.now), self._counter, action, args))

    def run_until(self, limit: int | None = None) -> None:
        """Run every action due up to `limit` ns (all of them when None), in time order."""
        heap, pop = self._heap, heapq.heappop
        while heap and (limit is None or heap[0][0] <= limit):
            when, _, action, args = pop(heap)
            self.now = when
            action(*args)
        if limit is not None and limit > self.now:
            self.now = limit


class RealtimeScheduler:
    __slots__ = ("_idle", "_loop", "_origin", "_pending")

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._origin = self._loop.time()
        self._pending = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def now(self) -> int:
        return int((self._loop.time() - self._origin) * 1e9)

    def at(self, when: int, action: Action, *args: Any) -> None:
        self._pending += 1
        self._idle.clear()
        self._loop.call_at(self._origin + when / 1e9, self._fire, action, args)

    def _fire(self, action: Action, args: tuple[Any, ...]) -> None:
        try:
            action(*args)
        finally:
            self._pending -= 1
            if not self._pending:
                self._idle.set()

    async def sleep_until(self, when: int) -> None:
        await asyncio.sleep(max(0.0, self._origin + when / 1e9 - self._loop.time()))

    async def idle(self) -> None:
        """Wait until nothing is scheduled (actions may schedule more while we wait)."""
        while self._pending:
            await self._idle.wait()


def wall_clock() -> float:
    """Wall seconds, for throughput figures only; never used in the simulated path."""
    return time.perf_counter()
