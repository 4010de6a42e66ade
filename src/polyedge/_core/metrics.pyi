from collections import defaultdict

from polyedge._core.histogram import LatencyHistogram
from polyedge._core.metrics_py import IllegalTransitionRecord, Settlement

class Position:
    yes: int
    no: int
    cash: int
    fees: int
    winner: str | None
    def __init__(
        self, yes: int = 0, no: int = 0, cash: int = 0, fees: int = 0, winner: str | None = None
    ) -> None: ...
    def summary(self, market_id: str) -> Settlement: ...

class RunMetrics:
    orders: int
    fills: int
    submitted_size: int
    filled_size: int
    notional: int
    fees: int
    rejects: defaultdict[str, defaultdict[str, int]]
    illegal: int
    illegal_examples: list[IllegalTransitionRecord]
    latency: defaultdict[str, defaultdict[str, LatencyHistogram]]
    positions: defaultdict[str, Position]
    faults_handled: defaultdict[str, int]
    def __init__(self) -> None: ...
    def illegal_move(self, order_id: int, state: str, event: str, time_ns: int) -> None: ...
