"""Timeline: actions in time order, ties first-scheduled first, background actions;
model-checked against a sorted list. Compiled and pure-Python twin alike."""

from __future__ import annotations

import gc
import itertools
import threading
import weakref
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st


def test_actions_run_in_time_order_and_ties_in_scheduling_order(timeline: ModuleType) -> None:
    line = timeline.Timeline()
    ran: list[tuple[int, str]] = []
    for when, name in [(30, "c"), (10, "a"), (30, "d"), (20, "b"), (10, "a2")]:
        line.at(when, lambda name=name: ran.append((line.now, name)))
    assert len(line) == 5 and line.next_due() == 10
    line.run_until()
    assert ran == [(10, "a"), (10, "a2"), (20, "b"), (30, "c"), (30, "d")]
    assert len(line) == 0 and line.next_due() is None and line.now == 30


def test_arguments_are_passed_and_past_times_run_now(timeline: ModuleType) -> None:
    line = timeline.Timeline()
    seen: list[tuple[int, int, str]] = []

    def later(x: int, label: str) -> None:
        seen.append((line.now, x, label))
        line.at(line.now - 5, seen.append, (line.now, -x, "past"))  # due before now: runs now

    line.at(100, later, 7, "first")
    line.run_until()
    assert seen == [(100, 7, "first"), (100, -7, "past")]


def test_run_until_a_limit_stops_there_and_moves_the_clock(timeline: ModuleType) -> None:
    line = timeline.Timeline()
    ran: list[int] = []
    for when in (5, 10, 15):
        line.at(when, ran.append, when)
    line.run_until(10)
    assert ran == [5, 10] and line.now == 10
    line.run_until(12)
    assert line.now == 12  # nothing due: time still moves
    line.at(0, ran.append, 0)  # scheduled in the past: at 12, before the one at 15
    line.run_until(100)
    assert ran == [5, 10, 0, 15] and line.now == 100


def test_clock_is_now_and_a_subclass_may_keep_its_own(timeline: ModuleType) -> None:
    line = timeline.Timeline()
    seen: list[tuple[int, int]] = []
    line.at(25, lambda: seen.append((line.now, line.clock())))
    line.run_until(40)
    assert seen == [(25, 25)] and line.clock() == line.now == 40

    class Wall(timeline.Timeline):  # type: ignore[misc,name-defined]
        """The real-time scheduler's shape: its clock is its own, `now` follows it."""

        def clock(self) -> int:
            return 1_000

    wall = Wall()
    wall.at(5, lambda: seen.append((wall.now, wall.clock())))
    wall.run_until(10)
    assert seen[-1] == (1_000, 1_000) and wall.now == 1_000


def test_background_actions_do_not_keep_the_run_alive(timeline: ModuleType) -> None:
    line = timeline.Timeline()
    ticks: list[int] = []

    def tick() -> None:
        ticks.append(line.now)
        line.at_background(line.now + 10, tick)  # a clock: forever

    line.at_background(0, tick)
    line.at(25, ticks.append, -1)
    assert line.busy
    line.run_until()
    assert ticks == [0, 10, 20, -1] and not line.busy and len(line) == 1
    line.run_until(50)  # with a limit, the clock runs up to it
    assert ticks == [0, 10, 20, -1, 30, 40, 50] and line.next_due() == 60


def test_an_action_that_raises_leaves_the_rest_scheduled(timeline: ModuleType) -> None:
    line = timeline.Timeline()
    ran: list[int] = []

    def fail() -> None:
        raise RuntimeError("boom")

    line.at(1, fail)
    line.at(2, ran.append, 2)
    with pytest.raises(RuntimeError, match="boom"):
        line.run_until()
    assert line.now == 1 and len(line) == 1
    line.run_until()
    assert ran == [2]


@pytest.mark.parametrize(
    ("when", "error"), [(1.5, TypeError), ("1", TypeError), (2**63, OverflowError)]
)
def test_bad_times_are_refused(timeline: ModuleType, when: Any, error: type) -> None:
    line = timeline.Timeline()
    with pytest.raises(error):
        line.at(when, print)
    with pytest.raises(error):
        line.at_background(when, print)
    with pytest.raises(error):
        line.run_until(when)
    assert len(line) == 0
    line.at(0, print)
    assert line.busy  # a refused background action is not counted as one


def test_many_actions_grow_the_heap_and_release_what_ran(timeline: ModuleType) -> None:
    class Token:
        def __call__(self) -> None:
            return None

    line = timeline.Timeline()
    tokens = [Token() for _ in range(5000)]
    refs = [weakref.ref(token) for token in tokens]
    for i, token in enumerate(tokens):
        line.at(5000 - i, token)
    del tokens, token
    assert len(line) == 5000
    line.run_until()
    gc.collect()
    assert all(ref() is None for ref in refs)  # nothing that ran is kept


def test_a_timeline_in_a_reference_cycle_is_collected(timeline: ModuleType) -> None:
    class Owner:
        def __init__(self) -> None:
            self.line = timeline.Timeline()
            self.line.at(1, self.act)  # owner -> timeline -> bound method -> owner

        def act(self) -> None:
            return None

    ref = weakref.ref(Owner())
    gc.collect()
    assert ref() is None


def _reference(plan: list[tuple[int, bool, int]], limit: int | None) -> list[int]:
    """What should run, by brute force: each step takes the least (time, scheduling order)."""
    order = itertools.count()
    due = [
        (max(when, 0), next(order), i, background) for i, (when, background, _) in enumerate(plan)
    ]
    ran: list[int] = []
    new_ids = itertools.count(len(plan))
    while due:
        first = min(due)
        if first[0] > limit if limit is not None else all(entry[3] for entry in due):
            break
        due.remove(first)
        ran.append(first[2])
        children = plan[first[2]][2] if first[2] < len(plan) else 0
        due += [(first[0] + 3, next(order), next(new_ids), False) for _ in range(children)]
    return ran


# In ns, and in 0.3 s: then some actions are due more than a second after they are
# scheduled, which the compiled timeline keeps in a second heap, and ties fall across both.
@pytest.mark.parametrize("unit", [1, 300_000_000])
@given(
    st.lists(st.tuples(st.integers(-5, 40), st.booleans(), st.integers(0, 3)), max_size=60),
    st.one_of(st.none(), st.integers(0, 40)),
)
def test_matches_a_brute_force_model(
    timeline: ModuleType, unit: int, plan: list[tuple[int, bool, int]], limit: int | None
) -> None:
    """Actions (some background) at random times; each may schedule children 3 units later."""
    line = timeline.Timeline()
    ran: list[int] = []
    new_ids = itertools.count(len(plan))

    def act(action_id: int) -> None:
        ran.append(action_id)
        children = plan[action_id][2] if action_id < len(plan) else 0
        for _ in range(children):
            line.at(line.now + 3 * unit, act, next(new_ids))

    for i, (when, background, _) in enumerate(plan):
        (line.at_background if background else line.at)(when * unit, act, i)
    line.run_until(None if limit is None else limit * unit)
    assert ran == _reference(plan, limit)


def test_threads_scheduling_at_once_lose_nothing(timeline: ModuleType, switch_often: None) -> None:
    """One engine thread owns a timeline, but sharing one must not lose or mix actions."""
    line = timeline.Timeline()
    ran: list[tuple[int, int]] = []
    per_thread = 2_000

    def schedule(thread: int) -> None:
        for i in range(per_thread):
            line.at(i, ran.append, (thread, i))

    threads = [threading.Thread(target=schedule, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    line.run_until()
    assert sorted(ran) == [(t, i) for t in range(4) for i in range(per_thread)]
    assert [i for _, i in ran] == sorted(i for _, i in ran)  # in time order
