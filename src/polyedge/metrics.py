"""What a run measured: counters and latency histograms (the core's), and the typed result."""

from __future__ import annotations

from dataclasses import dataclass, field

from polyedge._core import LatencyHistogram, OrderState, Position, RunMetrics
from polyedge._core.histogram_py import LatencySummary
from polyedge._core.metrics_py import ILLEGAL_EXAMPLES, IllegalTransitionRecord, Settlement

__all__ = [
    "ILLEGAL_EXAMPLES",
    "ArbitrageSummary",
    "IllegalTransitionRecord",
    "LatencyHistogram",
    "LatencySummary",
    "OrderTruth",
    "Position",
    "RunMetrics",
    "RunResult",
    "Settlement",
    "StoreSummary",
]


@dataclass(frozen=True, slots=True)
class OrderTruth:
    """An order as the engine's strict state machine ended it (or left it, still
    working): the truth a bot's own bookkeeping is reconciled with (strategy.reconcile).
    `trade_ids` are its fills' ids, each once; `state` may be given by name."""

    order_id: int
    state: OrderState | str
    filled: int
    fees: int
    trade_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StoreSummary:
    """What persistence did during a run."""

    store: str  # kind and location, never credentials
    degraded: bool  # a batch outlived its retry budget at some point
    events_written: int
    batches: int
    retries: int
    unwritten: int  # events still buffered at the end (the store stayed down)
    resumed_from: int  # events already stored when the run started (0: a new run)
    recovery_seconds: float
    matches_stored_digest: bool | None  # for a run stored complete before: same digest?
    # The run's status in the store as it ends: completed, interrupted, or still running
    # when the store could not be told (it went away): resumable either way.
    status: str
    connections: dict[str, int]  # opened, closed, failed, in_use
    errors: list[str]

    @property
    def events_stored(self) -> int:
        """The run's events in the store now: 1..events_stored."""
        return self.resumed_from + self.events_written


@dataclass(frozen=True, slots=True)
class ArbitrageSummary:
    """What the multi-leg coordinator did. Sizes and money are units."""

    attempted: int
    completed: int
    aborted_by_reason: dict[str, int]
    unwound: int  # aborted after some legs filled; those were flattened
    failed: int  # aborted with nothing filled
    realised_edge: int  # completed groups: payout minus cost and fees
    residual_exposure: int  # size left unhedged after unwinding, all groups
    exposure_peak: int  # most size ever filled on legs of groups not yet settled
    exposure_by_second: dict[int, int]  # that peak, per simulated second
    cancel_latency_sim: LatencySummary  # first failure -> every sibling's cancel request
    cancel_latency_wall: LatencySummary


@dataclass(frozen=True, slots=True)
class RunResult:
    """The figures of one run; the report and the JSON output show exactly these.

    Amounts (notional, fees, sizes) are ints of micro-units.
    """

    run_id: str
    seed: int
    mode: str
    compiled_core: bool
    interrupted: bool
    intents: int
    intents_by_kind: dict[str, int]
    intents_refused: dict[str, int]  # intents that never became venue orders, by reason
    orders: int
    orders_by_state: dict[str, int]  # final state of every order (or its state at the end)
    fills: int
    submitted_size: int
    filled_size: int
    fill_ratio: float
    notional: int
    fees: int
    rejects_by_reason: dict[str, dict[str, int]]  # venue -> reject code -> count
    illegal_transitions: int
    illegal_examples: list[IllegalTransitionRecord]
    latency_us: dict[str, dict[str, LatencySummary]]  # venue -> message kind -> summary
    events: int
    simulated_seconds: float
    wall_seconds: float
    intents_per_second: float
    peak_rss_mb: float
    digest: str
    store: StoreSummary | None = None
    arbitrage: ArbitrageSummary | None = None
    settlements: list[Settlement] = field(default_factory=list)
    faults_injected: dict[str, dict[str, int]] = field(default_factory=dict)  # venue -> kind
    faults_handled: dict[str, int] = field(default_factory=dict)  # how the engine coped
    # A strategy run: the strategy's class (and "raw" when it got the venues' messages
    # as sent); in raw mode, every order it sent as the engine ended it (reconcile()).
    strategy: str | None = None
    truth: dict[int, OrderTruth] | None = None
