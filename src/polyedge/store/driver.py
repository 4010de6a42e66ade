"""What the database driver reports on its own, kept off the terminal unless asked for.

While PostgreSQL is failing, asyncpg reports some of it past its caller: its pool logs to
the `asyncpg` logger, and a future it abandons reaches the event loop's exception handler
as "Future exception was never retrieved" once the connection closes (`copy_in` makes
its waiter before it starts the COPY, and leaves it behind when a connection that has
just received the server's goodbye, but not yet its close, refuses to start one). The
run's report says in words what the database did; these are the raw detail.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import asyncpg

T = TypeVar("T")
_DATABASE_ERRORS = (
    OSError,
    TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
)


def run_loop(main: Coroutine[Any, Any, T], *, verbose: bool) -> T:
    """`asyncio.run(main)`, with the driver's own reports of a failing database dropped.

    With `verbose` they are printed to stderr as they come instead, each failed write of
    the PostgreSQL store with them (with its traceback). Reports of other errors that no
    one retrieved are printed either way.
    """
    with contextlib.ExitStack() as stack, asyncio.Runner() as runner:
        if verbose:
            stack.enter_context(_logging("polyedge", _Stderr(), level=logging.INFO))
        else:
            stack.enter_context(_logging("asyncpg", logging.NullHandler(), propagate=False))
            runner.get_loop().set_exception_handler(_drop_database_errors)
        return runner.run(main)


def _drop_database_errors(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    if not isinstance(context.get("exception"), _DATABASE_ERRORS):
        loop.default_exception_handler(context)


@contextlib.contextmanager
def _logging(
    name: str, handler: logging.Handler, *, level: int | None = None, propagate: bool = True
) -> Iterator[None]:
    """Logger `name` sends its records to `handler` (and on, with `propagate`) meanwhile."""
    logger = logging.getLogger(name)
    saved = logger.level, logger.propagate
    logger.addHandler(handler)
    if level is not None:
        logger.setLevel(level)
    logger.propagate = propagate
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


class _Stderr(logging.Handler):
    """Prints each record to sys.stderr as it is then (the progress bar redirects it)."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logging.Formatter("%(asctime)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            print(self.format(record), file=sys.stderr)
        except Exception:
            self.handleError(record)
