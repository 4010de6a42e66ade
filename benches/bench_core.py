"""The core's hot operations beside their stdlib baselines, measured in the same run.

pytest-benchmark prints each group with the fastest entry as 1.0 and the others as
multiples of it, so the ratio to the baseline reads straight off the table. Batched
operations do 1,000 calls per round (divide by 1,000 for one call), driven by
`deque(map(...), maxlen=0)` so that Python loop overhead stays out of the figure.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Decimal
from types import ModuleType
from typing import Any

import pytest

from polyedge import _core
from polyedge._core import OrderEvent, OrderState, Rounding

BATCH = list(range(1_000))
IMPLEMENTATIONS = [
    pytest.param(compiled, id="compiled" if compiled else "py")
    for compiled in ([True, False] if _core.extensions_built() else [False])
]


def core(name: str, compiled: bool) -> ModuleType:
    return _core.load(name, compiled=compiled)


def drain(pop_all: Callable[[], Any]) -> Callable[[], None]:
    def setup() -> None:
        pop_all()

    return setup


def consume(iterator: Any) -> None:
    deque(iterator, maxlen=0)


@pytest.mark.benchmark(group="push x1000")
def test_push_deque_append(benchmark: Any) -> None:
    queue: deque[int] = deque()
    benchmark.pedantic(
        lambda: consume(map(queue.append, BATCH)), setup=drain(queue.clear), rounds=3_000
    )


@pytest.mark.benchmark(group="push x1000")
@pytest.mark.parametrize("compiled", IMPLEMENTATIONS)
def test_push_ring(benchmark: Any, compiled: bool) -> None:
    queue = core("ring", compiled).RingQueue(1_024)
    benchmark.pedantic(
        lambda: consume(map(queue.push, BATCH)), setup=drain(queue.pop_many), rounds=3_000
    )


@pytest.mark.benchmark(group="sequence next")
def test_next_itertools_count(benchmark: Any) -> None:
    benchmark(itertools.count().__next__)


@pytest.mark.benchmark(group="sequence next")
@pytest.mark.parametrize("compiled", IMPLEMENTATIONS)
def test_next_sequence(benchmark: Any, compiled: bool) -> None:
    benchmark(core("sequence", compiled).Sequence().next)


# 100 shares at 0.57, divided back by a price: a typical notional-style computation.
A, B, C = 100_000_000, 570_000, 330_000
DA, DB, DC = Decimal("100"), Decimal("0.57"), Decimal("0.33")
STEP = Decimal("0.000001")


def decimal_mul_div(a: Decimal, b: Decimal, c: Decimal) -> Decimal:
    return (a * b / c).quantize(STEP, ROUND_HALF_EVEN)


@pytest.mark.benchmark(group="mul_div")
def test_mul_div_decimal(benchmark: Any) -> None:
    benchmark(decimal_mul_div, DA, DB, DC)


@pytest.mark.benchmark(group="mul_div")
@pytest.mark.parametrize("compiled", IMPLEMENTATIONS)
def test_mul_div_fixed(benchmark: Any, compiled: bool) -> None:
    benchmark(core("fixed", compiled).mul_div, A, B, C, Rounding.HALF_EVEN)


TABLE = {(state, event): target for (state, event), target in _core.TRANSITIONS.items()}
KEY = (OrderState.PARTIAL_FILL, OrderEvent.FILL)


@pytest.mark.benchmark(group="transition")
def test_transition_dict_lookup(benchmark: Any) -> None:
    benchmark(TABLE.get, KEY)


@pytest.mark.benchmark(group="transition")
@pytest.mark.parametrize("compiled", IMPLEMENTATIONS)
def test_transition_try_apply(benchmark: Any, compiled: bool) -> None:
    benchmark(core("transitions", compiled).try_apply, *KEY)


@pytest.mark.benchmark(group="transition")
@pytest.mark.parametrize("compiled", IMPLEMENTATIONS)
def test_transition_apply(benchmark: Any, compiled: bool) -> None:
    benchmark(core("transitions", compiled).apply, *KEY)
