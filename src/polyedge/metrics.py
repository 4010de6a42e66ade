"""What a run measured: counters, latency histograms (the core's), and the typed result."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from polyedge._core import LatencyHistogram
from polyedge._core.histogram_py import LatencySummary
from polyedge.fixedpoint import SCALE, Rounding, round_div

__all__ = [
    "ArbitrageSummary",
    "IllegalTransitionRecord",
    "LatencyHistogram",
    "LatencySummary",
    "Position",
    "RunMetrics",
    "RunResult",
    "Settlement",
    "StoreSummary",
]
ILLEGAL_EXAMPLES = 100  # refused moves kept in full for the report


@dataclass(frozen=True, slots=True)
class IllegalTransitionRecord:
    order_id: int
    state: str
    event: str
    time_ns: int


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
    connections: dict[str, int]  # opened, closed, failed, in_use
    errors: list[str]


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


@dataclass(slots=True)
class Position:
    """What a run holds in one market. Shares in units (negative: sold short); cash in
    units squared (price x size, exact), fees in units."""

    yes: int = 0
    no: int = 0
    cash: int = 0
    fees: int = 0
    winner: str | None = None  # "yes", "no", "void" once the market resolved

    def summary(self, market_id: str) -> Settlement:
        cash = round_div(self.cash, SCALE, Rounding.HALF_EVEN)
        if self.winner is None:
            payout = pnl = None
        else:
            # The winning token pays $1 a share; a void market returns positions at cost.
            payout = {"yes": self.yes, "no": self.no, "void": -cash}[self.winner]
            pnl = cash + payout - self.fees
        return Settlement(market_id, self.winner, self.yes, self.no, cash, self.fees, payout, pnl)


@dataclass(frozen=True, slots=True)
class Settlement:
    """One market's position at the end of a run, and its PnL if it resolved (units)."""

    market_id: str
    resolution: str | None  # yes / no / void, None while unresolved
    yes: int
    no: int
    cash: int  # received minus paid for trades, before fees
    fees: int
    payout: int | None
    pnl: int | None


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


@dataclass(slots=True)
class RunMetrics:
    """Counters the engine updates as the run goes."""

    intents_by_kind: Counter[str] = field(default_factory=Counter)
    intents_refused: Counter[str] = field(default_factory=Counter)
    orders: int = 0
    final_states: Counter[str] = field(default_factory=Counter)
    fills: int = 0
    submitted_size: int = 0
    filled_size: int = 0
    notional: int = 0
    fees: int = 0
    rejects: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    illegal: int = 0
    illegal_examples: list[IllegalTransitionRecord] = field(default_factory=list)
    # venue -> message kind -> histogram, and market id -> position: made when first used
    latency: defaultdict[str, defaultdict[str, LatencyHistogram]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(LatencyHistogram))
    )
    positions: defaultdict[str, Position] = field(default_factory=lambda: defaultdict(Position))
    faults_handled: Counter[str] = field(default_factory=Counter)

    def illegal_move(self, order_id: int, state: str, event: str, time_ns: int) -> None:
        """Count a refused move; the first ILLEGAL_EXAMPLES are kept in full."""
        self.illegal += 1
        if len(self.illegal_examples) < ILLEGAL_EXAMPLES:
            self.illegal_examples.append(IllegalTransitionRecord(order_id, state, event, time_ns))
