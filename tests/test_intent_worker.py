"""The intent worker: batches packed, made by a worker process, taken over from the ones
made here, always one seeded generator's batches."""

from __future__ import annotations

import asyncio
import functools
import sys
import threading
import time
from typing import Any

import pytest

from polyedge import engine, intent_worker
from polyedge.config import TestConfig
from polyedge.engine import DryTestingEngine
from polyedge.intent_worker import IntentWorkerError, generated_batches
from polyedge.intents import IntentGenerator, pack, unpack
from polyedge.types import ArbitrageGroup, Cancel, Intent

# Every kind of item: cancels, groups (a min_edge below zero finds them everywhere), and
# single intents of every time in force.
MIXED = dict(intents=6_000, batch_size=500, mix={"arbitrage": 0.3}, arbitrage={"min_edge": "-0.05"})


def test_packed_batches_unpack_equal_on_the_run_s_markets() -> None:
    config = TestConfig(**MIXED)
    markets = config.build_markets()
    order = tuple(markets.values())
    batches = list(IntentGenerator(config, markets).batches())
    kinds = {type(item) for batch in batches for _, item in batch}
    assert kinds == {Intent, Cancel, ArbitrageGroup}
    for batch in batches:
        unpacked = unpack(pack(batch, order), order)
        assert unpacked == batch
        assert all(
            intent.market is markets[intent.market.market_id]
            for _, item in unpacked
            for intent in (item.legs if isinstance(item, ArbitrageGroup) else (item,))
            if not isinstance(intent, Cancel)
        )


@pytest.mark.parametrize("local", [0, 3])
def test_the_worker_takes_over_after_the_batches_made_here(local: int) -> None:
    config = TestConfig(**MIXED)
    markets = config.build_markets()
    expected = list(IntentGenerator(config, markets).batches())
    assert list(generated_batches(config, markets, local=local)) == expected


def test_batches_are_made_here_until_the_worker_has_caught_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    unpacked: list[Any] = []
    monkeypatch.setattr(intent_worker, "unpack", _recording(intent_worker.unpack, unpacked))
    config = TestConfig(intents=intent_worker.WORKER_MIN_INTENTS, batch_size=100)
    markets = config.build_markets()
    taken = []
    for batch in generated_batches(config, markets):
        taken.append(batch)
        time.sleep(0.002)  # an engine at work: the worker starts meanwhile, and catches up
    assert taken == list(IntentGenerator(config, markets).batches())
    assert 0 < len(unpacked) < len(taken)  # some made here, the rest by the worker


def test_a_short_run_makes_its_batches_here(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[Any] = []
    monkeypatch.setattr(intent_worker, "_start", lambda config: started.append(config))
    config = TestConfig(intents=intent_worker.WORKER_MIN_INTENTS - 1, batch_size=4096)
    markets = config.build_markets()
    assert list(generated_batches(config, markets)) == list(
        IntentGenerator(config, markets).batches()
    )
    assert started == []


def test_a_worker_that_cannot_start_leaves_the_batches_to_be_made_here(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(intent_worker, "_command", lambda: ["/nonexistent/python"])
    config = TestConfig(**MIXED)
    markets = config.build_markets()
    batches = list(generated_batches(config, markets, local=0))
    assert batches == list(IntentGenerator(config, markets).batches())


def test_a_worker_that_dies_is_an_error_saying_why(monkeypatch: pytest.MonkeyPatch) -> None:
    crash = "import sys; sys.stdin.read(); sys.stderr.write('out of memory\\n'); sys.exit(3)"
    monkeypatch.setattr(intent_worker, "_command", lambda: [sys.executable, "-c", crash])
    config = TestConfig(**MIXED)
    with pytest.raises(IntentWorkerError, match=r"stopped \(exit code 3\): out of memory"):
        list(generated_batches(config, config.build_markets(), local=0))


def test_a_worker_that_says_much_on_stderr_is_not_stalled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Nobody reads the worker's stderr while batches come: a pipe there would fill up,
    stop the worker mid-write, and leave the engine waiting for its batches for ever."""
    where, run = intent_worker._command()[-1].split("; from ", 1)
    noisy = f"{where}; sys.stderr.write('warning ' * 500_000); sys.stderr.flush(); from {run}"
    monkeypatch.setattr(intent_worker, "_command", lambda: [sys.executable, "-c", noisy])
    config = TestConfig(**MIXED)
    markets = config.build_markets()
    taken: list[Any] = []
    reader = threading.Thread(
        target=lambda: taken.extend(generated_batches(config, markets, local=0)), daemon=True
    )
    reader.start()
    reader.join(timeout=60)
    assert not reader.is_alive(), "the engine waited for a stalled worker"
    assert taken == list(IntentGenerator(config, markets).batches())


def test_the_worker_stops_when_its_batches_are_not_wanted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    workers: list[Any] = []
    monkeypatch.setattr(intent_worker, "_start", _recording(intent_worker._start, workers))
    config = TestConfig(intents=1_000_000)  # far more than is taken
    batches = generated_batches(config, config.build_markets(), local=0)
    next(batches)
    assert workers[0].process.poll() is None  # running, ahead of the batches taken
    batches.close()
    assert workers[0].process.poll() is not None


def _recording(call: Any, results: list[Any]) -> Any:
    """`call`, keeping what it returns in `results`."""

    def recorded(*args: Any) -> Any:
        result = call(*args)
        results.append(result)
        return result

    return recorded


def test_a_run_with_the_worker_is_the_run_without_it(monkeypatch: pytest.MonkeyPatch) -> None:
    config = TestConfig(**MIXED)
    without = asyncio.run(DryTestingEngine(config).run())  # too short to start a worker
    workers: list[Any] = []
    monkeypatch.setattr(intent_worker, "_start", _recording(intent_worker._start, workers))
    monkeypatch.setattr(engine, "generated_batches", functools.partial(generated_batches, local=2))
    with_worker = asyncio.run(DryTestingEngine(config).run())
    assert (
        len(workers) == 1 and workers[0].process.returncode is not None
    )  # it ran, and was stopped
    assert with_worker.digest == without.digest
    assert with_worker.intents == without.intents == config.intents
