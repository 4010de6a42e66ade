"""DryTestingEngine: runs a dry test end to end and returns its figures.

intents -> router -> lane per venue -> venue simulator -> events -> order tracker -> log

Virtual time (the default) runs every action from one time-ordered scheduler, so
simulated latency costs no wall time and the same config and seed give the same event
log and digest. Real time hands the same actions to the asyncio loop at real offsets,
with one executor task per lane. stop() (Ctrl-C in the CLI) takes no new intents, lets
the orders in flight finish, and still returns the figures.

A stored run is identified by what defines it (config, seed, replayed files) when it is
deterministic: a virtual-time run of the built-in generator or of replayed files. Running
it again replays it against the store and continues it where the store left off. Every
other run (real time, a source of the caller's) gets an id of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import sys
import uuid
from collections.abc import AsyncGenerator, Callable

from polyedge import _core
from polyedge._core.definitions import LOCAL_REASONS
from polyedge.collector import fewer_collections
from polyedge.config import ConfigError, StrategyConfig, TestConfig
from polyedge.coordinator import Coordinator
from polyedge.events import EventLog, run_uuid
from polyedge.fixedpoint import SCALE, Rounding, round_div
from polyedge.intent_worker import generated_batches
from polyedge.intents import Timed
from polyedge.lanes import Lane, VenueExecutor
from polyedge.metrics import RunMetrics, RunResult, StoreSummary
from polyedge.recovery import Recovery, recover
from polyedge.replay import MarketTape, fingerprint, read_market_data, read_orders
from polyedge.routing import OrderRouter
from polyedge.scheduler import RealtimeScheduler, Scheduler, VirtualScheduler, wall_clock
from polyedge.sources import IntentSource, timed_batches, unchecked_batches
from polyedge.state import OrderTracker
from polyedge.store.base import RunRecord, Store, StoreError, WriterStats
from polyedge.store.writer import BatchWriter
from polyedge.strategy import Context, Strategy, StrategyError, load_strategy
from polyedge.types import Intent, Market, Order, Outcome, Venue
from polyedge.venues.simulator import VenueSimulator

# Called as the run goes: with the number of intents taken so far or, in a strategy run,
# with the simulated seconds gone (DryTestingEngine.progress_total says which, of how many).
Progress = Callable[[int], None]
STORE_CLOSE_TIMEOUT_S = 60.0  # how long the end of a run waits for a store that is down
STORE_ABANDON_TIMEOUT_S = 2.0  # how long a run stopped at once waits to mark itself stopped
NS_PER_S = 1_000_000_000
STRATEGY_STEP_NS = NS_PER_S  # a strategy run looks up (signals, progress, store) this often


class Pipeline:
    """Every component of one run, wired together: what a strategy's orders go through
    and what tests and benchmarks drive directly.

    `defined` is identity(config), where the event log's digest starts.
    """

    def __init__(self, config: TestConfig, scheduler: Scheduler, defined: uuid.UUID) -> None:
        self.config = config
        self.scheduler = scheduler
        self.metrics = RunMetrics()
        self.log = EventLog(defined)
        self.markets: dict[str, Market] = config.build_markets()
        tapes = _tapes(config, self.markets)
        venue_configs = config.venue_configs()
        codes = sorted({code for vc in venue_configs.values() for code in vc.rules.reject_codes()})
        reasons = {reason: number for number, reason in enumerate((*LOCAL_REASONS, *codes), 1)}
        self.tracker = OrderTracker(self.log, self.metrics, scheduler, reasons)
        self.lanes: dict[Venue, Lane] = {}
        self.executors: list[VenueExecutor] = []
        self.executors_by_venue: dict[Venue, VenueExecutor] = {}
        simulators: dict[Venue, VenueSimulator] = {}
        for venue, vc in venue_configs.items():
            own = [(mc, self.markets[mc.market_id]) for mc in config.markets if mc.venue is venue]
            simulators[venue] = VenueSimulator(
                vc, own, config.seed, scheduler, self.tracker, dict(tapes), self._resolved
            )
            self.lanes[venue] = Lane(venue, vc.queue_capacity, vc.backpressure)
            executor = VenueExecutor(
                self.lanes[venue], simulators[venue], self.tracker, scheduler, vc.faults
            )
            self.executors.append(executor)
            self.executors_by_venue[venue] = executor
        self.router = OrderRouter(self.lanes, self.executors_by_venue, self.tracker, scheduler)
        self.simulators = simulators
        self.coordinator = Coordinator(
            config.arbitrage,
            scheduler,
            self.submit_now,
            self.router.cancel_order,
            self.quote,
        )
        self.router.start_group = self.coordinator.start
        self.tracker.groups = self.coordinator

    def send(self, intent: Intent) -> Order:
        """Route `intent` now, as an arriving intent is routed (and counted); the order it
        became (a strategy's orders)."""
        return self._now(self.router.route, intent)

    def submit_now(self, intent: Intent) -> Order:
        """Send `intent` to its venue at once, uncounted: the coordinator's legs (counted
        with their group) and unwinds."""
        return self._now(self.router.send, intent)

    def _now(self, route: Callable[[Intent, int], Lane | None], intent: Intent) -> Order:
        """`route(intent, now)`, then its lane drained; while the lane is full under the
        "wait" policy, its executor takes what is queued and the intent goes again."""
        executor, now = self.executors_by_venue[intent.market.venue], self.scheduler.now
        while route(intent, now) is not None:
            executor.drain()
        executor.drain()
        return self.tracker.in_flight[intent.intent_id]

    def _resolved(self, market_id: str, winner: Outcome | None) -> None:
        self.metrics.positions[market_id].winner = winner.value if winner else "void"

    def quote(self, intent: Intent) -> tuple[int, int]:
        return self.simulators[intent.market.venue].quote(intent.market.market_id, intent.outcome)

    def taken(self) -> int:
        """Intents routed so far, a group counting one per leg (the router counts them)."""
        return sum(self.router.routed().values())


class _Persistence:
    """A run's link to its store: the batch writer, and what a resume must check.

    The store holds a prefix of the run's events, 1..N, and only ever events the run
    would log uninterrupted: a stopped run stores nothing it logs while it drains.
    """

    def __init__(self, store: Store, pipeline: Pipeline, run_id: uuid.UUID) -> None:
        self.store = store
        self.pipeline = pipeline
        self.run_id = run_id
        self.recovery: Recovery | None = None
        self.stored: RunRecord | None = None
        self.writer: BatchWriter | None = None

    async def start(self) -> None:
        config = self.pipeline.config
        replay = config.replay
        if replay is not None and replay.orders is not None:
            # Read through before the run is begun, so a bad row leaves nothing stored.
            for _ in read_orders(replay.orders, self.pipeline.markets, start=replay.start):
                pass
        await self.store.open()
        self.stored = await self.store.begin_run(self.run_id, config.model_dump_json())
        if self.stored.status == "completed":
            return  # replayed to check its digest; a completed run is never written again
        if self.stored.events:  # this run is stored already, in part
            self.recovery = await recover(self.store, self.run_id)
            self.pipeline.log.at_count(self.stored.events, self._check_replay)
        self.writer = BatchWriter(
            self.store,
            self.run_id,
            skip_through=self.stored.events,
            batch_rows=self.store.write_rows,
        )
        self.pipeline.log.subscribe(self.writer.consume)
        self.writer.start()

    def seal(self) -> None:
        """Store nothing logged from now on (the run stops taking intents: what it logs
        while it drains, the uninterrupted run would not have logged)."""
        self.pipeline.log.flush()
        if self.writer is not None:
            self.writer.seal()

    async def abandon(self) -> None:
        """Stop at once: write nothing more; mark the run interrupted if the store answers
        quickly. What is stored stays a resumable prefix."""
        if self.writer is not None:
            await self.writer.abort()
        if self.stored is not None and self.stored.status != "completed":
            with contextlib.suppress(Exception):
                async with asyncio.timeout(STORE_ABANDON_TIMEOUT_S):
                    await self.store.end_run(self.run_id, "interrupted", None)

    def _check_replay(self) -> None:
        """At the stored high-water mark, the replay must be where the store says."""
        assert self.recovery is not None
        replayed = {
            order.order_id: (int(order.state), order.filled)
            for order in self.pipeline.tracker.in_flight.values()
        }
        if replayed != self.recovery.by_order():
            raise StoreError(
                f"run {self.run_id} in {self.store.description} does not match its replay at "
                f"event {self.recovery.high_water_mark}: the store holds another run's data"
            )

    async def room(self) -> None:
        if self.writer is not None:
            await self.writer.room()

    async def finish(self, digest: str, interrupted: bool) -> StoreSummary:
        assert self.stored is not None
        stored_events = self.stored.events
        if not interrupted and self.pipeline.log.count < stored_events:
            raise StoreError(
                f"run {self.run_id} in {self.store.description} has {stored_events:,} events "
                f"stored, but its replay ends at {self.pipeline.log.count:,}: the store holds "
                "another run's data"
            )
        if self.writer is not None:
            await self.writer.close(STORE_CLOSE_TIMEOUT_S)
        stats = self.writer.stats if self.writer is not None else WriterStats()
        complete = not interrupted and not stats.unwritten
        status = self.stored.status
        if status != "completed":
            status = "completed" if complete else "interrupted"
            try:
                await self.store.end_run(self.run_id, status, digest if complete else None)
            except Exception as exc:  # the store is gone: the run stays resumable
                status = "running"
                stats.errors.append(f"marking the run's end: {type(exc).__name__}: {exc}")
        await self.store.close()  # before the summary, so it counts the closed connections
        connections = self.store.connections
        return StoreSummary(
            store=self.store.description,
            degraded=stats.degraded,
            events_written=stats.events_written,
            batches=stats.batches,
            retries=stats.retries,
            unwritten=stats.unwritten,
            resumed_from=self.stored.events,
            recovery_seconds=self.recovery.seconds if self.recovery else 0.0,
            matches_stored_digest=(
                digest == self.stored.digest if self.stored.status == "completed" else None
            ),
            status=status,
            connections={
                "opened": connections.opened,
                "closed": connections.closed,
                "failed": connections.failed,
                "in_use": connections.in_use,
            },
            errors=list(stats.errors),
        )


class DryTestingEngine:
    """`await DryTestingEngine(config).run()` runs a dry test and returns its RunResult.

    `strategy` (a polyedge.Strategy; or the one config.strategy.path names) is the bot in
    the loop: it sends the run's orders and sees the venues' answers. `source` replaces
    the seeded intent generator with an open-loop stream (see polyedge.sources): an async
    iterator of Intent | Cancel (or of (arrival time in ns, intent) pairs), or an
    iterable of batches of such pairs; arrival times must not decrease. With a `store`,
    every event is written to it under `run_id`. A deterministic run (virtual time, no
    `source`) already stored there, in part or whole, is replayed: a part is continued
    from its high-water mark, so the result is the same as one uninterrupted run, and a
    completed run is checked against its stored digest, not written again. A strategy
    run's id includes the strategy's identity() (class, source file, arguments).
    """

    def __init__(
        self,
        config: TestConfig | None = None,
        source: IntentSource | None = None,
        store: Store | None = None,
        strategy: Strategy | None = None,
    ) -> None:
        self.config = config or TestConfig()
        if strategy is None and self.config.strategy is not None and self.config.strategy.path:
            strategy = load_strategy(self.config.strategy.path, self.config.strategy.params)
        if strategy is not None and (source is not None or self._replays_orders()):
            raise ConfigError("a run has one source of orders: a strategy or recorded intents")
        self._source = source
        self._strategy = strategy
        self._store = store
        self._stopping = False
        self._cut = False  # the run stopped before taking all its intents
        self._identity = identity(self.config)  # reads the replayed files: once
        deterministic = self.config.mode == "virtual" and source is None
        if not deterministic:
            self.run_id: uuid.UUID = uuid.uuid4()
        elif strategy is not None:
            self.run_id = run_uuid(self._identity.bytes + strategy.identity())
        else:
            self.run_id = self._identity

    def _replays_orders(self) -> bool:
        return self.config.replay is not None and self.config.replay.orders is not None

    def stop(self) -> None:
        """Take no new intents; let the orders in flight finish; run() then returns."""
        self._stopping = True

    async def run(self, progress: Progress | None = None) -> RunResult:
        with fewer_collections():
            return await self._run(progress)

    async def _run(self, progress: Progress | None) -> RunResult:
        started = wall_clock()
        scheduler: Scheduler = (
            VirtualScheduler() if self.config.mode == "virtual" else RealtimeScheduler()
        )
        pipeline = Pipeline(self.config, scheduler, self._identity)
        context = None
        if self._strategy is not None:
            context = Context(pipeline, self._strategy, self.config.strategy or StrategyConfig())
            pipeline.tracker.listener = context
        persistence = _Persistence(self._store, pipeline, self.run_id) if self._store else None
        try:
            if persistence is not None:
                await persistence.start()
            if context is not None and self.config.mode == "virtual":
                await self._run_strategy_virtual(pipeline, context, progress, persistence)
            elif context is not None:
                await self._run_strategy_realtime(pipeline, context)
            elif self.config.mode == "virtual":
                await self._run_virtual(pipeline, progress, persistence)
            else:
                await self._run_realtime(pipeline, progress, persistence)
            digest = pipeline.log.digest()
            store = await persistence.finish(digest, self._cut) if persistence else None
        except asyncio.CancelledError:  # stopped at once (a second Ctrl-C in the CLI)
            if persistence is not None:
                await persistence.abandon()
            raise
        except StrategyError:  # what was logged up to the error stays stored, resumable
            if persistence is not None:
                persistence.seal()
                await persistence.finish(pipeline.log.digest(), interrupted=True)
            raise
        finally:
            if self._store is not None:
                await self._store.close()
        result = _result(pipeline, self.run_id, wall_clock() - started, self._cut, digest, store)
        if context is None or self._strategy is None:
            return result
        # The run ends with the strategy's last word, not where the loop last looked up.
        truth = context.truth()
        return dataclasses.replace(
            result,
            simulated_seconds=context.last_at / NS_PER_S,
            strategy=self._strategy.name() + (" (raw)" if truth is not None else ""),
            truth=truth,
        )

    def progress_total(self) -> tuple[str, int | None]:
        """What run(progress) counts, and up to what (None: not known in advance)."""
        if self._strategy is not None:
            return "simulated s", -(-self.horizon() // NS_PER_S)
        return "intents", None if self._replays_orders() else self.config.intents

    def horizon(self) -> int:
        """How long a strategy run lasts at most (ns): duration_s, or the time the
        generator would take for `intents` at `arrival_rate`."""
        config = self.config
        if config.duration_s is not None:
            return round(config.duration_s * NS_PER_S)
        assert config.intents is not None
        return round(config.intents * NS_PER_S / config.arrival_rate)

    def _stop_when_due(
        self, context: Context, at_horizon: bool, persistence: _Persistence | None
    ) -> None:
        """Stop the strategy when the run is asked to stop, or at its horizon."""
        if self._stopping and not context.stopping:
            # Where the uninterrupted run would go on: it stores up to here.
            self._cut = True
            if persistence is not None:
                persistence.seal()
            context.stop()
        elif at_horizon:
            context.stop()

    async def _run_strategy_virtual(
        self,
        pipeline: Pipeline,
        context: Context,
        progress: Progress | None,
        persistence: _Persistence | None,
    ) -> None:
        scheduler = pipeline.scheduler
        assert isinstance(scheduler, VirtualScheduler)
        room = persistence.room if persistence else _no_wait
        # The strategy's own actions (books, timers, sleeps) keep no run alive: this loop
        # moves time on until it stops, or the horizon is reached.
        horizon = self.horizon()
        scheduler.schedule(0, context.start, (), True)
        while not context.closed:
            self._stop_when_due(context, scheduler.now >= horizon, persistence)
            scheduler.run_until(min(scheduler.now + STRATEGY_STEP_NS, horizon))
            if progress:
                progress(scheduler.now // NS_PER_S)
            await room()  # the store's buffer is full: wait for the writer
            await asyncio.sleep(0)  # let the loop breathe (signals, other tasks)
        scheduler.run_until(None)  # what the strategy sent finishes

    async def _run_strategy_realtime(self, pipeline: Pipeline, context: Context) -> None:
        scheduler = pipeline.scheduler
        assert isinstance(scheduler, RealtimeScheduler)
        horizon = self.horizon()
        scheduler.schedule(0, context.start, (), True)
        while not context.closed:
            # Real time is not replayed: all it logs is stored, nothing is sealed.
            self._stop_when_due(context, scheduler.now >= horizon, None)
            await asyncio.sleep(0.01)
            scheduler.raise_error()
        await scheduler.idle()

    def _batches(self, pipeline: Pipeline, batch_size: int) -> AsyncGenerator[list[Timed], None]:
        source = self._source
        replay = self.config.replay
        if source is None and replay is not None and replay.orders is not None:
            source = read_orders(replay.orders, pipeline.markets, start=replay.start)
        if source is None:
            return unchecked_batches(generated_batches(self.config, pipeline.markets))
        return timed_batches(source, batch_size, lambda: pipeline.scheduler.now)

    async def _run_virtual(
        self, pipeline: Pipeline, progress: Progress | None, persistence: _Persistence | None
    ) -> None:
        scheduler = pipeline.scheduler
        assert isinstance(scheduler, VirtualScheduler)
        route_all = pipeline.router.route_all
        room = persistence.room if persistence else _no_wait
        # Closed as soon as the run is done with it: a worker making intents stops at once.
        batches = contextlib.aclosing(self._batches(pipeline, self.config.batch_size))
        async with batches as source:
            async for batch in source:
                if self._stopping:
                    # Where the uninterrupted run would go on: it stores up to here.
                    self._cut = True
                    if persistence is not None:
                        persistence.seal()
                    break
                route_all(batch)
                for executor in pipeline.executors:
                    executor.drain()
                scheduler.run_until(batch[-1][0])
                if progress:
                    progress(pipeline.taken())
                await room()  # the store's buffer is full: wait for the writer
                await asyncio.sleep(0)  # let the loop breathe (signals, other tasks)
        scheduler.run_until(None)

    async def _run_realtime(
        self, pipeline: Pipeline, progress: Progress | None, persistence: _Persistence | None
    ) -> None:
        scheduler = pipeline.scheduler
        assert isinstance(scheduler, RealtimeScheduler)
        room = persistence.room if persistence else _no_wait
        senders_done = asyncio.Event()
        senders = [asyncio.create_task(e.run(senders_done)) for e in pipeline.executors]
        try:
            async with contextlib.aclosing(self._batches(pipeline, 1)) as source:
                async for batch in source:
                    for time, item in batch:
                        if self._stopping:
                            break
                        await scheduler.sleep_until(time)
                        while (full := pipeline.router.route(item, scheduler.now)) is not None:
                            full.space.clear()
                            await full.space.wait()
                        for lane in pipeline.lanes.values():
                            if lane.queue:
                                lane.pushed.set()
                    if progress:
                        progress(pipeline.taken())
                    await room()
                    if self._stopping:
                        self._cut = True  # real time is not replayed: all it logs is stored
                        break
        finally:
            senders_done.set()
            await asyncio.gather(*senders)
        await scheduler.idle()


def identity(config: TestConfig) -> uuid.UUID:
    """What defines a run, as a UUID: its config and seed, and the bytes of the files it
    replays. The id of a deterministic run; the start of every run's digest."""
    defined = config.model_dump_json().encode()
    if config.replay is not None:
        defined += fingerprint(config.replay.files())
    return run_uuid(defined)


def _tapes(config: TestConfig, markets: dict[str, Market]) -> dict[str, MarketTape]:
    """The recorded market data the venues' books follow, by market id."""
    replay = config.replay
    if replay is None or replay.market_data is None:
        return {}
    tapes = read_market_data(replay.market_data, markets, start=replay.start)
    touch = [
        mc.market_id for mc in config.markets if mc.market_id in tapes and mc.liquidity != "book"
    ]
    if touch:
        raise ConfigError(f'recorded market data needs liquidity = "book" on {", ".join(touch)}')
    return tapes


def _peak_rss_mb() -> float:
    try:
        import resource
    except ImportError:  # Windows
        return 0.0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


async def _no_wait() -> None:
    return None


def _result(
    pipeline: Pipeline,
    run_id: uuid.UUID,
    wall_seconds: float,
    interrupted: bool,
    digest: str,
    store: StoreSummary | None,
) -> RunResult:
    metrics, log = pipeline.metrics, pipeline.log
    taken = pipeline.taken()
    states = pipeline.tracker.ended()
    for state, count in pipeline.tracker.unfinished().items():
        states[state] = states.get(state, 0) + count
    return RunResult(
        run_id=str(run_id),
        seed=pipeline.config.seed,
        mode=pipeline.config.mode,
        compiled_core=_core.COMPILED,
        interrupted=interrupted,
        intents=taken,
        intents_by_kind=dict(sorted(pipeline.router.routed().items())),
        intents_refused=dict(sorted(pipeline.router.refused().items())),
        orders=metrics.orders,
        orders_by_state=dict(sorted(states.items())),
        fills=metrics.fills,
        submitted_size=metrics.submitted_size,
        filled_size=metrics.filled_size,
        fill_ratio=metrics.filled_size / metrics.submitted_size if metrics.submitted_size else 0.0,
        notional=round_div(metrics.notional, SCALE, Rounding.HALF_EVEN),
        fees=metrics.fees,
        rejects_by_reason={
            venue: dict(sorted(codes.items())) for venue, codes in sorted(metrics.rejects.items())
        },
        illegal_transitions=metrics.illegal,
        illegal_examples=list(metrics.illegal_examples),
        latency_us={
            venue: {kind: h.summary() for kind, h in sorted(kinds.items())}
            for venue, kinds in sorted(metrics.latency.items())
        },
        events=log.count,
        simulated_seconds=pipeline.scheduler.now / 1e9,
        wall_seconds=wall_seconds,
        intents_per_second=taken / wall_seconds if wall_seconds > 0 else 0.0,
        peak_rss_mb=_peak_rss_mb(),
        digest=digest,
        store=store,
        arbitrage=pipeline.coordinator.summary()
        if pipeline.coordinator.metrics.attempted
        else None,
        settlements=[
            position.summary(market_id) for market_id, position in sorted(metrics.positions.items())
        ],
        faults_injected={
            venue: dict(sorted(simulator.faults.items()))
            for venue, simulator in sorted(pipeline.simulators.items())
            if simulator.faults
        },
        faults_handled=dict(sorted(metrics.faults_handled.items())),
    )
