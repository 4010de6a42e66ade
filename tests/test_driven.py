"""Driven coroutines: run at once up to a Signal, resumed inside its set(), errors raised."""

from __future__ import annotations

import asyncio

import pytest

from polyedge.driven import Driven, DrivenError, Signal


def test_a_coroutine_runs_to_its_wait_and_resumes_inside_set() -> None:
    ran: list[str] = []
    signal: Signal[int] = Signal()

    async def work() -> None:
        ran.append("started")
        ran.append(f"got {await signal}")

    driven = Driven(work())
    assert ran == ["started"] and not driven.finished
    signal.set(7)
    assert ran == ["started", "got 7"] and driven.finished
    signal.set(8)  # set once: ignored
    assert signal.value == 7


def test_what_one_waiter_raises_is_raised_after_every_waiter_resumed() -> None:
    signal: Signal[None] = Signal()
    resumed: list[str] = []

    async def fails() -> None:
        await signal
        resumed.append("fails")
        raise RuntimeError("a bug")

    async def ends() -> None:
        await signal
        resumed.append("ends")

    Driven(fails())
    Driven(ends())
    with pytest.raises(RuntimeError, match="a bug"):
        signal.set(None)
    assert resumed == ["fails", "ends"]  # the second waiter was not left waiting


def test_done_gets_the_error_instead() -> None:
    errors: list[BaseException | None] = []
    signal: Signal[None] = Signal()

    async def fails() -> None:
        await signal
        raise RuntimeError("a bug")

    Driven(fails(), errors.append)
    signal.set(None)
    assert len(errors) == 1 and isinstance(errors[0], RuntimeError)


def test_awaiting_the_event_loop_is_an_error_naming_the_coroutine() -> None:
    async def sleeps() -> None:
        await asyncio.sleep(0)

    with pytest.raises(DrivenError, match="the unwind awaited None"):
        Driven(sleeps(), name="the unwind")
