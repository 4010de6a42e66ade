"""Run the standard order-lifecycle workload (polyedge.lifecycle_mix) from Python.

    python examples/lifecycle_mix.py 100000

The same from the command line, on a scenario of your own:

    polyedge run --strategy polyedge.lifecycle_mix:LifecycleMix --duration 10001
"""

from __future__ import annotations

import asyncio
import sys

from polyedge import DryTestingEngine
from polyedge.lifecycle_mix import LifecycleMix, scenario
from polyedge.metrics import RunResult


def main(orders: int) -> RunResult:
    engine = DryTestingEngine(scenario(orders), strategy=LifecycleMix(orders=orders))
    result = asyncio.run(engine.run())
    print(
        f"{result.orders:,} orders, {result.fills:,} fills, {result.events:,} events in "
        f"{result.wall_seconds:.2f} s: {result.orders / result.wall_seconds:,.0f} orders/s, "
        f"peak RSS {result.peak_rss_mb:.0f} MB; final states {result.orders_by_state}"
    )
    return result


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
