"""Coroutines run by the simulation itself, not by the asyncio loop.

A `Driven` coroutine runs, synchronously, until it awaits a `Signal`; it resumes, again
synchronously, inside whatever sets that signal (a venue message being applied, a timer
firing). So nothing waits for the event loop to turn: in virtual time a coroutine reacts
at the simulated instant of its cause, deterministically, and simulated time moves on
only once every driven coroutine is waiting. The explicit signal replaces any need to ask
the event loop whether tasks are still runnable.

Awaiting anything else (an asyncio future, `asyncio.sleep`) inside a driven coroutine is
an error that names the coroutine: its time would not be the simulation's.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Generator
from typing import Any, Generic, TypeVar

from polyedge.errors import PolyedgeError

T = TypeVar("T")
_UNSET: Any = object()


class DrivenError(PolyedgeError):
    """A driven coroutine awaited something that is not a Signal."""


class Signal(Generic[T]):
    """A value set once; awaiting it in a driven coroutine waits until it is set."""

    __slots__ = ("_value", "_waiters")

    def __init__(self) -> None:
        self._value: T = _UNSET
        self._waiters: list[Driven] = []

    @property
    def is_set(self) -> bool:
        return self._value is not _UNSET

    @property
    def value(self) -> T:
        """The value set; LookupError before it is set."""
        if self._value is _UNSET:
            raise LookupError("the signal is not set yet")
        return self._value

    def set(self, value: T) -> None:
        """Set the value (once: later calls are ignored) and resume every coroutine
        waiting for it, in the order they started waiting, before returning. What a
        resumed coroutine raises (one without a `done`) is raised here once every waiter
        has been resumed: the others are not left waiting for a signal already set."""
        if self._value is not _UNSET:
            return
        self._value = value
        waiters, self._waiters = self._waiters, []
        error: BaseException | None = None
        for waiter in waiters:
            try:
                waiter.resume()
            except BaseException as exc:
                if error is None:
                    error = exc
        if error is not None:
            raise error

    def __await__(self) -> Generator[Signal[T], None, T]:
        if self._value is _UNSET:
            yield self  # to the Driven running us: it waits here until set() resumes it
        return self._value


class Driven:
    """Runs `coroutine` at once, up to its first wait; `done(error)` is called when it
    ends (`error` is None when it returned, or what it raised)."""

    __slots__ = ("_coroutine", "_done", "finished", "name")

    def __init__(
        self,
        coroutine: Coroutine[Any, Any, None],
        done: Callable[[BaseException | None], None] | None = None,
        name: str = "",
    ) -> None:
        self._coroutine = coroutine
        self._done = done
        self.name = name or getattr(coroutine, "__qualname__", "a coroutine")
        self.finished = False
        self.resume()

    def resume(self) -> None:
        """Run the coroutine up to its next wait, or its end."""
        if self.finished:
            return
        try:
            awaited = self._coroutine.send(None)
        except StopIteration:
            self._finish(None)
            return
        except BaseException as exc:  # what it raised goes to `done`, or up
            self._finish(exc)
            return
        if not isinstance(awaited, Signal):
            self._coroutine.close()
            self._finish(
                DrivenError(
                    f"{self.name} awaited {awaited!r}: in a simulated run a coroutine may "
                    "await only the simulation's own waits (its context's sleep, events "
                    "and order waits)"
                )
            )
            return
        awaited._waiters.append(self)

    def close(self) -> None:
        """Stop the coroutine where it waits (its `finally` blocks run)."""
        if not self.finished:
            self.finished = True
            self._coroutine.close()

    def _finish(self, error: BaseException | None) -> None:
        self.finished = True
        if self._done is not None:
            self._done(error)
        elif error is not None:
            raise error
