"""Multi-leg groups with faults injected: every order's and group's end, the positions,
and that no exposure goes unreported; the coordinator reacting at the instant of each
order's end, with no event loop involved. Prices are frozen, latencies constant."""

from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict
from typing import Any

import pytest

from polyedge.config import (
    ArbitrageConfig,
    LatencyConfig,
    MarketConfig,
    ResponseModel,
    TestConfig,
    UnwindPolicy,
    VenueConfig,
)
from polyedge.coordinator import (
    GROUP_TRANSITIONS,
    GroupEvent,
    GroupRecord,
    GroupState,
    IllegalGroupTransition,
)
from polyedge.engine import DryTestingEngine, Pipeline, identity
from polyedge.fixedpoint import SCALE, to_units
from polyedge.scheduler import VirtualScheduler
from polyedge.types import ArbitrageGroup, Intent, Order, OrderState, Side, Venue
from polyedge.venues.latency import ConstantLatency

MS = 1_000  # microseconds


def latency(ack_ms: float = 1, fill_ms: float = 1, cancel_ms: float = 1) -> LatencyConfig:
    return LatencyConfig(
        submit_ack=ConstantLatency(value_us=ack_ms * MS),
        fill=ConstantLatency(value_us=fill_ms * MS),
        cancel_ack=ConstantLatency(value_us=cancel_ms * MS),
    )


def world(
    pm: dict[str, Any] | None = None,
    ks: dict[str, Any] | None = None,
    pm_depth: int = 1_000,
    ks_depth: int = 1_000,
    **arbitrage: Any,
) -> Pipeline:
    """Polymarket YES quoted 0.39/0.41, Kalshi NO quoted 0.44/0.46: an edge of 0.13."""
    sides = (
        (Venue.POLYMARKET, "pm", "ks", "0.40", pm_depth, pm),
        (Venue.KALSHI, "ks", "pm", "0.55", ks_depth, ks),
    )
    markets = [
        MarketConfig.model_validate(
            {
                "venue": venue,
                "market_id": name,
                "twin": twin,
                "fair_price": fair,
                "volatility": "0",
                "spread": "0.02",
                "depth": depth,
            }
        )
        for venue, name, twin, fair, depth, _ in sides
    ]
    quiet = {
        "latency": latency(),
        "responses": ResponseModel(reject_rate=0.0, resting_fill_rate=0.0),
    }
    venues = [
        VenueConfig(venue=venue, **(quiet | (given or {}))) for venue, _, _, _, _, given in sides
    ]
    config = TestConfig(markets=markets, venues=venues, arbitrage=ArbitrageConfig(**arbitrage))
    return Pipeline(config, VirtualScheduler(), identity(config))


def legs(
    p: Pipeline,
    tif: str = "FOK",
    yes: str = "0.41",
    no: str = "0.46",
    size: int = 10,
    **first: Any,
) -> ArbitrageGroup:
    yes_leg = Intent(
        **(
            {
                "intent_id": 1,
                "market": p.markets["pm"],
                "side": "buy",
                "outcome": "yes",
                "price": to_units(yes),
                "size": size * SCALE,
                "time_in_force": tif,
                "group_id": 1,
            }
            | first
        )
    )
    no_leg = Intent(
        intent_id=2,
        market=p.markets["ks"],
        side="buy",
        outcome="no",
        price=to_units(no),
        size=size * SCALE,
        time_in_force=tif,
        group_id=1,
    )
    return ArbitrageGroup(group_id=1, legs=(yes_leg, no_leg))


def execute(p: Pipeline, group: ArbitrageGroup) -> GroupRecord:
    p.router.route(group, 0)
    p.scheduler.run_until(None)  # as the engine runs it
    (record,) = p.coordinator.settled
    return record


class Ends:
    """Stands between the tracker and the coordinator: records, for every order of a
    group that ends, the simulated time and what `look` saw just after the coordinator
    reacted (before the scheduler ran anything else)."""

    def __init__(self, p: Pipeline, look: Any = lambda order: None) -> None:
        self._p = p
        self._coordinator = p.coordinator
        self._look = look
        self.seen: list[tuple[Order, int, Any]] = []
        p.tracker.groups = self

    def filled(self, order: Order, price: int, size: int, fee: int) -> None:
        self._coordinator.filled(order, price, size, fee)

    def order_ended(self, order: Order) -> None:
        self._coordinator.order_ended(order)
        self.seen.append((order, self._p.scheduler.now, self._look(order)))

    def at(self, order: Order) -> int:
        """When `order` ended."""
        (when,) = [when for ended, when, _ in self.seen if ended is order]
        return when


def positions(record: GroupRecord) -> dict[tuple[str, str], int]:
    """Net size held per (market, outcome) after everything the group did."""
    held: dict[tuple[str, str], int] = defaultdict(int)
    for order in record.orders:
        sign = 1 if order.intent.side is Side.BUY else -1
        held[order.intent.market.market_id, order.intent.outcome.value] += sign * order.filled
    return {key: size for key, size in held.items() if size}


def no_unreported_exposure(p: Pipeline, record: GroupRecord) -> None:
    metrics = p.coordinator.metrics
    assert (
        record.residual == sum(positions(record).values())
        if record.state is not GroupState.COMPLETED
        else True
    )
    assert metrics.exposure == 0  # nothing left counted as in flight
    assert metrics.residual_exposure == sum(r.residual for r in p.coordinator.settled)
    assert p.metrics.illegal == 0


def test_the_group_table_refuses_illegal_moves() -> None:
    record = GroupRecord(ArbitrageGroup(1, (_intent(1), _intent(2))))
    with pytest.raises(IllegalGroupTransition, match="group 1: PENDING does not accept COMPLETE"):
        record.apply(GroupEvent.COMPLETE)
    record.apply(GroupEvent.SUBMIT)
    record.apply(GroupEvent.LEG_FAILED)
    with pytest.raises(IllegalGroupTransition):
        record.apply(GroupEvent.COMPLETE)  # an aborting group never completes
    terminal = {GroupState.COMPLETED, GroupState.UNWOUND, GroupState.FAILED}
    assert not any(state in terminal for state, _ in GROUP_TRANSITIONS)


def _intent(intent_id: int) -> Intent:
    market = TestConfig().markets[1].market()
    return Intent(
        intent_id=intent_id,
        market=market,
        side="buy",
        outcome="yes",
        price=100_000,
        size=SCALE,
        group_id=1,
    )


def test_both_legs_fill() -> None:
    p = world()
    record = execute(p, legs(p))
    assert record.state is GroupState.COMPLETED
    assert [o.state for o in record.orders] == [OrderState.FILLED, OrderState.FILLED]
    assert positions(record) == {("pm", "yes"): 10 * SCALE, ("ks", "no"): 10 * SCALE}
    # $10 payout - $8.70 paid - fees: Polymarket 10*0.07*0.41*0.59 = 0.16933,
    # Kalshi ceil(7*10*46*54/10000) cents = 0.18
    assert p.coordinator.metrics.realised_edge == to_units("10") - to_units("8.70") - to_units(
        "0.16933"
    ) - to_units("0.18")
    assert p.coordinator.metrics.exposure_peak == 20 * SCALE
    no_unreported_exposure(p, record)


def test_a_group_completes_at_its_last_fill_without_an_event_loop() -> None:
    p = world()
    ends = Ends(p, lambda order: p.coordinator.metrics.completed)
    p.router.route(legs(p), 0)
    p.scheduler.run_until(None)  # no event loop: nothing of a group waits for one
    (record,) = p.coordinator.settled
    assert record.state is GroupState.COMPLETED and record.unwinding is None
    assert [order for order, _, _ in ends.seen] == sorted(record.orders, key=ends.at)
    assert all(order.state is OrderState.FILLED for order in record.orders)
    # Completed in the callback of its last leg's fill, not later.
    assert [seen for _, _, seen in ends.seen] == [0, 1]
    assert p.coordinator.metrics.exposure == 0


def test_a_failed_leg_cancels_every_sibling_at_once_and_a_flat_group_fails_there() -> None:
    p = world(ks={"responses": ResponseModel(reject_rate=1.0)})
    ends = Ends(
        p,
        lambda order: (
            [(o.state, o.cancel_sent_at) for o in p.tracker.in_flight.values()],
            [r.state for r in p.coordinator.settled],
        ),
    )
    p.router.route(legs(p, tif="GTC", yes="0.30"), 0)  # the YES leg rests unfilled
    p.scheduler.run_until(None)
    (record,) = p.coordinator.settled
    assert record.state is GroupState.FAILED and record.reason == "rejected"
    yes, no = record.orders
    assert no.state is OrderState.REJECTED and yes.state is OrderState.CANCELLED
    (first, rejected_at, (working, settled)), (last, _, (_, failed)) = ends.seen
    # The YES leg's cancel went out in the callback of the NO leg's reject, at its instant.
    assert first is no and settled == []
    assert working == [(OrderState.PENDING_CANCEL, rejected_at)] and rejected_at > 0
    # The group failed in the callback of its last order's end.
    assert last is yes and failed == [GroupState.FAILED]
    assert p.coordinator.metrics.cancel_sim.max == 0


def test_leg_a_rejected_unwinds_the_filled_sibling() -> None:
    p = world()
    # A post-only YES leg that would cross is rejected by Polymarket.
    record = execute(p, legs(p, tif="GTC", post_only=True))
    yes, no, unwind = record.orders
    assert yes.state is OrderState.REJECTED and record.reason == "rejected"
    assert no.state is OrderState.FILLED  # it had filled before the cancel arrived
    assert unwind.intent.side is Side.SELL and unwind.state is OrderState.FILLED
    assert record.state is GroupState.UNWOUND and record.residual == 0
    assert positions(record) == {}
    assert p.coordinator.metrics.aborted_by_reason == {"rejected": 1}
    assert p.coordinator.metrics.cancel_sim.max == 0  # siblings cancelled at the same instant
    no_unreported_exposure(p, record)


def test_leg_b_times_out_and_is_cancelled() -> None:
    p = world(leg_timeout_s=0.5)
    # The NO leg rests below the market and nothing trades through it.
    record = execute(p, legs(p, tif="GTC", no="0.30"))
    yes, no, unwind = record.orders
    assert record.reason == "timeout" and no.state is OrderState.CANCELLED and no.filled == 0
    assert yes.state is OrderState.FILLED and unwind.state is OrderState.FILLED
    assert record.state is GroupState.UNWOUND and positions(record) == {}
    no_unreported_exposure(p, record)


def test_leg_a_partly_filled_then_leg_b_rejected() -> None:
    # Thin Polymarket book: the YES leg takes what is there and rests the rest.
    p = world(pm_depth=3, ks={"responses": ResponseModel(reject_rate=1.0, resting_fill_rate=0)})
    record = execute(p, legs(p, tif="GTC"))
    yes, no, *unwinds = record.orders
    assert no.state is OrderState.REJECTED and record.reason == "rejected"
    assert yes.state is OrderState.CANCELLED and 0 < yes.filled < yes.intent.size
    assert unwinds[0].intent.size == yes.filled  # sell what was bought
    assert 1 <= len(unwinds) <= 3  # the thin book may need the policy's further attempts
    assert record.residual == yes.filled - sum(order.filled for order in unwinds)
    assert record.state is GroupState.UNWOUND
    no_unreported_exposure(p, record)


def test_a_late_fill_after_the_cancel_request_is_unwound() -> None:
    # Kalshi matches the NO leg at once but its fill message takes 50 ms; the YES leg is
    # rejected after 1 ms, so the NO leg's cancel goes out before its fill arrives.
    p = world(ks={"latency": latency(ack_ms=1, fill_ms=50, cancel_ms=100)})
    record = execute(p, legs(p, tif="GTC", post_only=True))
    yes, no, unwind = record.orders
    assert yes.state is OrderState.REJECTED
    assert no.cancel_sent_at and no.state is OrderState.FILLED  # the late fill won the race
    # Unwound at the instant the fill arrived: 1 ms to reach Kalshi, 50 ms back.
    assert unwind.sent_at == no.sent_at + 51 * MS * 1_000
    assert unwind.state is OrderState.FILLED and record.state is GroupState.UNWOUND
    assert positions(record) == {}
    no_unreported_exposure(p, record)


def test_a_venue_outage_during_a_group() -> None:
    # Kalshi refuses everything; the Polymarket leg fills and must be flattened, but the
    # unwind crosses a book with a worst price that allows only part of it to go.
    p = world(
        ks={"responses": ResponseModel(reject_rate=1.0)},
        pm_depth=4,
        unwind=UnwindPolicy(max_slippage="0.01"),
    )  # type: ignore[arg-type]
    record = execute(p, legs(p, tif="FAK"))
    yes, no, *unwinds = record.orders
    assert no.state is OrderState.REJECTED and yes.filled > 0
    assert record.state is GroupState.UNWOUND
    sold = sum(order.filled for order in unwinds)
    assert record.residual == yes.filled - sold  # what could not be sold is on the record
    assert positions(record) == ({("pm", "yes"): record.residual} if record.residual else {})
    no_unreported_exposure(p, record)


def test_nothing_filled_means_failed_not_unwound() -> None:
    p = world(ks={"responses": ResponseModel(reject_rate=1.0)})
    record = execute(p, legs(p, tif="FOK", yes="0.30"))  # the YES leg cannot fill either
    assert record.state is GroupState.FAILED and positions(record) == {}
    assert p.coordinator.metrics.failed == 1
    no_unreported_exposure(p, record)


def test_rest_then_cross_rests_first() -> None:
    p = world(
        ks={"responses": ResponseModel(reject_rate=1.0)},
        unwind=UnwindPolicy(mode="rest_then_cross", rest_s=0.2),
    )  # type: ignore[arg-type]
    record = execute(p, legs(p, tif="FOK"))
    _, _, resting, crossing = record.orders
    assert resting.intent.time_in_force.value == "GTC" and resting.state is OrderState.CANCELLED
    assert crossing.intent.time_in_force.value == "FAK" and crossing.state is OrderState.FILLED
    assert crossing.sent_at - resting.sent_at >= 200_000_000
    assert record.state is GroupState.UNWOUND and positions(record) == {}


def test_a_run_with_groups_is_deterministic_and_reports_them() -> None:
    config = TestConfig(intents=20_000, seed=4, arrival_rate=500)  # 40 s: prices drift apart
    first = asyncio.run(DryTestingEngine(config).run())
    second = asyncio.run(DryTestingEngine(config).run())
    assert first.digest == second.digest
    groups = first.arbitrage
    assert groups is not None and groups.attempted > 10
    assert groups.attempted == groups.completed + sum(groups.aborted_by_reason.values())
    assert groups.unwound + groups.failed == sum(groups.aborted_by_reason.values())
    assert groups.cancel_latency_sim.max_us == 0
    assert first.illegal_transitions == 0


def test_an_unwind_acts_at_the_instant_each_order_it_waits_for_ends() -> None:
    # A thin book and little slippage allowed: the YES leg fills, the NO leg is rejected,
    # and flattening the YES leg takes several FAK orders, each sent as the last ended.
    p = world(
        ks={"responses": ResponseModel(reject_rate=1.0)},
        pm_depth=4,
        unwind=UnwindPolicy(max_slippage="0.01", attempts=3),
    )  # type: ignore[arg-type]
    ends = Ends(p, lambda order: len(p.coordinator.settled))
    record = execute(p, legs(p, tif="FAK"))
    yes, no, *unwinds = record.orders
    assert record.state is GroupState.UNWOUND and len(unwinds) >= 2
    # The first unwind went out as the group's last leg ended...
    assert unwinds[0].sent_at == max(ends.at(yes), ends.at(no))
    # ...and every further one as the one before it ended, in that order's callback.
    for before, after in itertools.pairwise(unwinds):
        assert after.sent_at == ends.at(before) > before.sent_at
    # The group settled in the callback of its last unwind order's end.
    assert ends.seen[-1][0] is unwinds[-1] and ends.seen[-1][2] == 1
    assert [seen for _, _, seen in ends.seen[:-1]] == [0] * (len(ends.seen) - 1)
    no_unreported_exposure(p, record)


def test_rest_then_cross_crosses_as_the_resting_order_is_cancelled() -> None:
    p = world(
        ks={"responses": ResponseModel(reject_rate=1.0)},
        unwind=UnwindPolicy(mode="rest_then_cross", rest_s=0.2),
    )  # type: ignore[arg-type]
    ends = Ends(p)
    record = execute(p, legs(p, tif="FOK"))
    _, _, resting, crossing = record.orders
    assert resting.state is OrderState.CANCELLED and crossing.sent_at == ends.at(resting)


@pytest.mark.parametrize("failing_call", [1, 2])
def test_an_exception_inside_the_unwind_propagates(
    monkeypatch: pytest.MonkeyPatch, failing_call: int
) -> None:
    """Raised as the unwind starts (its first quote), or after it resumed (its second,
    once its resting order has ended): either way the run fails with it."""
    calls = []
    quote = Pipeline.quote

    def failing(self: Pipeline, intent: Intent) -> tuple[int, int]:
        calls.append(self.scheduler.now)
        if len(calls) == failing_call:
            raise RuntimeError("a bug in the unwind")
        return quote(self, intent)

    monkeypatch.setattr(Pipeline, "quote", failing)
    p = world(
        ks={"responses": ResponseModel(reject_rate=1.0)},
        unwind=UnwindPolicy(mode="rest_then_cross", rest_s=0.2),
    )  # type: ignore[arg-type]
    p.router.route(legs(p, tif="FOK"), 0)
    with pytest.raises(RuntimeError, match="a bug in the unwind"):
        p.scheduler.run_until(None)
    assert len(calls) == failing_call
    if failing_call == 2:
        assert calls[1] - calls[0] >= 200_000_000  # raised after it resumed, not at once
    assert not p.coordinator.settled and p.coordinator.metrics.unwound == 0


def test_an_exception_inside_the_unwind_fails_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(self: Pipeline, intent: Intent) -> tuple[int, int]:
        raise RuntimeError("a bug in the unwind")

    monkeypatch.setattr(Pipeline, "quote", failing)
    config = TestConfig(intents=20_000, seed=4, arrival_rate=500)  # groups unwind
    with pytest.raises(RuntimeError, match="a bug in the unwind"):
        asyncio.run(DryTestingEngine(config).run())
