"""The order book: run() over a mixed stream, and add + cancel called from Python.

The stream is what a venue simulator feeds one market: about 50% adds around a fixed mid
(bids below it, asks above, so no add crosses), 30% cancels of recent orders (some already
filled, which cancel finds gone) and 20% marketable orders sweeping a few levels. run()
throughput is printed as operations (rows) per second. The per-call group does 1,000 adds
then 1,000 cancels per round beside the same work on a dict, its stdlib floor.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from polyedge import _core
from polyedge.bench import BOOK_LEVELS as LEVELS
from polyedge.bench import mixed_book_stream as mixed_stream

MID = LEVELS // 2
ROWS = 1_000_000
BATCH = 1_000
IMPLEMENTATIONS = [
    pytest.param(compiled, id="compiled" if compiled else "py")
    for compiled in ([True, False] if _core.extensions_built() else [False])
]


@pytest.fixture(scope="module")
def stream() -> npt.NDArray[np.int64]:
    return mixed_stream(ROWS)


@pytest.mark.benchmark(group="book run")
@pytest.mark.parametrize("compiled", IMPLEMENTATIONS)
def test_run_mixed_stream(benchmark: Any, compiled: bool, stream: npt.NDArray[np.int64]) -> None:
    OrderBook = _core.load("book", compiled).OrderBook

    def fresh_book() -> tuple[tuple[Any, ...], dict[str, Any]]:
        return (OrderBook(LEVELS), stream), {}

    fills = benchmark.pedantic(
        lambda book, ops: book.run(ops), setup=fresh_book, rounds=5 if compiled else 1
    )
    rate = len(stream) / benchmark.stats.stats.median
    benchmark.extra_info["ops_per_second"] = round(rate)
    print(f"\nOrderBook.run: {len(stream):,} rows, {fills:,} fills, {rate:,.0f} ops/s")


def consume(iterator: Any) -> None:
    deque(iterator, maxlen=0)


IDS = list(range(1, BATCH + 1))
BUYS = [n % 2 == 0 for n in IDS]
PRICES = [MID - 1 - n % 20 if n % 2 == 0 else MID + 1 + n % 20 for n in IDS]
SIZES = [1 + n % 50 for n in IDS]


@pytest.mark.benchmark(group="add + cancel x1000")
def test_add_cancel_dict(benchmark: Any) -> None:
    orders: dict[int, tuple[bool, int, int]] = {}

    def round_() -> None:
        consume(map(orders.__setitem__, IDS, zip(BUYS, PRICES, SIZES, strict=True)))
        consume(map(orders.pop, IDS))

    benchmark.pedantic(round_, rounds=2_000)


@pytest.mark.benchmark(group="add + cancel x1000")
@pytest.mark.parametrize("compiled", IMPLEMENTATIONS)
def test_add_cancel_book(benchmark: Any, compiled: bool) -> None:
    book = _core.load("book", compiled).OrderBook(LEVELS)

    def round_() -> None:
        consume(map(book.add, IDS, BUYS, PRICES, SIZES))
        consume(map(book.cancel, IDS))

    benchmark.pedantic(round_, rounds=2_000)
    per_call = benchmark.stats.stats.median / (2 * BATCH) * 1e9
    benchmark.extra_info["ns_per_call"] = round(per_call)
    print(f"\nOrderBook add / cancel from Python: {per_call:.0f} ns per call")
