"""generate -> route -> execute -> report, through DryTestingEngine and the CLI."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from polyedge import _core, engine
from polyedge.config import IntentMix, LatencyConfig, ResponseModel, TestConfig, VenueConfig
from polyedge.engine import DryTestingEngine
from polyedge.metrics import RunResult
from polyedge.types import OrderEvent, Venue
from polyedge.venues.latency import ConstantLatency
from polyedge.venues.simulator import VenueSimulator


def run(config: TestConfig, **kwargs: Any) -> RunResult:
    return asyncio.run(DryTestingEngine(config, **kwargs).run())


def test_a_run_accounts_for_every_intent_and_order() -> None:
    result = run(TestConfig(intents=5_000, seed=11, arrival_rate=250))  # 20 simulated s
    assert result.intents == 5_000 == sum(result.intents_by_kind.values())
    assert set(result.intents_by_kind) == {"gtc", "gtd", "fok", "fak", "cancel", "arbitrage"}
    assert sum(result.orders_by_state.values()) == result.orders
    # Every intent but a cancel is an order; the coordinator adds unwind orders.
    assert result.arbitrage is not None
    unwinds = result.orders - (5_000 - result.intents_by_kind["cancel"])
    assert 0 <= unwinds <= 2 * result.arbitrage.unwound
    assert result.fills > 0 and 0 < result.fill_ratio < 1
    assert result.filled_size <= result.submitted_size
    assert result.notional > 0 and result.fees > 0
    assert result.illegal_transitions == 0
    assert result.rejects_by_reason  # the response model rejects some
    assert set(result.latency_us) == {"polymarket", "kalshi"}
    for kinds in result.latency_us.values():
        assert set(kinds) == {"submit_ack", "fill", "cancel_ack"}
        # the default submit-ack latency is lognormal with a 20 ms median
        assert 17_000 < kinds["submit_ack"].p50_us < 23_000
    assert result.events > result.orders and len(result.digest) == 64
    assert not result.interrupted


def test_same_seed_same_digest_other_seed_other_digest() -> None:
    config = TestConfig(intents=3_000, seed=5)
    first, second = run(config), run(config)
    assert first.digest == second.digest and first.run_id == second.run_id
    assert run(TestConfig(intents=3_000, seed=6)).digest != first.digest


def _digest_in_subprocess(no_extensions: bool) -> dict[str, Any]:
    env = dict(os.environ, POLYEDGE_NO_EXTENSIONS="1" if no_extensions else "0")
    code = (
        "import asyncio, json; from polyedge.engine import DryTestingEngine;"
        "from polyedge.config import TestConfig;"
        "r = asyncio.run(DryTestingEngine(TestConfig(intents=4000, seed=3)).run());"
        "print(json.dumps({'digest': r.digest, 'compiled': r.compiled_core}))"
    )
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


@pytest.mark.skipif(not _core.extensions_built(), reason="the compiled core is not built")
def test_digest_is_the_same_across_processes_and_cores() -> None:
    compiled, pure = _digest_in_subprocess(False), _digest_in_subprocess(True)
    assert (compiled["compiled"], pure["compiled"]) == (True, False)
    assert compiled["digest"] == pure["digest"]
    assert run(TestConfig(intents=4000, seed=3)).digest == compiled["digest"]


class _FillsAfterCancel(VenueSimulator):
    """A misbehaving venue: it sends a fill a second after acknowledging a cancel."""

    def __init__(
        self, config: Any, markets: Any, seed: int, scheduler: Any, tracker: Any, *rest: Any
    ) -> None:
        super().__init__(config, markets, seed, scheduler, tracker, *rest)
        self.clock, self.tracker = scheduler, tracker  # the base keeps its own out of reach

    def _cancel_arrives(self, order: Any) -> None:
        super()._cancel_arrives(order)
        step = order.intent.market.min_size
        when = self.clock.now + 10**9
        self.clock.at(when, self.tracker.apply, order, OrderEvent.FILL, order.intent.price, step, 0)


def test_an_illegal_venue_event_is_refused_counted_and_reported(monkeypatch: Any) -> None:
    monkeypatch.setattr(engine, "VenueSimulator", _FillsAfterCancel)
    result = run(TestConfig(intents=3_000))
    assert result.illegal_transitions > 0
    assert result.illegal_examples[0].event in ("FILL", "PARTIAL_FILL")
    assert result.illegal_examples[0].state in ("CANCELLED", "FILLED", "EXPIRED", "REJECTED")
    assert result.intents == 3_000  # the run went on


def test_a_user_supplied_source_replaces_the_generator() -> None:
    config = TestConfig(intents=10)
    markets = {mc.market_id: mc.market() for mc in config.markets}
    market = markets["KXBTC-100K"]
    from polyedge.types import Intent

    source = [
        [
            (
                1_000,
                Intent(
                    intent_id=1,
                    market=market,
                    side="buy",
                    outcome="yes",
                    price=10_000,
                    size=3_000_000,
                    time_in_force="GTC",
                ),
            )
        ]
    ]
    result = run(config, source=source)
    assert result.intents == 1 and result.orders == 1
    assert result.intents_by_kind == {"gtc": 1}


def test_stop_drains_and_still_reports() -> None:
    engine = DryTestingEngine(TestConfig(intents=50_000, batch_size=1_000))
    result = asyncio.run(engine.run(progress=lambda taken: engine.stop()))
    assert result.interrupted
    assert result.intents == 1_000
    assert "PENDING" not in result.orders_by_state  # everything routed was sent
    assert result.illegal_transitions == 0


def test_realtime_mode_runs_with_real_concurrency() -> None:
    fast = LatencyConfig(
        submit_ack=ConstantLatency(value_us=2_000),
        fill=ConstantLatency(value_us=1_000),
        cancel_ack=ConstantLatency(value_us=2_000),
    )
    venues = [
        VenueConfig(
            venue=v,
            latency=fast,
            queue_capacity=8,
            responses=ResponseModel(resting_fill_mean_s=0.02),
        )
        for v in Venue
    ]
    config = TestConfig(
        intents=300,
        arrival_rate=3_000,
        mode="realtime",
        venues=venues,
        mix=IntentMix(gtd_lifetime_s=0.05, gtc_lifetime_s=0.1),
    )
    result = run(config)
    assert result.mode == "realtime" and result.intents == 300
    assert result.illegal_transitions == 0
    assert sum(result.orders_by_state.values()) == result.orders
    # Only resting orders may still be working; nothing is left pending or half-cancelled.
    working = set(result.orders_by_state) - {"FILLED", "CANCELLED", "REJECTED", "EXPIRED"}
    assert working <= {"SUBMITTED", "PARTIAL_FILL"}
    assert result.latency_us["kalshi"]["submit_ack"].p50_us >= 2_000  # real waits happened
    assert 0.1 < result.simulated_seconds < 10


def _polyedge(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the CLI on its default store (a SQLite file in `cwd`), whatever DATABASE_URL says."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "polyedge", *args], capture_output=True, text=True, cwd=cwd, env=env
    )


def test_cli_run_prints_the_report_and_writes_json(tmp_path: Path) -> None:
    done = _polyedge("run", "--intents", "2000", "--seed", "4", "--json", "out.json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for heading in (
        "Orders by final state",
        "Fills",
        "Rejects by reason",
        "Latency (us)",
        "Illegal transitions refused: 0",
        "digest",
    ):
        assert heading in done.stdout
    figures = json.loads((tmp_path / "out.json").read_text())
    assert figures["intents"] == 2000 and figures["seed"] == 4
    assert (
        figures["digest"] in done.stdout.replace("\n", "") or figures["digest"][:40] in done.stdout
    )
    assert figures["digest"] == run(TestConfig(intents=2000, seed=4)).digest


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["run", "--intents", "0"], "intents: Input should be greater than or equal to 1"),
        (["run", "--mode", "warp"], "Invalid value for '--mode'"),
        (["run", "--config", "missing.toml"], "cannot read config missing.toml"),
        (["run", "--intents", "many"], "'many' is not a valid integer"),
        (["config"], "polyedge config --example"),
    ],
)
def test_cli_bad_input_exits_2_without_traceback(
    tmp_path: Path, args: list[str], words: str
) -> None:
    done = _polyedge(*args, cwd=tmp_path)
    assert done.returncode == 2
    assert words in done.stderr
    assert "Traceback" not in done.stderr


def test_cli_example_config_runs(tmp_path: Path) -> None:
    example = _polyedge("config", "--example", cwd=tmp_path)
    assert example.returncode == 0
    (tmp_path / "s.toml").write_text(example.stdout)
    done = _polyedge("run", "--config", "s.toml", "--intents", "500", "--quiet", cwd=tmp_path)
    assert done.returncode == 0, done.stderr


def _market() -> Any:
    return TestConfig().markets[1].market()


async def _source(*items: Any) -> Any:
    for item in items:
        yield item


def test_an_async_source_of_intents_is_stamped_and_run() -> None:
    from polyedge.types import Cancel, Intent

    first = Intent(
        intent_id=1, market=_market(), side="buy", outcome="yes", price=10_000, size=3_000_000
    )
    never = [VenueConfig(venue="kalshi", responses=ResponseModel(resting_fill_rate=0))]
    result = run(
        TestConfig(venues=never), source=_source(first, (5 * 10**9, Cancel(intent_id=2, target=1)))
    )
    assert result.intents == 2 and result.orders_by_state == {"CANCELLED": 1}
    assert result.simulated_seconds >= 5


@pytest.mark.parametrize(
    ("items", "error", "words"),
    [
        (["not an intent"], TypeError, "must yield Intent, Cancel or ArbitrageGroup, not 'not"),
        ([(10, "x")], TypeError, "must yield Intent, Cancel or ArbitrageGroup"),
    ],
)
def test_a_bad_source_gets_a_clear_error(items: list[Any], error: type, words: str) -> None:
    with pytest.raises(error, match=words):
        run(TestConfig(), source=_source(*items))


def test_arrival_times_must_not_decrease() -> None:
    from polyedge.errors import InvalidValue
    from polyedge.types import Cancel

    with pytest.raises(InvalidValue, match="arrival times must not decrease: 5 ns came after 9"):
        run(
            TestConfig(),
            source=_source((9, Cancel(intent_id=1, target=7)), (5, Cancel(intent_id=2, target=7))),
        )
