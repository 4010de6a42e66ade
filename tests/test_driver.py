"""The database driver's own reports reach the terminal only with --verbose."""

from __future__ import annotations

import asyncio
import logging

import asyncpg
import pytest

from polyedge.store.driver import run_loop


async def complain() -> str:
    """What asyncpg does while the database fails, beside a bug of the caller's own."""
    loop = asyncio.get_running_loop()
    for error in (asyncpg.ConnectionDoesNotExistError("lost"), ValueError("a bug")):
        abandoned = loop.create_future()
        abandoned.set_exception(error)
        del abandoned  # its exception was never retrieved: reported to the loop as it goes
    logging.getLogger("asyncpg.pool").warning("Failed to restore the pool connection floor")
    logging.getLogger("polyedge.store.postgres").info("writing the events up to 7 failed")
    return "done"


@pytest.mark.parametrize("verbose", [False, True], ids=["plain", "verbose"])
def test_the_drivers_reports_are_shown_only_when_asked(
    verbose: bool, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_loop(complain(), verbose=verbose) == "done"
    logged = [(record.name, record.getMessage()) for record in caplog.records]
    never_retrieved = [
        repr(record.exc_info[1])
        for record in caplog.records
        if record.getMessage().startswith("Future exception was never retrieved")
        and record.exc_info
    ]
    assert "ValueError('a bug')" in never_retrieved  # not the driver's: reported either way
    assert ("ConnectionDoesNotExistError('lost')" in never_retrieved) is verbose
    assert (("asyncpg.pool", "Failed to restore the pool connection floor") in logged) is verbose
    assert ("writing the events up to 7 failed" in capsys.readouterr().err) is verbose
    assert not logging.getLogger("asyncpg").handlers  # the loggers are as they were
    assert logging.getLogger("asyncpg").propagate
    assert logging.getLogger("polyedge").level == logging.NOTSET
