"""Golden runs: the exact digest, event count and orders by state of fixed configurations.

These values change only deliberately. A commit that changes them says why: a resumed
run depends on replay being bit-identical across versions (a stored run is checked
against its replay, event by event, and continued from it), so any change to what a
configuration and seed produce breaks the resumption of runs stored by older versions.
Both passes of the suite (the compiled core, and POLYEDGE_NO_EXTENSIONS=1) must match
the same pins: that is the cross-core check. On a mismatch the assertion prints the new
values, ready to paste into GOLDEN.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import pytest

from polyedge import _core
from polyedge.config import (
    ArbitrageConfig,
    Disconnect,
    FaultConfig,
    IntentMix,
    MarketConfig,
    OutageWindow,
    ReplayConfig,
    TestConfig,
    UnwindPolicy,
    VenueConfig,
)
from polyedge.engine import DryTestingEngine
from polyedge.metrics import RunResult
from polyedge.types import Venue

# Replay paths are relative to DATA (runs are made there): the run id, and so the digest,
# hash the config, whose paths must not depend on where the checkout lives.
DATA = Path(__file__).parent / "data"
FAULT_KINDS = {
    "dropped_ack",
    "duplicate_fill",
    "ack_after_fill",
    "outage_reject",
    "outage_timeout",
    "held_by_disconnect",
}


@dataclass(frozen=True)
class Golden:
    """What a run is pinned to."""

    run_id: str
    digest: str
    events: int
    fills: int
    orders_by_state: dict[str, int]

    @classmethod
    def of(cls, result: RunResult) -> Golden:
        return cls(
            run_id=result.run_id,
            digest=result.digest,
            events=result.events,
            fills=result.fills,
            orders_by_state=dict(sorted(result.orders_by_state.items())),
        )


def default_scenario() -> TestConfig:
    """The built-in two-venue scenario, shortened."""
    return TestConfig(intents=20_000, seed=1)


def every_fault() -> TestConfig:
    """Every fault kind on both venues, arbitrage in the mix; 4.6 simulated seconds.

    Volatile twins: their fair prices part often enough to make arbitrage groups.
    """
    markets = [
        # volatility is an Amount: decimal text (an int would be whole units).
        MarketConfig(venue=venue, market_id=market_id, twin=twin, volatility="0.1")  # type: ignore[arg-type]
        for venue, market_id, twin in (
            (Venue.POLYMARKET, "pm-btc-100k", "KXBTC-100K"),
            (Venue.KALSHI, "KXBTC-100K", "pm-btc-100k"),
        )
    ]
    faults = FaultConfig(
        drop_ack_rate=0.05,
        duplicate_fill_rate=0.05,
        reorder_rate=0.2,
        outages=[
            OutageWindow(start_s=1.0, end_s=1.5, mode="reject"),
            OutageWindow(start_s=3.0, end_s=3.5, mode="timeout"),
        ],
        disconnects=[Disconnect(at_s=2.0, down_s=0.3)],
        response_timeout_s=0.5,
    )
    return TestConfig(
        intents=5_000,
        arrival_rate=1_000,
        seed=2,
        markets=markets,
        venues=[VenueConfig(venue=venue, faults=faults) for venue in Venue],
        mix=IntentMix(arbitrage=0.2, gtc_lifetime_s=1.0, gtd_lifetime_s=1.0),
    )


def arbitrage_replay() -> TestConfig:
    """Generated intents, arbitrage-heavy, against the recorded market data's 60 s.

    Replayed orders replace the generator, and its arbitrage groups with it: they run
    in orders_replay.
    """
    return TestConfig(
        intents=None,
        duration_s=60,
        arrival_rate=100,
        seed=3,
        mix=IntentMix(arbitrage=0.3),
        arbitrage=ArbitrageConfig(
            leg_time_in_force="GTC", leg_timeout_s=2.0, unwind=UnwindPolicy(mode="rest_then_cross")
        ),
        replay=ReplayConfig(market_data=Path("sample_market.csv")),
    )


def orders_replay() -> TestConfig:
    """The recorded orders against the recorded market data."""
    return TestConfig(
        seed=4,
        replay=ReplayConfig(
            orders=Path("sample_orders.csv"), market_data=Path("sample_market.csv")
        ),
    )


def injects_every_fault(result: RunResult) -> None:
    for venue in Venue:
        injected = result.faults_injected.get(venue, {})
        assert set(injected) == FAULT_KINDS and all(injected.values()), (venue, injected)
    groups = result.arbitrage
    assert groups is not None and groups.completed > 0 and groups.unwound > 0, groups


def has_arbitrage_groups(result: RunResult) -> None:
    assert result.arbitrage is not None, "no arbitrage group was attempted"
    assert result.arbitrage.attempted > 0 and result.arbitrage.unwound > 0, result.arbitrage


def replays_every_order(result: RunResult) -> None:
    rows = (DATA / "sample_orders.csv").read_text().splitlines()[1:]
    assert result.intents == len([row for row in rows if row.strip()])


def claims_nothing(result: RunResult) -> None:
    del result


class Case(NamedTuple):
    config: Callable[[], TestConfig]
    covers: Callable[[RunResult], None]  # asserts the run exercises what its name says
    golden: Golden


GOLDEN: dict[str, Case] = {
    "default": Case(
        default_scenario,
        claims_nothing,
        Golden(
            run_id="1b1288e3-7bdc-8bb1-a97e-eea19b3b65cc",
            digest="f3cdf9b25a80770ff68a6910569a185b84c026abbe6a2a3114f42b1db8d5414e",
            events=60816,
            fills=23842,
            orders_by_state={
                "CANCELLED": 377,
                "EXPIRED": 1930,
                "FILLED": 12437,
                "PARTIAL_FILL": 8,
                "REJECTED": 1766,
                "SUBMITTED": 542,
            },
        ),
    ),
    "every_fault": Case(
        every_fault,
        injects_every_fault,
        Golden(
            run_id="3ef85e9d-9167-865d-8077-e85dfb4dc1e0",
            digest="cd9e1978a7441fc1f2848fa1b6c8dc583fcb7e2045e08b3b2eebed3e0af71ce9",
            events=9993,
            fills=2479,
            orders_by_state={
                "CANCELLED": 95,
                "EXPIRED": 242,
                "FILLED": 1555,
                "PARTIAL_FILL": 2,
                "REJECTED": 1437,
                "SUBMITTED": 27,
            },
        ),
    ),
    "arbitrage_replay": Case(
        arbitrage_replay,
        has_arbitrage_groups,
        Golden(
            run_id="df058ca0-94ff-8d60-9570-337d041a06ea",
            digest="f3556e324f8e388215f1bf2336275d1138adefccec7e4b0a6b17c48a46d0ca25",
            events=24887,
            fills=4228,
            orders_by_state={
                "CANCELLED": 3266,
                "EXPIRED": 595,
                "FILLED": 2271,
                "PARTIAL_FILL": 1,
                "REJECTED": 473,
                "SUBMITTED": 158,
            },
        ),
    ),
    "orders_replay": Case(
        orders_replay,
        replays_every_order,
        Golden(
            run_id="e7d0ac02-ba73-8389-8c06-80545b181307",
            digest="7b396944277a70b2939e6b25f07e6f495d5268a373604ab8ec6e5231be56a683",
            events=111,
            fills=30,
            orders_by_state={"CANCELLED": 5, "EXPIRED": 5, "FILLED": 19, "REJECTED": 4},
        ),
    ),
}


@pytest.mark.parametrize("name", GOLDEN)
def test_golden_run(name: str) -> None:
    """The run matches its pins exactly, on whichever core this pass runs."""
    case = GOLDEN[name]
    with contextlib.chdir(DATA):
        result = asyncio.run(DryTestingEngine(case.config()).run())
    assert result.compiled_core is _core.COMPILED
    case.covers(result)
    got = Golden.of(result)
    core = "compiled" if result.compiled_core else "pure-Python"
    assert got == case.golden, (
        f"{name} ({core} core) no longer matches its pins. If that is deliberate, say why "
        f"in the commit and paste this into GOLDEN[{name!r}]:\n{got!r}"
    )
