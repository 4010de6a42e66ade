"""The order tracker, compiled and pure Python: every event applied, logged and counted;
refused moves recorded, never raised."""

from __future__ import annotations

import uuid
from dataclasses import fields
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from polyedge import _core
from polyedge._core import metrics_py
from polyedge._core.definitions import DUPLICATE_TRADE, VENUE_INDEX
from polyedge._core.tracker_py import REFUSED
from polyedge.fixedpoint import SCALE, to_units
from polyedge.metrics import ILLEGAL_EXAMPLES
from polyedge.types import OrderEvent, OrderState, Outcome, Side, TimeInForce, Venue

E, St = OrderEvent, OrderState
MARKET_FIELDS: dict[str, Any] = dict(
    venue=Venue.KALSHI, market_id="m", tick_size=to_units("0.01"), min_size=SCALE
)
REASONS = {"LANE_FULL": 1, DUPLICATE_TRADE: 4, "FOK_NOT_FILLED": 7}


class Desk:
    """A tracker with its log, metrics and clock, all of one core implementation."""

    def __init__(self, tracker_core: ModuleType) -> None:
        compiled = not tracker_core.__name__.endswith("_py")
        self.orders = _core.load("orders", compiled)
        # A compiled Intent takes only a compiled Market: each Desk builds its own.
        self.market = self.orders.Market(**MARKET_FIELDS)
        self.clock = SimpleNamespace(now=0)
        self.metrics = _core.load("metrics", compiled).RunMetrics()
        self.log = _core.load("eventlog", compiled).EventLog(uuid.UUID(int=7))
        self.rows: list[tuple[Any, ...]] = []
        self.log.subscribe(lambda _orders, events: self.rows.extend(e.item() for e in events))
        self.tracker = tracker_core.OrderTracker(self.log, self.metrics, self.clock, REASONS)

    def order(self, order_id: int = 1, size: int = 10, **fields: Any) -> Any:
        intent = self.orders.Intent(
            intent_id=order_id,
            market=self.market,
            side=fields.pop("side", Side.BUY),
            outcome=fields.pop("outcome", Outcome.YES),
            price=to_units("0.40"),
            size=size * SCALE,
            time_in_force=TimeInForce.GTC,
            **fields,
        )
        order = self.orders.Order(order_id, intent, lane_seq=order_id, sent_at=self.clock.now)
        assert self.tracker.register(order)
        return order

    def at(self, now: int, order: Any, event: OrderEvent, *args: Any, **kwargs: Any) -> bool:
        self.clock.now = now
        return bool(self.tracker.apply(order, event, *args, **kwargs))

    def logged(self) -> list[tuple[Any, ...]]:
        self.log.flush()
        # seq, order id, lane seq, venue, event, from, to, price, size, fee, reason, time
        return self.rows


def test_an_order_life_is_logged_and_counted(tracker_core: ModuleType) -> None:
    desk = Desk(tracker_core)
    order = desk.order(size=10)
    price = to_units("0.39")
    order.sent_at = 100  # the executor's stamp, as it sends the order
    assert desk.at(100, order, E.SUBMIT)
    assert desk.at(350, order, E.ACK)
    assert desk.at(900, order, E.FILL, price, 4 * SCALE, 30, "", 1)
    assert order.state is St.PARTIAL_FILL and desk.tracker.in_flight == {1: order}
    assert desk.at(1000, order, E.FILL, price, 6 * SCALE, 40, "", 2)
    assert order.state is St.FILLED and desk.tracker.in_flight == {}

    kalshi = VENUE_INDEX[Venue.KALSHI]
    assert [row[1:] for row in desk.logged()] == [
        (1, 1, kalshi, E.SUBMIT, St.PENDING, St.SUBMITTED, 0, 0, 0, 0, 100),
        (1, 1, kalshi, E.ACK, St.SUBMITTED, St.SUBMITTED, 0, 0, 0, 0, 350),
        (1, 1, kalshi, E.PARTIAL_FILL, St.SUBMITTED, St.PARTIAL_FILL, price, 4 * SCALE, 30, 0, 900),
        (1, 1, kalshi, E.FILL, St.PARTIAL_FILL, St.FILLED, price, 6 * SCALE, 40, 0, 1000),
    ]
    m = desk.metrics
    assert (m.orders, m.submitted_size, m.fills, m.filled_size) == (1, 10 * SCALE, 2, 10 * SCALE)
    assert m.notional == price * 10 * SCALE and m.fees == 70
    assert desk.tracker.ended() == {"FILLED": 1}
    position = m.positions["m"]
    assert (position.yes, position.no, position.cash, position.fees) == (
        10 * SCALE,
        0,
        -price * 10 * SCALE,
        70,
    )
    latency = m.latency["kalshi"]
    assert latency["submit_ack"].max == 350 - 100  # from when it was sent
    assert latency["fill"].count == 1 and latency["fill"].max == 900 - 100  # first fill only
    assert order.answers == 4


def test_selling_no_shortens_the_no_position(tracker_core: ModuleType) -> None:
    desk = Desk(tracker_core)
    order = desk.order(side=Side.SELL, outcome=Outcome.NO, size=3)
    desk.at(1, order, E.SUBMIT)
    desk.at(2, order, E.FILL, to_units("0.40"), 3 * SCALE, 0, "", 1)
    position = desk.metrics.positions["m"]
    assert (position.yes, position.no) == (0, -3 * SCALE)
    assert position.cash == to_units("0.40") * 3 * SCALE


def test_an_illegal_move_is_refused_logged_and_reported(tracker_core: ModuleType) -> None:
    desk = Desk(tracker_core)
    order = desk.order()
    assert not desk.at(5, order, E.ACK)  # never submitted
    assert order.state is St.PENDING and desk.tracker.in_flight == {1: order}
    (row,) = desk.logged()
    assert row[4:7] == (E.ACK, St.PENDING, REFUSED) and row[11] == 5
    assert desk.metrics.illegal == 1
    (example,) = desk.metrics.illegal_examples
    assert (example.order_id, example.state, example.event, example.time_ns) == (
        1,
        "PENDING",
        "ACK",
        5,
    )


def test_only_the_first_illegal_moves_are_kept_in_full(tracker_core: ModuleType) -> None:
    desk = Desk(tracker_core)
    order = desk.order()
    for now in range(ILLEGAL_EXAMPLES + 5):
        desk.at(now, order, E.CANCEL_ACK)
    assert desk.metrics.illegal == ILLEGAL_EXAMPLES + 5
    assert len(desk.metrics.illegal_examples) == ILLEGAL_EXAMPLES


def test_an_overfill_is_refused_not_raised(tracker_core: ModuleType) -> None:
    desk = Desk(tracker_core)
    order = desk.order(size=2)
    desk.at(1, order, E.SUBMIT)
    assert not desk.at(2, order, E.FILL, to_units("0.40"), 3 * SCALE, 0, "", 1)
    assert order.filled == 0 and order.state is St.SUBMITTED
    assert desk.metrics.illegal == 1 and desk.metrics.fills == 0


def test_a_repeated_trade_id_is_a_handled_duplicate(tracker_core: ModuleType) -> None:
    desk = Desk(tracker_core)
    order = desk.order(size=10)
    desk.at(1, order, E.SUBMIT)
    assert desk.at(2, order, E.FILL, to_units("0.40"), SCALE, 0, "", 7)
    assert not desk.at(2, order, E.FILL, to_units("0.40"), SCALE, 0, "", 7)
    assert order.filled == SCALE and desk.metrics.fills == 1
    assert desk.metrics.illegal == 0
    assert desk.metrics.faults_handled == {"duplicate_fill_refused": 1}
    row = desk.logged()[-1]
    assert row[6] == REFUSED and row[10] == REASONS[DUPLICATE_TRADE]


def test_an_ack_after_the_last_fill_is_ignored_not_illegal(tracker_core: ModuleType) -> None:
    desk = Desk(tracker_core)
    order = desk.order(size=1)
    desk.at(1, order, E.SUBMIT)
    desk.at(2, order, E.FILL, to_units("0.40"), SCALE, 0, "", 1)
    assert not desk.at(3, order, E.ACK)
    assert desk.metrics.illegal == 0
    assert desk.metrics.faults_handled == {"late_ack_ignored": 1}


def test_rejects_are_counted_by_venue_and_reason(tracker_core: ModuleType) -> None:
    desk = Desk(tracker_core)
    order = desk.order()
    desk.at(1, order, E.SUBMIT)
    assert desk.at(4, order, E.REJECT, reason="FOK_NOT_FILLED")
    assert desk.metrics.rejects == {"kalshi": {"FOK_NOT_FILLED": 1}}
    assert desk.tracker.ended() == {"REJECTED": 1}
    assert desk.logged()[-1][10] == REASONS["FOK_NOT_FILLED"]


def test_cancel_latency_runs_from_the_cancel_request(tracker_core: ModuleType) -> None:
    desk = Desk(tracker_core)
    order = desk.order()
    desk.at(1, order, E.SUBMIT)
    order.cancel_sent_at = 40
    desk.at(40, order, E.CANCEL_REQUEST)
    desk.at(65, order, E.CANCEL_ACK)
    assert desk.metrics.latency["kalshi"]["cancel_ack"].max == 25
    assert desk.tracker.unfinished() == {}


def test_a_registered_id_is_not_registered_twice(tracker_core: ModuleType) -> None:
    desk = Desk(tracker_core)
    order = desk.order(order_id=3)
    assert not desk.tracker.register(order)
    assert desk.metrics.orders == 1
    assert desk.tracker.unfinished() == {"PENDING": 1}


def test_group_legs_are_reported_to_the_group_watcher(tracker_core: ModuleType) -> None:
    desk = Desk(tracker_core)
    seen: list[tuple[str, Any]] = []
    desk.tracker.groups = SimpleNamespace(
        filled=lambda order, price, size, fee: seen.append(("filled", size)),
        order_ended=lambda order: seen.append(("ended", order.state)),
    )
    leg, single = desk.order(order_id=1, size=2, group_id=1), desk.order(order_id=2, size=2)
    for order in (leg, single):
        desk.at(1, order, E.SUBMIT)
        desk.at(2, order, E.FILL, to_units("0.40"), SCALE, 0, "", 1)
        desk.at(3, order, E.FILL, to_units("0.40"), SCALE, 0, "", 2)
    assert seen == [("filled", SCALE), ("filled", SCALE), ("ended", St.FILLED)]


@pytest.mark.parametrize("event", [E.EXPIRE, E.VENUE_CANCEL])
def test_terminal_venue_events_free_the_order(tracker_core: ModuleType, event: E) -> None:
    desk = Desk(tracker_core)
    order = desk.order()
    desk.at(1, order, E.SUBMIT)
    assert desk.at(2, order, event)
    assert desk.tracker.in_flight == {} and desk.tracker.ended() == {order.state.name: 1}


def _plain(metrics: Any) -> dict[str, Any]:
    """The figures but the latency histograms, as plain values (each core has its own
    RunMetrics and Position classes, and histograms compare by identity). The fields are
    the twin's dataclass fields: the compiled classes have the same attributes."""
    figures = {
        f.name: getattr(metrics, f.name)
        for f in fields(metrics_py.RunMetrics)
        if f.name != "latency"
    }
    figures["positions"] = {
        market: tuple(getattr(p, f.name) for f in fields(metrics_py.Position))
        for market, p in figures["positions"].items()
    }
    return figures


def test_sums_stay_exact_past_64_bits(tracker_core: ModuleType) -> None:
    desk = Desk(tracker_core)
    top = 2**63 - 1  # the largest sum a C int64 holds
    desk.metrics.filled_size = desk.metrics.notional = desk.metrics.fills = top
    desk.metrics.positions["m"].cash = -top
    big = 2**40 * SCALE  # a size whose notional at 0.40 leaves 64 bits
    order = desk.order(size=2**40)
    desk.at(1, order, E.SUBMIT)
    price = to_units("0.40")
    desk.at(2, order, E.FILL, price, big // 2, 5, "", 1)
    desk.at(3, order, E.FILL, price, big // 2, 5, "", 2)
    assert order.state is St.FILLED
    metrics, position = desk.metrics, desk.metrics.positions["m"]
    assert (metrics.fills, metrics.filled_size, metrics.fees) == (top + 2, top + big, 10)
    assert metrics.notional == top + price * big and metrics.submitted_size == big
    assert (position.yes, position.no, position.fees) == (big, 0, 10)
    assert position.cash == -top - price * big


def test_both_implementations_log_the_same_rows() -> None:
    if not _core.extensions_built():
        pytest.skip("the compiled core is not built (pip install -e . builds it)")
    logs = []
    for compiled in (True, False):
        desk = Desk(_core.load("tracker", compiled))
        orders = [desk.order(order_id=i, size=i) for i in range(1, 6)]
        for now, order in enumerate(orders):
            desk.at(now, order, E.SUBMIT)
            desk.at(now + 1, order, E.FILL, to_units("0.40"), SCALE, 1, "", 1)
            desk.at(now + 2, order, E.CANCEL_REQUEST)
            desk.at(now + 3, order, E.ACK)
            desk.at(now + 4, order, E.CANCEL_ACK)
        latency = {kind: h.summary() for kind, h in desk.metrics.latency["kalshi"].items()}
        figures = _plain(desk.metrics) | {"ended": desk.tracker.ended()}
        logs.append((desk.logged(), desk.log.digest(), figures, latency))
    assert logs[0] == logs[1]
