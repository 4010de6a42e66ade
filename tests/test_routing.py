"""OrderRouter and lanes: venue routing, per-lane sequences, in-flight table, backpressure."""

from __future__ import annotations

from typing import Any

import pytest

from polyedge.config import TestConfig, VenueConfig
from polyedge.engine import Pipeline, identity
from polyedge.fixedpoint import SCALE
from polyedge.routing import OrderRouter
from polyedge.scheduler import VirtualScheduler
from polyedge.types import Cancel, Intent, Market, OrderState, Venue


def pipeline(**venue_settings: Any) -> Pipeline:
    venues = [VenueConfig(venue=v, **venue_settings) for v in Venue]
    config = TestConfig(venues=venues)
    return Pipeline(config, VirtualScheduler(), identity(config))


def intent(p: Pipeline, intent_id: int, venue: Venue, **fields: Any) -> Intent:
    market: Market = next(m for m in p.markets.values() if m.venue is venue)
    values: dict[str, Any] = dict(
        intent_id=intent_id,
        market=market,
        side="buy",
        outcome="yes",
        price=100_000,
        size=10 * SCALE,
    )
    return Intent(**(values | fields))


def test_orders_go_to_their_venue_lane_with_monotonic_sequences() -> None:
    p = pipeline()
    venues = [Venue.POLYMARKET, Venue.KALSHI, Venue.KALSHI, Venue.POLYMARKET, Venue.KALSHI]
    for number, venue in enumerate(venues, 1):
        assert p.router.route(intent(p, number, venue), time=number) is None
    queued = {venue: lane.queue.pop_many() for venue, lane in p.lanes.items()}
    assert [o.order_id for o in queued[Venue.POLYMARKET]] == [1, 4]
    assert [o.order_id for o in queued[Venue.KALSHI]] == [2, 3, 5]
    for orders in queued.values():
        assert [o.lane_seq for o in orders] == list(range(1, len(orders) + 1))
        assert all(o.intent.market.venue is orders[0].intent.market.venue for o in orders)
    assert set(p.tracker.in_flight) == {1, 2, 3, 4, 5}


def test_in_flight_entries_leave_on_terminal_states() -> None:
    p = pipeline()
    for number in range(1, 201):
        p.router.route(intent(p, number, Venue.KALSHI, time_in_force="FOK"), time=number)
    for executor in p.executors:
        executor.drain()
    p.scheduler.run_until(None)  # type: ignore[attr-defined]
    assert p.tracker.in_flight == {}  # every FOK order ends filled or rejected
    assert sum(p.tracker.ended().values()) == 200


def test_duplicate_intent_ids_are_refused_with_a_reason() -> None:
    p = pipeline()
    p.router.route(intent(p, 7, Venue.KALSHI), time=0)
    p.router.route(intent(p, 7, Venue.KALSHI), time=1)
    assert p.router.refused() == {"DUPLICATE_INTENT": 1}
    assert len(p.lanes[Venue.KALSHI].queue) == 1


def test_an_intent_for_a_venue_without_a_lane_is_an_error() -> None:
    p = pipeline()
    polymarket_only = {Venue.POLYMARKET: p.lanes[Venue.POLYMARKET]}
    router = OrderRouter(polymarket_only, {}, p.tracker, p.scheduler)
    with pytest.raises(KeyError, match="no lane for venue kalshi"):
        router.route(intent(p, 1, Venue.KALSHI), time=0)
    assert p.tracker.in_flight == {}  # nothing registered for it
    assert router.route(intent(p, 2, Venue.POLYMARKET), time=0) is None
    assert set(p.tracker.in_flight) == {2}


def test_reject_policy_refuses_what_does_not_fit_and_records_it() -> None:
    p = pipeline(queue_capacity=2, backpressure="reject")
    for number in range(1, 6):
        assert p.router.route(intent(p, number, Venue.KALSHI), time=100) is None
    p.scheduler.run_until(None)  # type: ignore[attr-defined]
    assert p.metrics.rejects == {Venue.KALSHI: {"LANE_FULL": 3}}
    rejected = [3, 4, 5]
    assert all(p.tracker.ended()["REJECTED"] == 3 for _ in rejected)
    assert [o.order_id for o in p.lanes[Venue.KALSHI].queue.pop_many()] == [1, 2]
    assert set(p.tracker.in_flight) == {1, 2}  # nothing lost: 2 queued + 3 rejected


def test_wait_policy_hands_back_the_full_lane() -> None:
    p = pipeline(queue_capacity=2, backpressure="wait")
    first, second, third = (intent(p, n, Venue.POLYMARKET) for n in (1, 2, 3))
    assert p.router.route(first, 0) is None and p.router.route(second, 0) is None
    full = p.router.route(third, 0)
    assert full is p.lanes[Venue.POLYMARKET]
    assert 3 not in p.tracker.in_flight  # not registered until it fits
    next(e for e in p.executors if e.lane is full).drain()
    assert p.router.route(third, 0) is None
    assert p.metrics.rejects == {}


def test_route_all_drains_a_full_waiting_lane_and_routes_everything() -> None:
    p = pipeline(queue_capacity=2, backpressure="wait")
    batch = [(n, intent(p, n, Venue.POLYMARKET)) for n in range(1, 6)]
    p.router.route_all(batch)  # twice the lane full on the way: its executor drains it
    assert set(p.tracker.in_flight) == {1, 2, 3, 4, 5} and p.metrics.rejects == {}
    assert [o.order_id for o in p.lanes[Venue.POLYMARKET].queue.pop_many()] == [5]
    p.scheduler.run_until(4)  # type: ignore[attr-defined]  # the drained ones were sent
    assert [p.tracker.in_flight[n].state for n in (1, 4, 5)] == [
        OrderState.SUBMITTED,
        OrderState.SUBMITTED,
        OrderState.PENDING,
    ]


def test_cancel_of_a_queued_order_cancels_it_locally() -> None:
    p = pipeline()
    p.router.route(intent(p, 1, Venue.KALSHI), time=10)
    p.router.route(Cancel(intent_id=2, target=1), time=10)
    p.scheduler.run_until(10)  # type: ignore[attr-defined]  # the cancel runs before the send
    order = p.lanes[Venue.KALSHI].queue.pop_many()[0]
    assert order.state is OrderState.CANCELLED
    assert p.tracker.ended() == {"CANCELLED": 1}


@pytest.mark.parametrize("target", [99, 1])
def test_cancel_of_an_unknown_or_finished_order_is_refused(target: int) -> None:
    p = pipeline()
    p.router.route(intent(p, 1, Venue.KALSHI, time_in_force="FOK"), time=0)
    for executor in p.executors:
        executor.drain()
    p.scheduler.run_until(None)  # type: ignore[attr-defined]  # the FOK order is finished
    p.router.route(Cancel(intent_id=2, target=target), time=p.scheduler.now)
    p.scheduler.run_until(None)  # type: ignore[attr-defined]
    assert p.router.refused() == {"ORDER_NOT_WORKING": 1}
    assert p.metrics.illegal == 0
