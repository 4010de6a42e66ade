"""`polyedge bench`: the performance targets, measured beside same-run baselines.

Each metric is timed several times and reported as its median, next to a baseline from
the standard library timed in the same run (the machines are shared and noisy: compare
the ratio, not the absolute figure), with the target it is held to, if it has one.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import statistics
import tempfile
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from polyedge import _core
from polyedge.config import (
    ArbitrageConfig,
    IntentMix,
    LatencyConfig,
    MarketConfig,
    ResponseModel,
    TestConfig,
    VenueConfig,
)
from polyedge.engine import DryTestingEngine, Pipeline, identity
from polyedge.events import OrderRow, Row, run_uuid
from polyedge.fixedpoint import SCALE
from polyedge.lifecycle_mix import LifecycleMix, scenario
from polyedge.recovery import recover
from polyedge.scheduler import VirtualScheduler
from polyedge.store import Batch, PostgresStore, SqliteStore, Store
from polyedge.types import Intent, Order, Outcome, Side, Venue
from polyedge.venues.latency import ConstantLatency


@dataclass(frozen=True, slots=True)
class Measurement:
    metric: str
    unit: str
    measured: float
    target: float | None  # None: measured to be seen, held to nothing
    higher_is_better: bool
    baseline: str = ""  # what the baseline is
    baseline_value: float | None = None
    target_is_ratio: bool = False  # the target is for measured / baseline

    @property
    def passed(self) -> bool:
        if self.target is None:
            return True
        value = self.ratio if self.target_is_ratio else self.measured
        if value is None:
            return False
        if self.higher_is_better:
            return value >= self.target
        return value <= self.target

    @property
    def ratio(self) -> float | None:
        """measured / baseline: how many baselines one measured operation costs."""
        if not self.baseline_value:
            return None
        return self.measured / self.baseline_value


@dataclass(frozen=True, slots=True)
class Sizes:
    repeats: int
    intents: int  # end-to-end run
    lane_intents: int
    store_events: int
    recovery_orders: int
    group_intents: int  # a virtual run of mostly arbitrage groups
    book_ops: int
    stored_intents: int  # a run into each store, beside the same run with none
    strategy_orders: int  # the lifecycle mix, a strategy's callbacks in the loop


QUICK = Sizes(
    repeats=3,
    intents=50_000,
    lane_intents=20_000,
    store_events=300_000,  # fewer, and starting up the store is most of the time
    recovery_orders=20_000,
    group_intents=40_000,
    book_ops=200_000,
    stored_intents=20_000,
    strategy_orders=50_000,
)
FULL = Sizes(
    repeats=5,
    intents=1_000_000,
    lane_intents=200_000,
    store_events=1_000_000,
    recovery_orders=1_000_000,
    group_intents=210_000,
    book_ops=1_000_000,
    stored_intents=200_000,
    strategy_orders=1_000_000,
)


def _median_ns_per_op(
    operation: Callable[[], object],
    ops: int,
    repeats: int,
    setup: Callable[[], object] = lambda: None,
) -> float:
    times = []
    for _ in range(repeats):
        setup()
        start = time.perf_counter_ns()
        operation()
        times.append((time.perf_counter_ns() - start) / ops)
    return statistics.median(times)


def enqueue(sizes: Sizes) -> Measurement:
    items = list(range(1_000))
    ring = _core.RingQueue(1_024)
    baseline: deque[int] = deque()
    pushed = _median_ns_per_op(
        lambda: deque(map(ring.push, items), maxlen=0),
        len(items),
        sizes.repeats * 20,
        setup=ring.pop_many,
    )
    appended = _median_ns_per_op(
        lambda: deque(map(baseline.append, items), maxlen=0),
        len(items),
        sizes.repeats * 20,
        setup=baseline.clear,
    )
    return Measurement("enqueue (ring push)", "ns", pushed, 1_000, False, "deque.append", appended)


def routing(sizes: Sizes) -> Measurement:
    state: dict[str, Any] = {}

    def setup() -> None:
        config = TestConfig()
        pipeline = Pipeline(config, VirtualScheduler(), identity(config))
        market = pipeline.markets["KXBTC-100K"]
        state["route"] = pipeline.router.route
        state["intents"] = [
            Intent(
                intent_id=n,
                market=market,
                side=Side.BUY,
                outcome=Outcome.YES,
                price=10_000,
                size=SCALE,
            )
            for n in range(1, 1_001)
        ]

    def route_all() -> None:
        route = state["route"]
        for intent in state["intents"]:
            route(intent, 0)

    def stdlib_equivalent() -> None:
        counter, table, lane = itertools.count(1), {}, deque[Order]()
        for intent in state["intents"]:
            order = Order(intent.intent_id, intent, next(counter))
            table[order.order_id] = order
            lane.append(order)

    routed = _median_ns_per_op(route_all, 1_000, sizes.repeats * 10, setup)
    baseline = _median_ns_per_op(stdlib_equivalent, 1_000, sizes.repeats * 10)
    return Measurement(
        "routing an intent", "ns", routed, 1_000, False, "count+dict+deque", baseline
    )


def _run(config: TestConfig, store: Store | None = None) -> Any:
    return asyncio.run(DryTestingEngine(config, store=store).run())


# A venue that answers within a millisecond, so a real-time run measures our code.
_FAST = LatencyConfig(
    submit_ack=ConstantLatency(value_us=500),
    fill=ConstantLatency(value_us=200),
    cancel_ack=ConstantLatency(value_us=500),
)


def _runs(config: TestConfig, sizes: Sizes) -> list[Any]:
    """Results of the same run repeated, for a median: one run's wall rate on a shared
    machine varies by a fifth between identical runs."""
    return [_run(config) for _ in range(max(1, sizes.repeats // 2))]


def _asyncio_queue_rate(items: int = 100_000) -> float:
    """Items per second through an asyncio.Queue (put_nowait, then get_nowait)."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    start = time.perf_counter()
    for item in range(items):
        queue.put_nowait(item)
        queue.get_nowait()
    return items / (time.perf_counter() - start)


def lanes(sizes: Sizes) -> list[Measurement]:
    """Intents per second through one venue's lane, alone, in each time mode."""
    baseline = statistics.median(_asyncio_queue_rate() for _ in range(sizes.repeats))
    found = []
    for venue in Venue:
        market = MarketConfig(venue=venue, market_id=f"{venue}-only")
        modes: tuple[tuple[Literal["virtual", "realtime"], int], ...] = (
            ("virtual", sizes.lane_intents),
            ("realtime", 5_000),
        )
        for mode, intents in modes:
            config = TestConfig(
                markets=[market],
                intents=intents,
                mode=mode,
                arrival_rate=1_000_000,
                mix=IntentMix(arbitrage=0, gtd_lifetime_s=0.05, gtc_lifetime_s=0.1),
                venues=[
                    VenueConfig(
                        venue=venue,
                        latency=_FAST,
                        responses=ResponseModel(resting_fill_mean_s=0.01),
                    )
                ],
            )
            rate = statistics.median(r.intents_per_second for r in _runs(config, sizes))
            found.append(
                Measurement(
                    f"lane {venue} {mode}",
                    "intents/s",
                    rate,
                    10_000,
                    True,
                    "asyncio.Queue",
                    baseline,
                )
            )
    return found


def arbitrage_scenario(mode: Literal["virtual", "realtime"], intents: int) -> TestConfig:
    """Twin markets with a lasting edge, mostly arbitrage, a venue rejecting 30% of orders:
    groups complete, fail, time out and unwind all the time."""
    markets = [
        MarketConfig.model_validate(
            {"venue": venue, "market_id": name, "twin": twin, "fair_price": fair, "volatility": "0"}
        )
        for venue, name, twin, fair in (
            (Venue.POLYMARKET, "pm", "ks", "0.40"),
            (Venue.KALSHI, "ks", "pm", "0.55"),
        )
    ]
    responses = ResponseModel(reject_rate=0.3, resting_fill_mean_s=0.01)
    return TestConfig(
        markets=markets,
        venues=[VenueConfig(venue=v, latency=_FAST, responses=responses) for v in Venue],
        mix=IntentMix(gtc=0.05, gtd=0, fok=0, fak=0, cancel=0, arbitrage=1, gtc_lifetime_s=0.1),
        intents=intents,
        mode=mode,
        arrival_rate=2_000 if mode == "realtime" else 10_000,
        arbitrage=ArbitrageConfig(leg_time_in_force="GTC", leg_timeout_s=0.05),
    )


def groups(sizes: Sizes) -> list[Measurement]:
    realtime = _run(arbitrage_scenario("realtime", 2_000))  # ~1 s; a few hundred failures
    virtual = _run(arbitrage_scenario("virtual", sizes.group_intents))
    assert realtime.arbitrage is not None and virtual.arbitrage is not None
    return [
        Measurement(
            "group failure->cancels p99 (realtime)",
            "us",
            realtime.arbitrage.cancel_latency_wall.p99_us,
            50,
            False,
        ),
        Measurement(
            f"{virtual.arbitrage.attempted:,} groups: peak RSS",
            "MB",
            virtual.peak_rss_mb,
            300,
            False,
        ),
    ]


def end_to_end(sizes: Sizes) -> tuple[Measurement, Measurement]:
    """The default scenario (order books), beside the same run on the touch model."""
    books = TestConfig(intents=sizes.intents)
    touch = books.model_copy(
        update={"markets": [m.model_copy(update={"liquidity": "touch"}) for m in books.markets]}
    )
    results = _runs(books, sizes)
    return (
        Measurement(
            f"end to end {sizes.intents:,} (books)",
            "intents/s",
            statistics.median(result.intents_per_second for result in results),
            200_000,
            True,
            "touch model",
            statistics.median(result.intents_per_second for result in _runs(touch, sizes)),
        ),
        Measurement("peak RSS", "MB", max(result.peak_rss_mb for result in results), 300, False),
    )


def strategy_loop(sizes: Sizes) -> list[Measurement]:
    """The lifecycle mix (polyedge.lifecycle_mix): one order per book update, reacting in
    Python to every ack, fill and reject, beside the default run's intent rate."""
    orders = sizes.strategy_orders
    result = asyncio.run(
        DryTestingEngine(scenario(orders), strategy=LifecycleMix(orders=orders)).run()
    )
    generated = _run(TestConfig(intents=orders // 4)).intents_per_second
    return [
        Measurement(
            f"lifecycle mix {orders:,} orders",
            "orders/s",
            result.orders / result.wall_seconds,
            100_000,
            True,
            "generated intents",
            generated,
        ),
        Measurement("lifecycle mix: peak RSS", "MB", result.peak_rss_mb, 300, False),
    ]


BOOK_LEVELS = 1_000
_BOOK_MID = BOOK_LEVELS // 2


def mixed_book_stream(rows: int, seed: int = 7) -> npt.NDArray[np.int64]:
    """Rows (op, order_id, buy, level, size) of a valid add/cancel/match stream."""
    rng = np.random.default_rng(seed)
    op = rng.choice(3, size=rows, p=[0.5, 0.3, 0.2])  # 0 add, 1 cancel, 2 match
    buy = rng.integers(0, 2, size=rows)
    away = np.minimum(rng.geometric(0.15, size=rows), _BOOK_MID - 1)  # levels off the mid
    adds_so_far = np.cumsum(op == 0)
    recent = np.maximum(adds_so_far - rng.integers(0, 2_000, size=rows), 1)
    stream = np.zeros((rows, 5), dtype=np.int64)
    stream[:, 0] = op
    stream[:, 1] = np.where(op == 0, adds_so_far, np.where(op == 1, recent, 0))
    stream[:, 2] = buy
    # An add rests on its own side of the mid; a match reaches across it by `away`.
    rests = np.where(buy == 1, _BOOK_MID - away, _BOOK_MID + away)
    reaches = np.where(buy == 1, _BOOK_MID + away, _BOOK_MID - away)
    stream[:, 3] = np.where(op == 0, rests, np.where(op == 2, reaches, 0))
    stream[:, 4] = np.where(
        op == 0, rng.integers(1, 100, size=rows), rng.integers(1, 200, size=rows)
    )
    return stream


def matching(sizes: Sizes) -> Measurement:
    """Order-book operations (add, cancel, match) through the compiled loop."""
    stream = mixed_book_stream(sizes.book_ops)
    seconds = statistics.median(
        _timed(lambda: _core.OrderBook(BOOK_LEVELS).run(stream)) for _ in range(sizes.repeats)
    )
    return Measurement("order book ops", "ops/s", len(stream) / seconds, 1_000_000, True)


def _timed(operation: Callable[[], object]) -> float:
    start = time.perf_counter()
    operation()
    return time.perf_counter() - start


def synthetic_batches(orders: int, per_order: int, batch: int = 32_768) -> list[Batch]:
    """Batches of a run of `orders` orders with `per_order` events each; the last event
    fills the order, except for one order in a hundred, which stays in flight."""
    batches = []
    for start in range(1, orders * per_order + 1, batch):
        rows: list[Row] = []
        for seq in range(start, min(start + batch, orders * per_order + 1)):
            order_id, last = (seq - 1) // per_order + 1, seq % per_order == 0
            state = 3 if last and order_id % 100 else 1  # FILLED, or still SUBMITTED
            rows.append((seq, order_id, 1, 1, 1, 1, state, 500_000, SCALE, 0, 0, seq))
        first = rows[0][1] + (0 if rows[0][0] % per_order == 1 else 1)
        new_orders: list[OrderRow] = [
            (o, o, 1, "m", "buy", "yes", 500_000, SCALE, "GTC", None, False, 0)
            for o in range(first, rows[-1][1] + 1)
        ]
        batches.append(Batch(new_orders, rows))
    return batches


async def write_pipelined(store: Store, run_id: uuid.UUID, batches: list[Batch]) -> float:
    """Write `batches` as the batch writer does, each sent while the one before commits;
    returns the seconds it took."""
    await store.begin_run(run_id, "{}")
    start = time.perf_counter()
    before: asyncio.Future[None] | None = None
    for batch in batches:
        write = asyncio.ensure_future(store.write(run_id, batch, after=before))
        if before is not None:
            await before
        before = write
    if before is not None:
        await before
    return time.perf_counter() - start


def persistence(sizes: Sizes, stores: dict[str, Callable[[], Store]]) -> list[Measurement]:
    batches = synthetic_batches(sizes.store_events // 3, per_order=3)
    found = []
    for name, make in stores.items():

        async def measure(make: Callable[[], Store] = make) -> tuple[float, float]:
            async with make() as store:
                written = run_uuid(uuid.uuid4().bytes)
                seconds = await write_pipelined(store, written, batches)
                # Ended as an engine's run ends, so the store's index is kept as a run leaves it.
                await store.end_run(written, "interrupted", None)
                run_id = run_uuid(uuid.uuid4().bytes)  # killed: recovered before it ends
                await write_pipelined(
                    store, run_id, synthetic_batches(sizes.recovery_orders, per_order=5)
                )
                recovered = await recover(store, run_id)
                await store.end_run(run_id, "interrupted", None)
                return sizes.store_events / seconds, recovered.seconds

        rate, recovery_seconds = asyncio.run(measure())
        target = 300_000 if name == "PostgreSQL" else None
        found.append(Measurement(f"writes {name}", "events/s", rate, target, True))
        found.append(
            Measurement(
                f"recover {sizes.recovery_orders:,} orders {name}",
                "s",
                recovery_seconds,
                2.0,
                False,
            )
        )
    return found


def stored_runs(sizes: Sizes, stores: dict[str, Callable[[], Store]]) -> list[Measurement]:
    """The default run writing every event to each store, beside the same run with none.
    A seed no earlier bench used, so the store is written to rather than replayed."""
    config = TestConfig(intents=sizes.stored_intents, seed=secrets.randbelow(1 << 62))
    bare = _run(config).intents_per_second
    return [
        Measurement(
            f"run of {sizes.stored_intents:,} into {name}",
            "intents/s",
            _run(config, make()).intents_per_second,
            0.7 if name == "PostgreSQL" else None,
            True,
            "no store",
            bare,
            target_is_ratio=True,
        )
        for name, make in stores.items()
    ]


def run_all(
    quick: bool, database_url: str | None, progress: Callable[[str], None] = lambda _: None
) -> list[Measurement]:
    sizes = QUICK if quick else FULL
    found: list[Measurement] = []
    with tempfile.TemporaryDirectory() as scratch:
        stores: dict[str, Callable[[], Store]] = {
            "SQLite": lambda: SqliteStore(Path(scratch) / f"{uuid.uuid4().hex}.sqlite3")
        }
        if database_url:
            stores["PostgreSQL"] = lambda: PostgresStore(database_url)
        steps: list[tuple[str, Callable[[], Any]]] = [
            ("enqueue", lambda: [enqueue(sizes)]),
            ("routing", lambda: [routing(sizes)]),
            ("order book", lambda: [matching(sizes)]),
            ("lanes", lambda: lanes(sizes)),
            ("end to end", lambda: list(end_to_end(sizes))),
            ("arbitrage groups", lambda: groups(sizes)),
            ("strategy in the loop", lambda: strategy_loop(sizes)),
            ("persistence and recovery", lambda: persistence(sizes, stores)),
            ("runs into a store", lambda: stored_runs(sizes, stores)),
        ]
        for name, step in steps:
            progress(name)
            found += step()
    return found


def as_json(measurements: list[Measurement]) -> list[dict[str, Any]]:
    return [asdict(m) | {"passed": m.passed, "ratio": m.ratio} for m in measurements]
