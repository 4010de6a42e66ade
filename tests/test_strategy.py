"""The closed loop: a Strategy's callbacks and coroutines against the simulated venues."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

from polyedge import Context, DryTestingEngine, Strategy, TestConfig, reconcile
from polyedge.config import ConfigError
from polyedge.errors import FloatRefused, InvalidValue
from polyedge.fixedpoint import to_units
from polyedge.metrics import OrderTruth, RunResult
from polyedge.store.sqlite import SqliteStore
from polyedge.strategy import (
    Book,
    OrderUpdate,
    StrategyError,
    UnknownMarket,
    UnknownOrder,
    UpdateKind,
    load_strategy,
)
from polyedge.types import Fill, OrderState

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PM = "pm-btc-100k"


def config(seconds: float = 10, **fields: Any) -> TestConfig:
    return TestConfig(duration_s=seconds, intents=None, **fields)


def run(strategy: Strategy, cfg: TestConfig | None = None, **kwargs: Any) -> RunResult:
    return asyncio.run(DryTestingEngine(cfg or config(), strategy=strategy, **kwargs).run())


def example(name: str) -> Any:
    path = EXAMPLES / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"example_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


class Recorder(Strategy):
    """Quotes at the bid, takes at the ask, cancels half its resting orders; records all."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, int, object]] = []
        self.books: list[tuple[int, Book]] = []
        self.stops = 0

    def on_start(self, ctx: Context) -> None:
        self.seen.append(("start", ctx.now, None))
        ctx.set_timer("tick", every=250_000_000)

    def on_book(self, ctx: Context, market_id: str, book: Book) -> None:
        self.books.append((ctx.now, book))
        if market_id != PM or book.best_bid is None or book.best_ask is None:
            return
        if len(ctx.open_orders(PM)) < 3:
            ctx.submit(PM, "buy", "yes", book.best_bid, to_units(10))
            ctx.submit(PM, "buy", "yes", book.best_ask, to_units(5), "FAK")

    def on_order(self, ctx: Context, update: OrderUpdate) -> None:
        self.seen.append(("order", ctx.now, update))
        if update.kind is UpdateKind.ACK and update.order_id % 4 == 1:
            ctx.cancel(update.order_id)

    def on_fill(self, ctx: Context, fill: Fill) -> None:
        self.seen.append(("fill", ctx.now, fill))

    def on_timer(self, ctx: Context, name: str) -> None:
        self.seen.append(("timer", ctx.now, name))

    def on_stop(self, ctx: Context) -> None:
        self.stops += 1
        ctx.cancel_all()


def test_a_strategy_sees_every_answer_about_its_orders_in_time_order() -> None:
    bot = Recorder()
    result = run(bot)
    times = [time for _, time, _ in bot.seen]
    assert times == sorted(times)
    assert bot.seen[0] == ("start", 0, None) and bot.stops == 1
    timers = [time for kind, time, _ in bot.seen if kind == "timer"]
    assert timers == [250_000_000 * k for k in range(1, len(timers) + 1)] and len(timers) >= 39
    fills = [item for kind, _, item in bot.seen if kind == "fill"]
    updates = [item for kind, _, item in bot.seen if kind == "order"]
    assert isinstance(fills[0], Fill) and isinstance(updates[0], OrderUpdate)
    assert result.fills == len(fills) and result.orders == result.intents > 10
    # Every order was answered, and ended (cancelled at the end, or before).
    assert set(result.orders_by_state) <= {"FILLED", "CANCELLED", "EXPIRED", "REJECTED"}
    kinds = {update.kind for update in updates}
    assert {UpdateKind.ACK, UpdateKind.CANCEL_ACK} <= kinds
    assert {fill.liquidity.value for fill in fills} == {"maker", "taker"}
    assert all(fill.size > 0 and fill.fee >= 0 and int(fill.trade_id) > 0 for fill in fills)


def test_books_reach_the_strategy_after_their_latency_and_in_order() -> None:
    bot = Recorder()
    run(bot)
    published = [book.time for _, book in bot.books if book.market_id == PM]
    assert published == sorted(published) and len(published) >= 99
    assert all(arrived > book.time for arrived, book in bot.books)
    assert all(
        book.bids[0][0] < book.asks[0][0] for _, book in bot.books if book.bids and book.asks
    )


def test_a_strategy_run_is_deterministic() -> None:
    first, second = Recorder(), Recorder()
    assert run(first).digest == run(second).digest
    assert first.seen == second.seen


class Careless(Strategy):
    """Makes every mistake the context must refuse, then trades once."""

    def __init__(self) -> None:
        self.errors: list[type[Exception]] = []

    def on_book(self, ctx: Context, market_id: str, book: Book) -> None:
        if market_id != PM or ctx.open_orders() or self.errors:
            return
        attempts: list[Any] = [
            lambda: ctx.submit("nowhere", "buy", "yes", to_units("0.5"), to_units(10)),
            lambda: ctx.submit(PM, "buy", "yes", 0.5, to_units(10)),
            lambda: ctx.submit(PM, "buy", "yes", to_units("0.505"), to_units(10)),
            lambda: ctx.submit(PM, "buy", "maybe", to_units("0.5"), to_units(10)),
            lambda: ctx.cancel(12345),
            lambda: ctx.order(7),
            lambda: ctx.position("nowhere"),
        ]
        for attempt in attempts:
            with pytest.raises((InvalidValue, FloatRefused, ValueError)) as raised:
                attempt()
            self.errors.append(type(raised.value))
        ctx.submit(PM, "buy", "yes", to_units("0.5"), to_units(10))


class Careful(Strategy):
    def __init__(self) -> None:
        self.errors: list[type[Exception]] = []

    def on_book(self, ctx: Context, market_id: str, book: Book) -> None:
        if market_id == PM and not ctx.open_orders() and not self.errors:
            self.errors.append(ValueError)
            ctx.submit(PM, "buy", "yes", to_units("0.5"), to_units(10))


def test_bad_calls_raise_clear_errors_and_change_nothing() -> None:
    careless = Careless()
    result = run(careless)
    assert careless.errors[0] is UnknownMarket and FloatRefused in careless.errors
    assert UnknownOrder in careless.errors
    # The run is the one the same strategy without the mistakes makes.
    assert result.digest == run(Careful()).digest


class Raises(Strategy):
    def on_fill(self, ctx: Context, fill: Fill) -> None:
        raise KeyError("my bug")

    def on_book(self, ctx: Context, market_id: str, book: Book) -> None:
        if market_id == PM and book.best_ask and not ctx.open_orders():
            ctx.submit(PM, "buy", "yes", book.best_ask, to_units(10), "FAK")


def test_a_strategy_exception_stops_the_run_naming_where_and_keeps_it_resumable(
    tmp_path: Path,
) -> None:
    store = SqliteStore(tmp_path / "runs.db")
    engine = DryTestingEngine(config(), strategy=Raises(), store=store)
    with pytest.raises(
        StrategyError, match=r"Raises.on_fill raised KeyError: 'my bug' \(simulated"
    ):
        asyncio.run(engine.run())

    async def status() -> tuple[str, int]:
        async with SqliteStore(tmp_path / "runs.db") as reopened:
            record = await reopened.get_run(engine.run_id)
            assert record is not None
            return record.status, record.events

    state, events = asyncio.run(status())
    assert state == "interrupted" and events > 0


class Coroutine(Strategy):
    """The asyncio flavour: sleeps, awaits its orders' answers and ends, reads events."""

    def __init__(self) -> None:
        self.steps: list[tuple[int, object]] = []

    async def run(self, ctx: Context) -> None:
        await ctx.sleep(300_000_000)
        self.steps.append((ctx.now, "woke"))
        book = ctx.book(PM)
        assert book is not None and book.best_ask is not None
        order_id = ctx.submit(PM, "buy", "yes", book.best_ask, to_units(5), "FAK")
        first = await ctx.response(order_id)
        self.steps.append((ctx.now, first))
        ended = await ctx.done(order_id)
        self.steps.append((ctx.now, ended.state))
        ctx.spawn(self.later(ctx))
        async for event in ctx.events():
            if isinstance(event, Book) and event.market_id == PM:
                self.steps.append((ctx.now, "book"))
                ctx.stop()
        self.steps.append((ctx.now, "events ended"))

    async def later(self, ctx: Context) -> None:
        await ctx.sleep(10)
        self.steps.append((ctx.now, "spawned"))


def test_coroutines_run_in_simulated_time_deterministically() -> None:
    bot, again = Coroutine(), Coroutine()
    result = run(bot)
    assert run(again).digest == result.digest and again.steps == bot.steps
    times = [time for time, _ in bot.steps]
    assert times == sorted(times) and times[0] == 300_000_000
    assert isinstance(bot.steps[1][1], OrderUpdate) and bot.steps[1][1].kind is UpdateKind.ACK
    assert bot.steps[2][1] is OrderState.FILLED
    assert [step for _, step in bot.steps[3:]] == ["spawned", "book", "events ended"]
    assert result.simulated_seconds < 1  # it stopped itself


class AwaitsAsyncio(Strategy):
    async def run(self, ctx: Context) -> None:
        await asyncio.sleep(0.01)


def test_awaiting_the_event_loop_in_a_simulated_run_is_a_clear_error() -> None:
    with pytest.raises(StrategyError, match="may await only the simulation's own waits"):
        run(AwaitsAsyncio())


class RaisesLater(Strategy):
    def on_timer(self, ctx: Context, name: str) -> None:
        raise ValueError("late")

    def on_start(self, ctx: Context) -> None:
        ctx.set_timer("once", at=50_000_000)


def test_an_error_in_real_time_says_how_far_into_the_run() -> None:
    with pytest.raises(
        StrategyError, match=r"on_timer raised ValueError: late \(time into the run"
    ):
        run(RaisesLater(), config(1, mode="realtime"))


def test_raw_mode_delivers_faults_as_sent_and_reconcile_finds_a_naive_bots_mistakes() -> None:
    oms = example("oms_reconcile")
    cfg = TestConfig.load(EXAMPLES / "oms_reconcile.toml")
    careful = oms.ReconcilingOms(orders=300)
    result = run(careful, cfg)
    assert result.truth is not None and len(result.truth) == 300
    assert careful.duplicates > 0 and careful.late > 0  # the faults reached the bot raw
    assert result.faults_injected["kalshi"]["duplicate_fill"] > 0
    assert reconcile(result.truth, careful.records()) == []

    class Naive(oms.ReconcilingOms):  # type: ignore[misc,name-defined]
        def on_fill(self, ctx: Context, fill: Fill) -> None:  # counts every fill it is sent
            record = self.book[fill.order_id]
            record.trade_ids.append(fill.trade_id)
            record.filled += fill.size
            record.fees += fill.fee

    naive = Naive(orders=300)
    disagreements = reconcile(run(naive, cfg).truth or {}, naive.records())
    assert {d.field for d in disagreements} >= {"filled", "trade_ids", "state"}


def test_reconcile_lists_missing_orders_and_accepts_state_names() -> None:
    truth = {1: OrderTruth(1, OrderState.FILLED, 5, 1, ("7",)), 2: OrderTruth(2, "REJECTED", 0, 0)}
    mine = {1: OrderTruth(1, "filled", 5, 1, ("7",)), 3: OrderTruth(3, "cancelled", 0, 0)}
    found = reconcile(truth, mine)
    assert [(d.order_id, d.field) for d in found] == [(2, "order"), (3, "order")]


def test_the_market_maker_holds_its_inventory_limit_at_every_fill() -> None:
    maker = example("market_maker").MarketMaker(limit=30, size=10)
    result = run(maker, config(120))
    assert result.fills > 20
    assert 0 < maker.worst_inventory <= to_units(30)
    assert set(result.orders_by_state) <= {"FILLED", "CANCELLED", "REJECTED"}


def test_the_lifecycle_mix_ends_every_order(capsys: pytest.CaptureFixture[str]) -> None:
    result = example("lifecycle_mix").main(2_000)
    assert "2,000 orders" in capsys.readouterr().out
    assert result.orders == 2_000
    assert set(result.orders_by_state) <= {"FILLED", "CANCELLED", "REJECTED", "EXPIRED"}
    assert result.rejects_by_reason["polymarket"]["INVALID_POST_ONLY_ORDER"] > 50


def test_load_strategy_says_what_is_wrong(tmp_path: Path) -> None:
    bot = tmp_path / "bot.py"
    bot.write_text("from polyedge import Strategy\nclass Bot(Strategy):\n    pass\n")
    assert type(load_strategy(f"{bot}:Bot")).__name__ == "Bot"
    for spec, message in (
        ("bot", "give it as"),
        (f"{tmp_path}/missing.py:Bot", "no file"),
        (f"{bot}:Other", "no Strategy subclass Other"),
        ("polyedge.no_such_module:Bot", "ModuleNotFoundError"),
    ):
        with pytest.raises(ConfigError, match=message):
            load_strategy(spec)
    with pytest.raises(ConfigError, match="do not fit"):
        load_strategy(f"{bot}:Bot", {"size": 3})


def test_a_strategy_file_imports_its_own_modules_beside_it(tmp_path: Path) -> None:
    (tmp_path / "my_sizing.py").write_text("SIZE = 7\n")
    (tmp_path / "sized.py").write_text(
        "from my_sizing import SIZE\nfrom polyedge import Strategy\n"
        "class Sized(Strategy):\n    size = SIZE\n"
    )
    assert load_strategy(f"{tmp_path / 'sized.py'}:Sized").size == 7  # type: ignore[attr-defined]
    assert str(tmp_path) not in sys.path


def test_the_arbitrage_bot_ends_hedged_having_unwound_its_one_legged_pairs() -> None:
    bot = example("arbitrage").CrossVenueArbitrage()
    result = run(bot, config(120))
    assert bot.pairs > 100 and bot.unwound > 10 and bot.residual == 0
    held = {s.market_id: (s.yes, s.no) for s in result.settlements}
    (pm_yes, pm_no), (kx_yes, kx_no) = held["pm-btc-100k"], held["KXBTC-100K"]
    assert pm_yes == kx_no and kx_yes == pm_no  # every YES bought is matched by a NO
    assert pm_yes + kx_yes == bot.pairs * to_units(10)


def test_a_stored_strategy_run_stopped_midway_resumes_to_the_uninterrupted_digest(
    tmp_path: Path,
) -> None:
    whole = run(Recorder(), config(30))
    engine = DryTestingEngine(config(30), strategy=Recorder(), store=SqliteStore(tmp_path / "s"))

    def stop_midway(seconds: int) -> None:  # a strategy run's progress: simulated seconds
        if seconds >= 15:
            engine.stop()

    cut = asyncio.run(engine.run(stop_midway))
    assert cut.interrupted and cut.store is not None and cut.store.status == "interrupted"
    again = DryTestingEngine(config(30), strategy=Recorder(), store=SqliteStore(tmp_path / "s"))
    assert again.run_id == engine.run_id
    resumed = asyncio.run(again.run())
    assert resumed.store is not None and resumed.store.resumed_from > 0
    assert resumed.digest == whole.digest and resumed.events == whole.events


def test_a_strategy_runs_in_real_time() -> None:
    bot = Recorder()
    result = run(bot, config(0.5, mode="realtime"))
    assert result.orders > 0 and bot.stops == 1
    assert 0.45 < result.wall_seconds < 5
    assert set(result.orders_by_state) <= {"FILLED", "CANCELLED", "EXPIRED", "REJECTED"}


def test_the_command_line_runs_a_strategy_file_with_its_params_and_resumes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from click.testing import CliRunner

    from polyedge.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    (tmp_path / "scenario.toml").write_text(
        "duration_s = 120\n[strategy]\nraw = true\nparams = { orders = 50 }\n"
        '[[markets]]\nvenue = "kalshi"\nmarket_id = "KXBTC-100K"\n'
    )
    spec = f"{EXAMPLES / 'oms_reconcile.py'}:ReconcilingOms"
    args = ["run", "-q", "--config", "scenario.toml", "--strategy", spec, "--json", "out.json"]
    runner = CliRunner()
    first = runner.invoke(main, args)
    assert first.exit_code == 0, first.output
    truth = json.loads((tmp_path / "out.json").read_text())["truth"]
    assert len(truth) == 50 and {order["state"] for order in truth.values()} <= {
        "FILLED",
        "CANCELLED",
        "REJECTED",
        "EXPIRED",
    }
    run_id = json.loads((tmp_path / "out.json").read_text())["run_id"]
    again = runner.invoke(main, ["run", "-q", "--resume", run_id, "--json", "again.json"])
    assert again.exit_code == 0, again.output  # replayed from the stored config and checked
    stored = json.loads((tmp_path / "again.json").read_text())["store"]
    assert stored["matches_stored_digest"] is True
    bad = runner.invoke(main, ["run", "-q", "--no-store", "--strategy", "bot.py:Nope"])
    assert bad.exit_code == 2 and "no file" in bad.output


def test_the_report_names_the_strategy_and_its_raw_mode() -> None:
    from io import StringIO

    from rich.console import Console

    from polyedge.report import render

    oms = load_strategy(f"{EXAMPLES / 'oms_reconcile.py'}:ReconcilingOms", {"orders": 20})
    result = run(oms, TestConfig.load(EXAMPLES / "oms_reconcile.toml"))
    assert result.strategy == "oms_reconcile.py:ReconcilingOms (raw)"
    out = StringIO()
    render(result, Console(file=out, width=120))
    assert "oms_reconcile.py:ReconcilingOms (raw)" in out.getvalue()
    assert run(Recorder()).strategy == "test_strategy:Recorder"
