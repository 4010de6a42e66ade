"""A small world for venue tests: one venue simulator and its lane executor (watchdog
included), wired to a tracker, a log and metrics as engine.Pipeline wires them.

Tests drive orders by hand, as the router does. Prices are frozen (volatility 0) so the
quote is known: fair 0.50 with a 0.02 spread quotes 0.49 / 0.51. Latencies are constants
so every message time is exact.
"""

from __future__ import annotations

import math
import uuid
from collections import Counter
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from polyedge._core.definitions import LOCAL_REASONS
from polyedge.config import (
    FaultConfig,
    LatencyConfig,
    MarketConfig,
    RateLimit,
    ResponseModel,
    VenueConfig,
    VenueRules,
)
from polyedge.events import EventLog, Events, Row
from polyedge.fixedpoint import SCALE, to_units
from polyedge.lanes import Lane, VenueExecutor
from polyedge.metrics import RunMetrics
from polyedge.scheduler import VirtualScheduler
from polyedge.state import REFUSED, OrderTracker, is_working
from polyedge.types import (
    Intent,
    Market,
    Order,
    OrderEvent,
    OrderState,
    Outcome,
    Side,
    TimeInForce,
    Venue,
)
from polyedge.venues.latency import ConstantLatency
from polyedge.venues.liquidity import PricePath
from polyedge.venues.profiles import Rule
from polyedge.venues.simulator import VenueSimulator

SEED = 20240607
US = 1_000
MS = 1_000_000
S = 1_000_000_000
ACK_US, FILL_US, CANCEL_US = 1_000, 500, 2_000
ACK, FILL, CANCEL = ACK_US * US, FILL_US * US, CANCEL_US * US
TIMEOUT_S = 0.25  # the watchdog's response timeout in these worlds
TIMEOUT = int(TIMEOUT_S * S)

VENUES = [Venue.POLYMARKET, Venue.KALSHI]
E = OrderEvent
St = OrderState
BUY, SELL = Side.BUY, Side.SELL
YES, NO = Outcome.YES, Outcome.NO
GTC, GTD, FOK, FAK = TimeInForce.GTC, TimeInForce.GTD, TimeInForce.FOK, TimeInForce.FAK

QUIET = ResponseModel(reject_rate=0.0, resting_fill_rate=0.0, partial_fill_rate=0.0)
DEEP = "1000000"


def u(amount: str) -> int:
    return to_units(amount)


def constant_latency(
    ack_us: float = ACK_US, fill_us: float = FILL_US, cancel_us: float = CANCEL_US
) -> LatencyConfig:
    return LatencyConfig(
        submit_ack=ConstantLatency(value_us=ack_us),
        fill=ConstantLatency(value_us=fill_us),
        cancel_ack=ConstantLatency(value_us=cancel_us),
    )


def faults(**given: Any) -> FaultConfig:
    return FaultConfig(response_timeout_s=given.pop("response_timeout_s", TIMEOUT_S), **given)


@dataclass(frozen=True)
class Ev:
    """One logged event of one order, decoded."""

    event: OrderEvent
    before: OrderState
    after: OrderState | int  # REFUSED (-1) for a refused move
    price: int
    size: int
    fee: int
    reason: str
    time: int


class World:
    """One venue simulator and its lane executor (with the watchdog), wired to a tracker,
    a log and metrics as engine.Pipeline wires them."""

    def __init__(
        self,
        venue: Venue,
        *,
        fault_config: FaultConfig | None = None,
        market: dict[str, Any] | None = None,
        responses: ResponseModel = QUIET,
        latency: LatencyConfig | None = None,
        rules: VenueRules | None = None,
        rate_limit: RateLimit | None = None,
        seed: int = SEED,
        paths: dict[str, PricePath] | None = None,
    ) -> None:
        self.venue = venue
        self.rules = rules or VenueRules.default(venue)
        self.scheduler = VirtualScheduler()
        self.log = EventLog(uuid.UUID(int=seed))
        self.rows: list[Row] = []
        self.log.subscribe(self._collect)
        self.metrics = RunMetrics()
        codes = sorted(set(self.rules.reject_codes()))
        self.reasons = {r: n for n, r in enumerate((*LOCAL_REASONS, *codes), 1)}
        self._reason_names = {n: r for r, n in self.reasons.items()}
        self.tracker = OrderTracker(self.log, self.metrics, self.scheduler, self.reasons)
        settings: dict[str, Any] = {
            "fair_price": "0.50",
            "spread": "0.02",
            "volatility": "0",
            "depth": DEEP,
            "liquidity": "touch",
        }
        settings.update(market or {})
        self.market_config = MarketConfig(venue=venue, market_id=f"m-{venue}", **settings)
        self.market = self.market_config.market(self.rules)
        self.fault_config = fault_config or FaultConfig()
        config = VenueConfig(
            venue=venue,
            latency=latency or constant_latency(),
            responses=responses,
            faults=self.fault_config,
            rules=self.rules,
            rate_limit=rate_limit,
        )
        self.resolutions: dict[str, Outcome | None] = {}  # market id -> winner (None: void)
        self.simulator = VenueSimulator(
            config,
            [(self.market_config, self.market)],
            seed,
            self.scheduler,
            self.tracker,
            paths,
            self.resolutions.__setitem__,
        )
        self.executor = VenueExecutor(
            Lane(venue, 64, "wait"), self.simulator, self.tracker, self.scheduler, config.faults
        )
        self._next_id = 0
        self.orders: list[Order] = []

    def _collect(self, orders: list[Order], events: Events) -> None:
        self.rows.extend(events.tolist())  # the packed rows as tuples of ints

    @property
    def codes(self) -> dict[Rule, str]:
        return self.rules.codes

    def intent(
        self,
        side: Side,
        outcome: Outcome,
        price: str,
        size: str,
        tif: TimeInForce = GTC,
        *,
        expires_at: int | None = None,
        post_only: bool = False,
        market: Market | None = None,
    ) -> Intent:
        """An intent on this world's market (or `market`: the client's view of it)."""
        self._next_id += 1
        return Intent(
            intent_id=self._next_id,
            market=market or self.market,
            side=side,
            outcome=outcome,
            price=u(price),
            size=u(size),
            time_in_force=tif,
            expires_at=expires_at,
            post_only=post_only,
        )

    def send(self, intent: Intent, at: int = 0) -> Order:
        """Send `intent` as an order at `at` ns, through the lane executor (watchdog on)."""
        order = Order(intent.intent_id, intent)
        self.orders.append(order)

        def go() -> None:
            assert self.tracker.register(order)
            self.executor.send(order)

        self.scheduler.at(at, go)
        return order

    def cancel(self, order: Order, at: int) -> None:
        """Ask to cancel `order` at `at` ns, as the router does (if it is working)."""

        def go() -> None:
            if not is_working(order):
                return
            order.cancel_sent_at = self.scheduler.now
            assert self.tracker.apply(order, E.CANCEL_REQUEST)
            self.executor.cancel(order)

        self.scheduler.at(at, go)

    def run(self, until: int | None = None) -> None:
        self.scheduler.run_until(until)
        self.log.flush()

    def events(self, order: Order) -> list[Ev]:
        return [
            Ev(
                event=E(row[4]),
                before=St(row[5]),
                after=row[6] if row[6] == REFUSED else St(row[6]),
                price=row[7],
                size=row[8],
                fee=row[9],
                reason=self._reason_names.get(row[10], ""),
                time=row[11],
            )
            for row in self.rows
            if row[1] == order.order_id
        ]

    def sequence(self, order: Order) -> list[OrderEvent]:
        return [ev.event for ev in self.events(order)]

    def timeline(self, order: Order) -> list[tuple[OrderEvent, OrderState | int, int]]:
        return [(ev.event, ev.after, ev.time) for ev in self.events(order)]

    @property
    def handled(self) -> dict[str, int]:
        return dict(self.metrics.faults_handled)

    @property
    def injected(self) -> dict[str, int]:
        return dict(self.simulator.faults)


def polymarket_fee(size: int, price: int, rate: str = "0.07") -> int:
    """size * rate * p * (1 - p) USDC, rounded half-even to 0.00001 (venue-rules.md)."""
    p = Decimal(price) / SCALE
    fee = Decimal(size) / SCALE * Decimal(rate) * p * (1 - p)
    return int(fee.quantize(Decimal("0.00001"), rounding=ROUND_HALF_EVEN) * SCALE)


def kalshi_fee(size: int, price: int, rate_per_100: int = 7) -> int:
    """ceil(rate * C * Pc * (100 - Pc) / 10000) cents, in units (venue-rules.md)."""
    contracts, cents = Decimal(size) / SCALE, Decimal(price) / (SCALE // 100)
    return math.ceil(rate_per_100 * contracts * cents * (100 - cents) / 10_000) * (SCALE // 100)


def taker_fee(venue: Venue, size: int, price: int) -> int:
    return polymarket_fee(size, price) if venue is Venue.POLYMARKET else kalshi_fee(size, price)


def test_fee_helpers_match_the_worked_examples() -> None:
    # venue-rules.md: 100 at 0.50, rate 0.07 -> $1.75 on both; 1 Kalshi contract -> $0.02.
    assert polymarket_fee(u("100"), u("0.50")) == u("1.75")
    assert kalshi_fee(u("100"), u("0.50")) == u("1.75")
    assert kalshi_fee(u("1"), u("0.50")) == u("0.02")


def assert_no_illegal(world: World) -> None:
    """No illegal move: every refused event is a venue fault the engine handled."""
    assert world.metrics.illegal == 0, world.metrics.illegal_examples
    handled = world.metrics.faults_handled
    refused = sum(row[6] == REFUSED for row in world.rows)
    assert refused == handled["duplicate_fill_refused"] + handled["late_ack_ignored"]


def assert_rejected(world: World, order: Order, code: str) -> None:
    events = world.events(order)
    assert [ev.event for ev in events] == [E.SUBMIT, E.REJECT]
    reject = events[1]
    assert reject.reason == code
    assert (reject.before, reject.after) == (St.SUBMITTED, St.REJECTED)
    assert reject.time == ACK  # decided at the venue, one submit-ack latency after sending
    assert (reject.price, reject.size, reject.fee) == (0, 0, 0)
    assert order.state is St.REJECTED
    assert order.filled == 0
    assert world.metrics.rejects == {world.venue: Counter({code: 1})}
    assert world.metrics.fills == 0
    assert world.tracker.in_flight == {}
    assert_no_illegal(world)
