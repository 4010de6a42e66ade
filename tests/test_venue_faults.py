"""Venue faults: dropped acks, duplicate fills, acks after fills, outages, disconnects.

Each test builds a small world (virtual scheduler, event log, metrics, order tracker, one
VenueSimulator and the lane's VenueExecutor with its watchdog) and drives orders by hand,
as the router does. Prices are frozen (volatility 0): fair 0.50 with a 0.02 spread quotes
0.49 / 0.51. Latencies are constants, so every message time is exact. The last tests run
the whole engine with faults configured and check the run-level figures.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from venue_world import (
    ACK,
    BUY,
    CANCEL,
    FAK,
    FILL,
    GTC,
    GTD,
    MS,
    SEED,
    US,
    YES,
    E,
    S,
    St,
    World,
    assert_no_illegal,
    constant_latency,
    u,
)

from polyedge import _core
from polyedge._core.definitions import DUPLICATE_TRADE
from polyedge.config import (
    Disconnect,
    FaultConfig,
    IntentMix,
    OutageWindow,
    ResponseModel,
    TestConfig,
    VenueConfig,
    VenueRules,
)
from polyedge.engine import DryTestingEngine
from polyedge.metrics import RunResult
from polyedge.state import REFUSED
from polyedge.types import (
    Venue,
)
from polyedge.venues.profiles import Rule

TIMEOUT_S = 0.25  # the watchdog's response timeout in these worlds
TIMEOUT = int(TIMEOUT_S * S)


def faults(**given: Any) -> FaultConfig:
    return FaultConfig(response_timeout_s=given.pop("response_timeout_s", TIMEOUT_S), **given)


# --- dropped acks ---------------------------------------------------------------------------


def test_dropped_ack_leaves_the_order_submitted_and_a_fill_is_still_accepted(
    venue: Venue,
) -> None:
    world = World(venue, fault_config=faults(drop_ack_rate=1.0))
    order = world.send(world.intent(BUY, YES, "0.55", "10"))
    world.run(until=ACK + FILL // 2)  # the ack was due at ACK: nothing came
    assert (order.state, order.answers) == (St.SUBMITTED, 1)  # SUBMIT only
    world.run()
    assert world.timeline(order) == [
        (E.SUBMIT, St.SUBMITTED, 0),
        (E.FILL, St.FILLED, ACK + FILL),
    ]
    assert (order.filled, world.metrics.filled_size) == (u("10"), u("10"))
    assert world.injected == {"dropped_ack": 1}
    assert world.handled == {}  # the fill came well before the watchdog would ask
    assert_no_illegal(world)


def test_dropped_ack_with_nothing_else_coming_is_fetched_by_a_status_query(
    venue: Venue,
) -> None:
    world = World(venue, fault_config=faults(drop_ack_rate=1.0))
    order = world.send(world.intent(BUY, YES, "0.45", "10"))  # rests; no fill ever comes
    world.run()
    # Timeout at TIMEOUT; the query reaches the venue one submit latency later, and the
    # answer takes as long again.
    assert world.timeline(order) == [
        (E.SUBMIT, St.SUBMITTED, 0),
        (E.ACK, St.SUBMITTED, TIMEOUT + 2 * ACK),
    ]
    assert world.injected == {"dropped_ack": 1}
    assert world.handled == {"status_query": 1}  # asked once: the answer stopped it
    assert order.state is St.SUBMITTED and world.tracker.in_flight == {order.order_id: order}
    assert_no_illegal(world)


def test_acked_orders_are_never_queried(venue: Venue) -> None:
    # The watchdog is on (a fault is configured) but never fires for answered orders.
    world = World(venue, fault_config=faults(duplicate_fill_rate=1.0))
    resting = world.send(world.intent(BUY, YES, "0.45", "10"))
    filled = world.send(world.intent(BUY, YES, "0.55", "10"))
    world.cancel(resting, at=TIMEOUT * 3)
    world.run()
    assert world.handled.get("status_query", 0) == 0
    assert (resting.state, filled.state) == (St.CANCELLED, St.FILLED)


# --- duplicate fills ------------------------------------------------------------------------


def test_duplicate_fill_is_refused_and_counted_once(venue: Venue) -> None:
    world = World(venue, fault_config=faults(duplicate_fill_rate=1.0))
    order = world.send(world.intent(BUY, YES, "0.55", "10"))
    world.run()
    events = world.events(order)
    assert [(ev.event, ev.before, ev.after) for ev in events] == [
        (E.SUBMIT, St.PENDING, St.SUBMITTED),
        (E.ACK, St.SUBMITTED, St.SUBMITTED),
        (E.FILL, St.SUBMITTED, St.FILLED),
        (E.FILL, St.FILLED, REFUSED),
    ]
    assert events[3].reason == DUPLICATE_TRADE
    assert events[3].time == events[2].time == ACK + FILL
    assert order.filled == u("10")
    metrics = world.metrics
    assert (metrics.fills, metrics.filled_size) == (1, u("10"))
    assert metrics.fees == events[2].fee
    assert metrics.positions[world.market.market_id].yes == u("10")
    assert world.injected == {"duplicate_fill": 1}
    assert world.handled == {"duplicate_fill_refused": 1}
    assert_no_illegal(world)


def test_duplicated_partial_fills_do_not_complete_the_order(venue: Venue) -> None:
    """A taker part now, the rest later as a maker in several parts: every part doubled.
    Accepted twice, the first duplicate would already overfill nothing but double-count."""
    responses = ResponseModel(
        reject_rate=0.0,
        resting_fill_rate=1.0,
        partial_fill_rate=1.0,
        max_fill_parts=3,
        resting_fill_mean_s=0.01,
    )
    world = World(
        venue,
        fault_config=faults(duplicate_fill_rate=1.0),
        market={"depth": "2"},
        responses=responses,
    )
    order = world.send(world.intent(BUY, YES, "0.52", "1000"))
    world.run()
    events = world.events(order)
    accepted = [ev for ev in events if ev.event in (E.FILL, E.PARTIAL_FILL) and ev.after != REFUSED]
    refused = [ev for ev in events if ev.after == REFUSED]
    assert len(accepted) >= 3  # the taker part and at least two maker parts
    assert [ev.event for ev in accepted] == [E.PARTIAL_FILL] * (len(accepted) - 1) + [E.FILL]
    # each accepted fill is followed at once by its refused twin
    assert len(refused) == len(accepted)
    for fill, twin in zip(accepted, refused, strict=True):
        assert (twin.price, twin.size, twin.fee, twin.time) == (
            fill.price,
            fill.size,
            fill.fee,
            fill.time,
        )
        assert twin.reason == DUPLICATE_TRADE
    assert sum(ev.size for ev in accepted) == order.filled == u("1000")
    assert world.metrics.filled_size == u("1000")
    assert world.metrics.fills == len(accepted)
    assert world.injected == {"duplicate_fill": len(accepted)}
    assert world.handled == {"duplicate_fill_refused": world.injected["duplicate_fill"]}
    assert order.state is St.FILLED
    assert_no_illegal(world)


# --- acks after fills -----------------------------------------------------------------------


def test_ack_after_the_fill_that_completed_the_order_is_ignored_not_illegal(
    venue: Venue,
) -> None:
    world = World(venue, fault_config=faults(reorder_rate=1.0))
    order = world.send(world.intent(BUY, YES, "0.55", "10"))
    world.run()
    events = world.events(order)
    assert [(ev.event, ev.before, ev.after, ev.time) for ev in events] == [
        (E.SUBMIT, St.PENDING, St.SUBMITTED, 0),
        (E.FILL, St.SUBMITTED, St.FILLED, ACK + FILL),
        (E.ACK, St.FILLED, REFUSED, ACK + FILL),  # sent with the fill, arriving after it
    ]
    assert world.injected == {"ack_after_fill": 1}
    assert world.handled == {"late_ack_ignored": 1}
    assert world.tracker.ended() == Counter({"FILLED": 1})
    assert_no_illegal(world)


def test_ack_after_a_partial_fill_is_applied(venue: Venue) -> None:
    world = World(venue, fault_config=faults(reorder_rate=1.0), market={"depth": "2"})
    order = world.send(world.intent(BUY, YES, "0.52", "1000"))  # part taken, the rest rests
    resting = world.send(world.intent(BUY, YES, "0.45", "10"))  # no fill: nothing to reorder
    world.run()
    assert [(ev.event, ev.after) for ev in world.events(order)] == [
        (E.SUBMIT, St.SUBMITTED),
        (E.PARTIAL_FILL, St.PARTIAL_FILL),
        (E.ACK, St.PARTIAL_FILL),
    ]
    assert world.timeline(resting) == [(E.SUBMIT, St.SUBMITTED, 0), (E.ACK, St.SUBMITTED, ACK)]
    assert world.injected == {"ack_after_fill": 1}
    assert world.handled == {}
    assert_no_illegal(world)


# --- outages --------------------------------------------------------------------------------


def test_outage_in_reject_mode_rejects_orders_arriving_in_the_window(venue: Venue) -> None:
    outage = OutageWindow(start_s=1.0, end_s=2.0, mode="reject")
    world = World(venue, fault_config=faults(outages=[outage]))
    before = world.send(world.intent(BUY, YES, "0.45", "10"), at=S - ACK - 1)
    at_start = world.send(world.intent(BUY, YES, "0.45", "10"), at=S - ACK)
    inside = world.send(world.intent(BUY, YES, "0.45", "10"), at=S + S // 2)
    at_end = world.send(world.intent(BUY, YES, "0.45", "10"), at=2 * S - ACK)
    after = world.send(world.intent(BUY, YES, "0.45", "10"), at=3 * S)
    world.run()
    code = world.codes[Rule.OUTAGE]
    if venue is Venue.POLYMARKET:
        assert code == "HTTP_503_SERVICE_UNAVAILABLE"
    for order in (at_start, inside):
        answer = world.events(order)[-1]
        assert (answer.event, answer.reason, answer.after) == (E.REJECT, code, St.REJECTED)
        assert answer.time == order.sent_at + ACK
    for order in (before, at_end, after):
        assert [ev.event for ev in world.events(order)] == [E.SUBMIT, E.ACK]
        assert order.state is St.SUBMITTED
    assert world.metrics.rejects == {venue: Counter({code: 2})}
    assert world.injected == {"outage_reject": 2}
    assert world.handled == {}
    assert_no_illegal(world)


def test_cancel_arriving_in_a_reject_outage_is_rejected_and_can_be_sent_again(
    venue: Venue,
) -> None:
    outage = OutageWindow(start_s=1.0, end_s=2.0, mode="reject")
    world = World(venue, fault_config=faults(outages=[outage]))
    order = world.send(world.intent(BUY, YES, "0.45", "10"))
    world.cancel(order, at=S + S // 2)
    world.cancel(order, at=3 * S)
    world.run()
    code = world.codes[Rule.OUTAGE]
    events = world.events(order)
    assert [(ev.event, ev.after, ev.reason) for ev in events] == [
        (E.SUBMIT, St.SUBMITTED, ""),
        (E.ACK, St.SUBMITTED, ""),
        (E.CANCEL_REQUEST, St.PENDING_CANCEL, ""),
        (E.CANCEL_REJECT, St.SUBMITTED, code),
        (E.CANCEL_REQUEST, St.PENDING_CANCEL, ""),
        (E.CANCEL_ACK, St.CANCELLED, ""),
    ]
    assert events[3].time == S + S // 2 + 2 * CANCEL
    assert world.injected == {"outage_reject": 1}
    assert_no_illegal(world)


def test_cancel_rejected_by_an_outage_after_the_order_filled_is_not_illegal(
    venue: Venue,
) -> None:
    # Matched on arrival at 1 ms; the fill message is on the wire until 6 ms. The engine asks
    # to cancel at 2 ms; the cancel reaches the venue at 5 ms, in the outage: nothing there
    # is working any more, the fill on its way settles the order.
    outage = OutageWindow(start_s=0.003, end_s=1.0, mode="reject")
    world = World(
        venue,
        fault_config=faults(outages=[outage]),
        latency=constant_latency(ack_us=1_000, fill_us=5_000, cancel_us=3_000),
    )
    order = world.send(world.intent(BUY, YES, "0.55", "10"))
    world.cancel(order, at=2 * MS)
    world.run()
    assert order.state is St.FILLED
    assert_no_illegal(world)
    assert [ev.event for ev in world.events(order)] == [
        E.SUBMIT,
        E.ACK,
        E.CANCEL_REQUEST,
        E.FILL,
    ]


def test_cancel_of_an_order_the_outage_rejected_is_not_illegal(venue: Venue) -> None:
    # The order reaches the venue at 1.001 s, in the outage: rejected. Its cancel, sent at
    # 1.0005 s while the order was still unanswered, arrives at 1.0025 s.
    outage = OutageWindow(start_s=1.0, end_s=2.0, mode="reject")
    world = World(venue, fault_config=faults(outages=[outage]))
    order = world.send(world.intent(BUY, YES, "0.45", "10"), at=S)
    world.cancel(order, at=S + ACK // 2)
    world.run()
    assert order.state is St.REJECTED
    assert_no_illegal(world)
    assert [(ev.event, ev.after) for ev in world.events(order)] == [
        (E.SUBMIT, St.SUBMITTED),
        (E.CANCEL_REQUEST, St.PENDING_CANCEL),
        (E.REJECT, St.REJECTED),
    ]


def test_outage_in_timeout_mode_order_is_lost_and_the_status_query_rejects_it(
    venue: Venue,
) -> None:
    # The order reaches the venue at 1 ms, in the silent outage: no answer. The watchdog asks
    # at TIMEOUT and 2 x TIMEOUT (both queries lost in the outage too), then at 3 x TIMEOUT:
    # the venue never got the order.
    outage = OutageWindow(start_s=0.0, end_s=2.5 * TIMEOUT_S, mode="timeout")
    world = World(venue, fault_config=faults(outages=[outage]))
    order = world.send(world.intent(BUY, YES, "0.45", "10"))
    world.run()
    code = world.codes[Rule.UNKNOWN_ORDER]
    events = world.events(order)
    assert [(ev.event, ev.after, ev.reason, ev.time) for ev in events] == [
        (E.SUBMIT, St.SUBMITTED, "", 0),
        (E.REJECT, St.REJECTED, code, 3 * TIMEOUT + 2 * ACK),
    ]
    assert world.injected == {"outage_timeout": 3}  # the order and two queries
    assert world.handled == {"status_query": 3}
    assert world.metrics.rejects == {venue: Counter({code: 1})}
    assert world.tracker.in_flight == {}
    assert_no_illegal(world)


def test_cancel_lost_in_a_timeout_outage_is_retried_by_the_status_query(venue: Venue) -> None:
    # Acked at 1 ms, before the outage; the cancel (sent at 20 ms) reaches the venue at 22 ms
    # and is lost; the first query (at 20 ms + TIMEOUT) is lost too; the second one, after
    # the outage, cancels the order.
    outage = OutageWindow(start_s=0.010, end_s=0.3, mode="timeout")
    world = World(venue, fault_config=faults(outages=[outage]))
    order = world.send(world.intent(BUY, YES, "0.45", "10"))
    world.cancel(order, at=20 * MS)
    world.run()
    assert world.timeline(order) == [
        (E.SUBMIT, St.SUBMITTED, 0),
        (E.ACK, St.SUBMITTED, ACK),
        (E.CANCEL_REQUEST, St.PENDING_CANCEL, 20 * MS),
        (E.CANCEL_ACK, St.CANCELLED, 20 * MS + 2 * TIMEOUT + ACK),
    ]
    assert world.injected == {"outage_timeout": 2}  # the cancel and the first query
    assert world.handled == {"status_query": 2}
    assert world.tracker.ended() == Counter({"CANCELLED": 1})
    assert_no_illegal(world)


def test_cancel_of_an_order_lost_in_a_timeout_outage_ends_rejected(venue: Venue) -> None:
    # The order and its cancel are both swallowed; the query about the cancel learns the
    # venue never had the order.
    outage = OutageWindow(start_s=0.0, end_s=0.1, mode="timeout")
    world = World(venue, fault_config=faults(outages=[outage]))
    order = world.send(world.intent(BUY, YES, "0.45", "10"))
    world.cancel(order, at=5 * MS)
    world.run()
    events = world.events(order)
    assert [(ev.event, ev.after) for ev in events] == [
        (E.SUBMIT, St.SUBMITTED),
        (E.CANCEL_REQUEST, St.PENDING_CANCEL),
        (E.REJECT, St.REJECTED),
    ]
    assert events[-1].reason == world.codes[Rule.UNKNOWN_ORDER]
    assert world.handled == {"status_query": 1}
    assert_no_illegal(world)


def test_lost_cancel_is_retried_even_when_a_fill_arrives_meanwhile(venue: Venue) -> None:
    # Part of the order is taken on arrival (1 ms); that fill's message takes 50 ms. The
    # cancel sent at 20 ms is lost in the outage; the partial fill arrives at 51 ms.
    outage = OutageWindow(start_s=0.010, end_s=0.030, mode="timeout")
    world = World(
        venue,
        fault_config=faults(outages=[outage]),
        market={"depth": "2"},
        latency=constant_latency(fill_us=50_000),
    )
    order = world.send(world.intent(BUY, YES, "0.52", "1000"))
    world.cancel(order, at=20 * MS)
    world.run()
    assert world.injected == {"outage_timeout": 1}
    assert [ev.event for ev in world.events(order)][:4] == [
        E.SUBMIT,
        E.ACK,
        E.CANCEL_REQUEST,
        E.PARTIAL_FILL,
    ]
    assert order.state is St.CANCELLED  # the status query retried the cancel
    assert 0 < order.filled < u("1000")
    assert world.handled.get("status_query", 0) >= 1
    assert_no_illegal(world)


# --- disconnects ----------------------------------------------------------------------------


def test_disconnect_holds_requests_and_messages_until_reconnect(venue: Venue) -> None:
    # Down from 2 ms to 102 ms. A's fill (due at 6 ms) waits for the reconnect; B reaches the
    # venue (due at 2.5 ms) only at the reconnect; C's ack came before the drop.
    disconnect = Disconnect(at_s=0.002, down_s=0.100)
    world = World(
        venue,
        fault_config=faults(disconnects=[disconnect], response_timeout_s=5.0),
        latency=constant_latency(fill_us=5_000),
    )
    up = 102 * MS
    a = world.send(world.intent(BUY, YES, "0.55", "10"))
    b = world.send(world.intent(BUY, YES, "0.55", "10"), at=1_500 * US)
    c = world.send(world.intent(BUY, YES, "0.45", "10"), at=500 * US)
    world.cancel(c, at=50 * MS)  # reaches the venue at the reconnect
    world.run()
    assert world.timeline(a) == [
        (E.SUBMIT, St.SUBMITTED, 0),
        (E.ACK, St.SUBMITTED, ACK),
        (E.FILL, St.FILLED, up),
    ]
    assert world.timeline(b) == [
        (E.SUBMIT, St.SUBMITTED, 1_500 * US),
        (E.ACK, St.SUBMITTED, up),
        (E.FILL, St.FILLED, up + 5 * MS),
    ]
    assert world.timeline(c) == [
        (E.SUBMIT, St.SUBMITTED, 500 * US),
        (E.ACK, St.SUBMITTED, 500 * US + ACK),
        (E.CANCEL_REQUEST, St.PENDING_CANCEL, 50 * MS),
        (E.CANCEL_ACK, St.CANCELLED, up),
    ]
    assert world.injected == {"held_by_disconnect": 3}  # A's fill, B's order, C's cancel
    assert world.handled == {}
    assert_no_illegal(world)


def _disconnect_run(venue: Venue, disconnect: Disconnect | None) -> World:
    """Many orders and cancels, all sent (and arrived) before 45 ms; resting fills,
    partial fills and expiries at the venue afterwards."""
    responses = ResponseModel(
        reject_rate=0.05,
        resting_fill_rate=0.8,
        resting_fill_mean_s=0.2,
        partial_fill_rate=0.7,
        max_fill_parts=4,
    )
    fault_config = faults(disconnects=[disconnect], response_timeout_s=30.0) if disconnect else None
    world = World(
        venue,
        fault_config=fault_config,
        market={"depth": "20"},
        responses=responses,
        latency=constant_latency(ack_us=1_000, fill_us=3_000, cancel_us=1_500),
    )
    rng = random.Random(SEED)
    for _ in range(400):
        sent = rng.randrange(0, 40 * MS)
        tif = rng.choice([GTC, GTC, GTD, FAK])
        gtd_at = world.market.gtd_threshold + rng.randrange(50 * MS, 900 * MS)
        intent = world.intent(
            BUY,
            YES,
            rng.choice(["0.45", "0.49", "0.50", "0.52"]),
            str(rng.randrange(5, 60)),
            tif,
            expires_at=gtd_at if tif is GTD else None,
        )
        order = world.send(intent, at=sent)
        if rng.random() < 0.2:
            world.cancel(order, at=sent + ACK + rng.randrange(0, 2 * MS))
    world.run()
    return world


def test_disconnect_loses_nothing_and_keeps_each_orders_messages_in_order(
    venue: Venue,
) -> None:
    start, end = 50 * MS, 550 * MS
    baseline = _disconnect_run(venue, None)
    world = _disconnect_run(venue, Disconnect(at_s=0.050, down_s=0.500))
    venue_events = {E.ACK, E.REJECT, E.FILL, E.PARTIAL_FILL, E.CANCEL_ACK, E.EXPIRE}
    held = 0
    for calm, order in zip(baseline.orders, world.orders, strict=True):
        expected = []
        for ev in baseline.events(calm):
            time = ev.time
            if ev.event in venue_events and start <= time < end:
                time, held = end, held + 1
            expected.append((ev.event, ev.before, ev.after, ev.price, ev.size, ev.fee, time))
        got = [
            (ev.event, ev.before, ev.after, ev.price, ev.size, ev.fee, ev.time)
            for ev in world.events(order)
        ]
        assert got == expected, order.order_id
        assert (order.state, order.filled) == (calm.state, calm.filled)
    assert held > 50  # the window saw plenty of traffic
    assert world.injected == {"held_by_disconnect": held}
    assert world.handled == {}
    assert_no_illegal(world)
    assert_no_illegal(baseline)


# --- the whole engine, with faults ----------------------------------------------------------

FAULTS = FaultConfig(
    drop_ack_rate=0.05,
    duplicate_fill_rate=0.05,
    reorder_rate=0.3,
    outages=[
        OutageWindow(start_s=3.0, end_s=4.0, mode="reject"),
        OutageWindow(start_s=6.0, end_s=6.5, mode="timeout"),
    ],
    disconnects=[Disconnect(at_s=8.0, down_s=0.3)],
    response_timeout_s=0.5,
)


def faulty_config(seed: int = 3, venue_faults: FaultConfig = FAULTS) -> TestConfig:
    return TestConfig(
        intents=3_000,
        arrival_rate=250,  # 12 simulated seconds: every window is crossed
        seed=seed,
        venues=[VenueConfig(venue=v, faults=venue_faults) for v in Venue],
        mix=IntentMix(gtc_lifetime_s=1.0, gtd_lifetime_s=1.0),
    )


def run(config: TestConfig) -> RunResult:
    return asyncio.run(DryTestingEngine(config).run())


@pytest.fixture(scope="module")
def faulty_runs() -> tuple[RunResult, RunResult]:
    config = faulty_config()
    return run(config), run(config)


KINDS = {
    "dropped_ack",
    "duplicate_fill",
    "ack_after_fill",
    "outage_reject",
    "outage_timeout",
    "held_by_disconnect",
}


def test_engine_run_with_faults_accounts_for_every_order(
    faulty_runs: tuple[RunResult, RunResult],
) -> None:
    result, _ = faulty_runs
    assert result.intents == 3_000
    assert result.orders == sum(result.orders_by_state.values())
    assert result.fills > 0 and result.filled_size <= result.submitted_size
    # Every venue injected every kind of fault.
    assert set(result.faults_injected) == {"polymarket", "kalshi"}
    for venue, kinds in result.faults_injected.items():
        assert set(kinds) == KINDS, venue
        assert all(count > 0 for count in kinds.values())
    injected: Counter[str] = Counter()
    for kinds in result.faults_injected.values():
        injected.update(kinds)
    handled = result.faults_handled
    assert set(handled) == {"status_query", "duplicate_fill_refused", "late_ack_ignored"}
    # Every duplicate was refused by its trade id; every late ack was a reordered one.
    assert handled["duplicate_fill_refused"] == injected["duplicate_fill"]
    assert 0 < handled["late_ack_ignored"] <= injected["ack_after_fill"]
    # Nothing is left waiting for an answer: only resting orders may still be working.
    assert set(result.orders_by_state) - {"FILLED", "CANCELLED", "REJECTED", "EXPIRED"} <= {
        "SUBMITTED",
        "PARTIAL_FILL",
    }
    # Outage codes show up among the rejects.
    outage = {v: VenueRules.default(v).codes[Rule.OUTAGE] for v in Venue}
    unknown = {v: VenueRules.default(v).codes[Rule.UNKNOWN_ORDER] for v in Venue}
    for venue, codes in result.rejects_by_reason.items():
        assert codes.get(outage[Venue(venue)], 0) > 0, venue
        assert codes.get(unknown[Venue(venue)], 0) > 0, venue


def test_engine_run_with_faults_has_no_illegal_transitions(
    faulty_runs: tuple[RunResult, RunResult],
) -> None:
    result, _ = faulty_runs
    assert result.illegal_transitions == 0, result.illegal_examples[:5]


def test_engine_run_with_faults_is_deterministic(
    faulty_runs: tuple[RunResult, RunResult],
) -> None:
    first, second = faulty_runs
    assert first.digest == second.digest
    assert first.faults_injected == second.faults_injected
    assert first.faults_handled == second.faults_handled
    assert first.orders_by_state == second.orders_by_state
    other = run(faulty_config(seed=4))
    assert other.digest != first.digest


@pytest.mark.skipif(not _core.extensions_built(), reason="the compiled core is not built")
def test_engine_run_with_faults_has_the_same_digest_on_both_cores(
    faulty_runs: tuple[RunResult, RunResult],
) -> None:
    code = (
        "import asyncio, json, sys; sys.path.insert(0, sys.argv[1]);"
        "from test_venue_faults import faulty_config, run;"
        "r = run(faulty_config());"
        "print(json.dumps({'digest': r.digest, 'compiled': r.compiled_core}))"
    )
    digests = {}
    for no_extensions in ("0", "1"):
        env = dict(os.environ, POLYEDGE_NO_EXTENSIONS=no_extensions)
        done = subprocess.run(
            [sys.executable, "-c", code, str(Path(__file__).parent)],
            env=env,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        figures = json.loads(done.stdout)
        assert figures["compiled"] is (no_extensions == "0")
        digests[no_extensions] = figures["digest"]
    assert digests["0"] == digests["1"] == faulty_runs[0].digest


def test_engine_run_without_faults_reports_none() -> None:
    result = run(TestConfig(intents=500, seed=3))
    assert result.faults_injected == {} and result.faults_handled == {}
