"""Pure-Python twin of metrics.pyx: the counters a run updates as it goes.

The tracker updates them on every event; the compiled twin makes RunMetrics and Position
extension types, so the compiled tracker reads and writes their fields as C fields. What
the two share (settling a position, keeping an illegal move) lives here, once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from polyedge._core.definitions import Rounding
from polyedge._core.fixed_py import SCALE, round_div
from polyedge._core.histogram_py import LatencyHistogram

ILLEGAL_EXAMPLES = 100  # refused moves kept in full for the report


@dataclass(frozen=True, slots=True)
class IllegalTransitionRecord:
    order_id: int
    state: str
    event: str
    time_ns: int


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
        return settlement(self, market_id)


def settlement(position: Position, market_id: str) -> Settlement:
    """`position` at the end of the run, settled if its market resolved (either twin's)."""
    cash = round_div(position.cash, SCALE, Rounding.HALF_EVEN)
    if position.winner is None:
        payout = pnl = None
    else:
        # The winning token pays $1 a share; a void market returns positions at cost.
        payout = {"yes": position.yes, "no": position.no, "void": -cash}[position.winner]
        pnl = cash + payout - position.fees
    return Settlement(
        market_id, position.winner, position.yes, position.no, cash, position.fees, payout, pnl
    )


def counter() -> defaultdict[str, int]:
    """Counts by name, from zero. Not a Counter: that is a dict subclass written in Python,
    and `counts[name] += 1` on it costs three times a defaultdict's (measured)."""
    return defaultdict(int)


def reject_counters() -> defaultdict[str, defaultdict[str, int]]:
    """venue -> reject code -> count."""
    return defaultdict(counter)


def latency_histograms(histogram: type) -> defaultdict[str, defaultdict[str, LatencyHistogram]]:
    """venue -> message kind -> a `histogram`, made when first used."""
    return defaultdict(lambda: defaultdict(histogram))


@dataclass(slots=True)
class RunMetrics:
    """Counters the engine updates as the run goes."""

    orders: int = 0
    fills: int = 0
    submitted_size: int = 0
    filled_size: int = 0
    notional: int = 0
    fees: int = 0
    rejects: defaultdict[str, defaultdict[str, int]] = field(default_factory=reject_counters)
    illegal: int = 0
    illegal_examples: list[IllegalTransitionRecord] = field(default_factory=list)
    # venue -> message kind -> histogram, and market id -> position: made when first used
    latency: defaultdict[str, defaultdict[str, LatencyHistogram]] = field(
        default_factory=lambda: latency_histograms(LatencyHistogram)
    )
    positions: defaultdict[str, Position] = field(default_factory=lambda: defaultdict(Position))
    faults_handled: defaultdict[str, int] = field(default_factory=counter)

    def illegal_move(self, order_id: int, state: str, event: str, time_ns: int) -> None:
        illegal_move(self, order_id, state, event, time_ns)


def illegal_move(metrics: RunMetrics, order_id: int, state: str, event: str, time_ns: int) -> None:
    """Count a refused move; the first ILLEGAL_EXAMPLES are kept in full (either twin's)."""
    metrics.illegal += 1
    if len(metrics.illegal_examples) < ILLEGAL_EXAMPLES:
        metrics.illegal_examples.append(IllegalTransitionRecord(order_id, state, event, time_ns))
