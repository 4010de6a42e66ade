"""The engine's figures: routing one intent, and end-to-end virtual-time throughput.

Routing (sequence id + in-flight registration + lane push) is measured per batch of
1,000 intents beside its stdlib equivalent (itertools.count + dict insert + deque
append). The end-to-end run reports intents/s and peak RSS in its extra_info.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from typing import Any

import pytest

from polyedge.config import TestConfig
from polyedge.engine import DryTestingEngine, Pipeline, identity
from polyedge.fixedpoint import SCALE
from polyedge.scheduler import VirtualScheduler
from polyedge.types import Intent, Order

BATCH = 1_000


def _intents(pipeline: Pipeline) -> list[Intent]:
    market = pipeline.markets["KXBTC-100K"]
    return [
        Intent(intent_id=n, market=market, side="buy", outcome="yes", price=10_000, size=SCALE)
        for n in range(1, BATCH + 1)
    ]


def _default_pipeline() -> Pipeline:
    config = TestConfig()
    return Pipeline(config, VirtualScheduler(), identity(config))


@pytest.mark.benchmark(group="route x1000")
def test_route_stdlib_equivalent(benchmark: Any) -> None:
    pipeline = _default_pipeline()
    intents = _intents(pipeline)

    def setup() -> tuple[tuple[Any, ...], dict[str, Any]]:
        return (itertools.count(1), {}, deque()), {}

    def route_all(counter: Any, table: dict[int, Order], lane: deque[Order]) -> None:
        for intent in intents:
            order = Order(intent.intent_id, intent, sent_at=0)
            order.lane_seq = next(counter)
            table[order.order_id] = order
            lane.append(order)

    benchmark.pedantic(route_all, setup=setup, rounds=300)


@pytest.mark.benchmark(group="route x1000")
def test_route_router(benchmark: Any) -> None:
    def setup() -> tuple[tuple[Any, ...], dict[str, Any]]:
        pipeline = _default_pipeline()
        return (pipeline, _intents(pipeline)), {}

    def route_all(pipeline: Pipeline, intents: list[Intent]) -> None:
        route = pipeline.router.route
        for intent in intents:
            route(intent, 0)

    benchmark.pedantic(route_all, setup=setup, rounds=300)


@pytest.mark.benchmark(group="end to end")
@pytest.mark.parametrize("intents", [200_000])
def test_virtual_run(benchmark: Any, intents: int) -> None:
    result = benchmark.pedantic(
        lambda: asyncio.run(DryTestingEngine(TestConfig(intents=intents)).run()), rounds=1
    )
    benchmark.extra_info["intents_per_second"] = round(result.intents_per_second)
    benchmark.extra_info["peak_rss_mb"] = round(result.peak_rss_mb, 1)
    print(
        f"\n{intents:,} intents: {result.intents_per_second:,.0f} intents/s, "
        f"peak RSS {result.peak_rss_mb:.0f} MB"
    )
