# cython: freethreading_compatible = True
"""RunMetrics and Position as Cython dataclasses (see metrics_py.py for the contract).

The tracker updates them on every event. As extension types their fields are C fields:
the compiled tracker reads and adds to them without Python's attribute lookup (which,
measured, cost more than the rest of its bookkeeping). Fields stay Python objects, so
the figures are the same unbounded ints as the twin's.
"""

from collections import defaultdict

from cython.dataclasses cimport dataclass, field

from polyedge._core.histogram import LatencyHistogram
from polyedge._core.metrics_py import (
    counter,
    illegal_move,
    latency_histograms,
    reject_counters,
    settlement,
)


@dataclass
cdef class Position:
    """What a run holds in one market. Shares in units (negative: sold short); cash in
    units squared (price x size, exact), fees in units."""

    yes: object = 0
    no: object = 0
    cash: object = 0
    fees: object = 0
    winner: object = None  # "yes", "no", "void" once the market resolved

    def summary(self, market_id):
        return settlement(self, market_id)


def _positions():
    return defaultdict(Position)


def _latencies():
    return latency_histograms(LatencyHistogram)


@dataclass
cdef class RunMetrics:
    """Counters the engine updates as the run goes."""

    intents_refused: object = field(default_factory=counter)
    orders: object = 0
    fills: object = 0
    submitted_size: object = 0
    filled_size: object = 0
    notional: object = 0
    fees: object = 0
    rejects: object = field(default_factory=reject_counters)
    illegal: object = 0
    illegal_examples: object = field(default_factory=list)
    latency: object = field(default_factory=_latencies)
    positions: object = field(default_factory=_positions)
    faults_handled: object = field(default_factory=counter)

    def illegal_move(self, order_id, state, event, time_ns):
        illegal_move(self, order_id, state, event, time_ns)
