"""DryTestingEngine: runs a dry test end to end and returns its figures.

intents -> router -> lane per venue -> venue simulator -> events -> order tracker -> log

Virtual time (the default) runs every action from one time-ordered scheduler, so
simulated latency costs no wall time and the same config and seed give the same event
log and digest. Real time hands the same actions to the asyncio loop at real offsets,
with one executor task per lane. stop() (Ctrl-C in the CLI) takes no new intents, lets
the orders in flight finish, and still returns the figures.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Iterable

from polyedge import _core
from polyedge.config import TestConfig
from polyedge.events import EventLog, run_uuid
from polyedge.fixedpoint import SCALE, Rounding, round_div
from polyedge.intents import IntentGenerator, Timed
from polyedge.lanes import Lane, VenueExecutor
from polyedge.metrics import RunMetrics, RunResult
from polyedge.routing import OrderRouter
from polyedge.scheduler import RealtimeScheduler, Scheduler, VirtualScheduler, wall_clock
from polyedge.state import OrderTracker
from polyedge.types import Market, Venue
from polyedge.venues.profiles import LOCAL_REASONS, PROFILES
from polyedge.venues.simulator import VenueSimulator

Progress = Callable[[int], None]  # called with the number of intents taken so far


class _Pipeline:
    """Every component of one run, wired together."""

    def __init__(self, config: TestConfig, scheduler: Scheduler) -> None:
        self.config = config
        self.scheduler = scheduler
        self.metrics = RunMetrics()
        self.log = EventLog(run_uuid(config.model_dump_json().encode()))
        self.markets: dict[str, Market] = {mc.market_id: mc.market() for mc in config.markets}
        venue_configs = config.venue_configs()
        codes = sorted({code for venue in venue_configs for code in PROFILES[venue].reject_codes()})
        reasons = {reason: number for number, reason in enumerate((*LOCAL_REASONS, *codes), 1)}
        self.tracker = OrderTracker(self.log, self.metrics, scheduler, reasons)
        self.lanes: dict[Venue, Lane] = {}
        self.executors: list[VenueExecutor] = []
        simulators: dict[Venue, VenueSimulator] = {}
        for venue, vc in venue_configs.items():
            own = [(mc, self.markets[mc.market_id]) for mc in config.markets if mc.venue is venue]
            simulators[venue] = VenueSimulator(vc, own, config.seed, scheduler, self.tracker)
            self.lanes[venue] = Lane(venue, vc.queue_capacity, vc.backpressure)
            self.executors.append(
                VenueExecutor(self.lanes[venue], simulators[venue], self.tracker, scheduler)
            )
        self.router = OrderRouter(self.lanes, simulators, self.tracker, scheduler, self.metrics)


class DryTestingEngine:
    """`await DryTestingEngine(config).run()` runs a dry test and returns its RunResult.

    `source` replaces the seeded intent generator: any iterable of batches of
    (arrival time in ns, Intent | Cancel), arrival times not decreasing.
    """

    def __init__(
        self, config: TestConfig | None = None, source: Iterable[list[Timed]] | None = None
    ) -> None:
        self.config = config or TestConfig()
        self._source = source
        self._stopping = False

    def stop(self) -> None:
        """Take no new intents; let the orders in flight finish; run() then returns."""
        self._stopping = True

    async def run(self, progress: Progress | None = None) -> RunResult:
        started = wall_clock()
        if self.config.mode == "virtual":
            pipeline = _Pipeline(self.config, VirtualScheduler())
            taken = await self._run_virtual(pipeline, progress)
        else:
            pipeline = _Pipeline(self.config, RealtimeScheduler())
            taken = await self._run_realtime(pipeline, progress)
        return _result(pipeline, taken, wall_clock() - started, self._stopping)

    def _batches(self, pipeline: _Pipeline) -> Iterable[list[Timed]]:
        if self._source is not None:
            return self._source
        return IntentGenerator(self.config, pipeline.markets).batches()

    async def _run_virtual(self, pipeline: _Pipeline, progress: Progress | None) -> int:
        scheduler = pipeline.scheduler
        assert isinstance(scheduler, VirtualScheduler)
        executors = {executor.lane.venue: executor for executor in pipeline.executors}
        route = pipeline.router.route
        taken = 0
        for batch in self._batches(pipeline):
            if self._stopping:
                break
            for time, item in batch:
                while (full := route(item, time)) is not None:
                    executors[full.venue].drain()  # "wait": the executor takes what is queued
            for executor in pipeline.executors:
                executor.drain()
            scheduler.run_until(batch[-1][0])
            taken += len(batch)
            if progress:
                progress(taken)
            await asyncio.sleep(0)  # let the loop breathe (signals, other tasks)
        scheduler.run_until(None)
        return taken

    async def _run_realtime(self, pipeline: _Pipeline, progress: Progress | None) -> int:
        scheduler = pipeline.scheduler
        assert isinstance(scheduler, RealtimeScheduler)
        senders_done = asyncio.Event()
        senders = [asyncio.create_task(e.run(senders_done)) for e in pipeline.executors]
        taken = 0
        try:
            for batch in self._batches(pipeline):
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
                    taken += 1
                if progress:
                    progress(taken)
                if self._stopping:
                    break
        finally:
            senders_done.set()
            await asyncio.gather(*senders)
        await scheduler.idle()
        return taken


def _peak_rss_mb() -> float:
    try:
        import resource
    except ImportError:  # Windows
        return 0.0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


def _result(pipeline: _Pipeline, taken: int, wall_seconds: float, interrupted: bool) -> RunResult:
    metrics, log = pipeline.metrics, pipeline.log
    digest = log.digest()
    states = dict(metrics.final_states)
    for state, count in pipeline.tracker.unfinished().items():
        states[state] = states.get(state, 0) + count
    return RunResult(
        run_id=str(log.run_id),
        seed=pipeline.config.seed,
        mode=pipeline.config.mode,
        compiled_core=_core.COMPILED,
        interrupted=interrupted,
        intents=taken,
        intents_by_kind=dict(sorted(metrics.intents_by_kind.items())),
        intents_refused=dict(sorted(metrics.intents_refused.items())),
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
    )
