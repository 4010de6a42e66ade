"""Arbitrage groups: failure-to-cancel latency in real time, and a long virtual run of
groups (memory must stay flat). The scenario is the one `polyedge bench` uses."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from polyedge.bench import arbitrage_scenario
from polyedge.engine import DryTestingEngine


@pytest.mark.benchmark(group="arbitrage groups")
@pytest.mark.parametrize(("mode", "intents"), [("realtime", 2_000), ("virtual", 210_000)])
def test_groups(benchmark: Any, mode: Any, intents: int) -> None:
    config = arbitrage_scenario(mode, intents)
    result = benchmark.pedantic(lambda: asyncio.run(DryTestingEngine(config).run()), rounds=1)
    groups = result.arbitrage
    assert groups is not None and result.illegal_transitions == 0
    wall = groups.cancel_latency_wall
    benchmark.extra_info |= {
        "groups": groups.attempted,
        "peak_rss_mb": result.peak_rss_mb,
        "cancel_p99_us": wall.p99_us,
    }
    print(
        f"\n{mode}: {groups.attempted:,} groups, failure -> all sibling cancels "
        f"p50 {wall.p50_us:.1f} us, p99 {wall.p99_us:.1f} us; peak RSS "
        f"{result.peak_rss_mb:.0f} MB"
    )
