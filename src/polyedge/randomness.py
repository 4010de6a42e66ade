"""Seeded random streams, one per component.

Each component (the intent generator, each venue's response model, each latency kind,
each market's price) owns a generator derived from the run seed and its own name, so no
component's draws depend on another's, on call order, or on global random state.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np

BLOCK = 4096  # draws are made this many at a time; the values do not depend on it

Block = Callable[[int], np.ndarray[Any, np.dtype[Any]]]
_prefetch: ThreadPoolExecutor | None = None


def _next_block(draw: Block, coming: Future[np.ndarray[Any, Any]] | None) -> tuple[Any, Any]:
    """The block to hand out now (drawn ahead, or drawn now if none was) and the future
    of the one after it, drawn ahead on a worker thread.

    numpy draws a block without holding the GIL, so the thread draws on the other core
    while the engine's thread works (measured: 320 instructions an intent off it). One
    stream's blocks are drawn one after another, each when the one before is taken, so
    the values are those of drawing them in turn.
    """
    global _prefetch
    block = coming.result() if coming is not None else draw(BLOCK)
    if _prefetch is None:
        _prefetch = ThreadPoolExecutor(max_workers=1, thread_name_prefix="polyedge-draws")
    return block, _prefetch.submit(draw, BLOCK)


def component_rng(seed: int, *names: str) -> np.random.Generator:
    """The generator of the component called `names` in a run seeded with `seed`."""
    key = tuple(zlib.crc32(name.encode()) for name in names)
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


class Draws:
    """Values of `draw(n)`, a float64 array, handed out one at a time as floats.

    Values come from consecutive `draw(BLOCK)` calls, so the sequence depends only on
    the generator behind `draw`, never on when or how often next() is called. Compiled
    (randomness.pxd), the block stays the array and next() reads it as a C double,
    where a list of Python floats made one for every value (measured: an allocation
    and its free a value).
    """

    __slots__ = ("_coming", "_draw", "_next", "_values")

    def __init__(self, draw: Callable[[int], np.ndarray[Any, np.dtype[np.float64]]]) -> None:
        self._draw = draw
        self._values = np.empty(0)
        self._next = 0
        self._coming: Future[np.ndarray[Any, Any]] | None = None  # the next block

    def next(self) -> float:
        if self._next == len(self._values):
            self._values, self._coming = _next_block(self._draw, self._coming)
            self._next = 0
        value = self._values[self._next]
        self._next += 1
        return float(value)  # compiled, already a C double


class IntDraws:
    """Draws of an int64 array (latencies, price steps), handed out as ints: compiled,
    C ints read from the block (measured: an allocation and its free a value)."""

    __slots__ = ("_coming", "_draw", "_next", "_values")

    def __init__(self, draw: Callable[[int], np.ndarray[Any, np.dtype[np.int64]]]) -> None:
        self._draw = draw
        self._values = np.empty(0, np.int64)
        self._next = 0
        self._coming: Future[np.ndarray[Any, Any]] | None = None  # the next block

    def next(self) -> int:
        if self._next == len(self._values):
            self._values, self._coming = _next_block(self._draw, self._coming)
            self._next = 0
        value = self._values[self._next]
        self._next += 1
        return int(value)  # compiled, already a C int
