"""The venue simulator: venue rules, fills and fees, time in force, cancels and races.

Each test builds a small world (virtual scheduler, event log, metrics, order tracker and
one VenueSimulator) and drives orders by hand, as the router and the lane executor do.
Prices are frozen (volatility 0) so the quote is known: fair 0.50 with a 0.02 spread
quotes 0.49 / 0.51. Latencies are constants so every message time is exact. Expected
fees are worked out by hand from ../shared/venue-rules.md, never from FeeProfile.fee.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import fields

import pytest
from venue_world import (
    ACK,
    ACK_US,
    BUY,
    CANCEL,
    FAK,
    FILL,
    FOK,
    GTC,
    GTD,
    MS,
    NO,
    SEED,
    SELL,
    US,
    YES,
    E,
    Ev,
    S,
    St,
    World,
    assert_no_illegal,
    assert_rejected,
    constant_latency,
    taker_fee,
    u,
)

from polyedge.config import (
    FeeConfig,
    LatencyConfig,
    RateLimit,
    ResponseModel,
    VenueRules,
)
from polyedge.events import Row
from polyedge.fixedpoint import SCALE
from polyedge.types import (
    Market,
    Outcome,
    Side,
    Venue,
)
from polyedge.venues.latency import LogNormalLatency
from polyedge.venues.profiles import Rule

# --- venue rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "rule"),
    [
        ("0.505", Rule.TICK),
        ("0.0001", Rule.PRICE_BOUNDS),  # below the lowest tick
        ("1", Rule.PRICE_BOUNDS),
        ("0", Rule.PRICE_BOUNDS),
    ],
)
def test_price_off_the_tick_or_out_of_bounds_is_rejected(
    venue: Venue, price: str, rule: Rule
) -> None:
    world = World(venue)
    intent = world.intent(BUY, YES, "0.45", "10")
    # Intent construction refuses a price its Market's tick does not allow, so no honest
    # Intent can carry one. A client that skipped that check (or a hand-built message)
    # can still send it; the venue must refuse it on its own. An intent built unchecked,
    # with the bad price, plays such a client.
    given = {f.name: getattr(intent, f.name) for f in fields(intent)}
    order = world.send(type(intent).unchecked(**(given | {"price": u(price)})))
    world.run()
    assert_rejected(world, order, world.codes[rule])


def test_venue_checks_its_own_tick_not_the_clients(venue: Venue) -> None:
    # The tick of a market can change during its life (venue-rules.md): the client still
    # believes the tick is 0.001 and prices on it; the venue's market now trades in 0.01.
    world = World(venue, market={"tick_size": "0.01"})
    stale = Market(
        venue=venue,
        market_id=world.market.market_id,
        tick_size=u("0.001"),
        min_size=world.market.min_size,
        fees=world.market.fees,
    )
    order = world.send(world.intent(SELL, YES, "0.499", "10", market=stale))
    world.run()
    assert_rejected(world, order, world.codes[Rule.TICK])


@pytest.mark.parametrize(
    ("market", "size"),
    [
        pytest.param({}, {"polymarket": "4.99", "kalshi": "0.99"}, id="venue-default-minimum"),
        # a whole multiple of the size step, below a per-market minimum
        pytest.param({"min_size": "10"}, {"polymarket": "9", "kalshi": "9"}, id="market-minimum"),
    ],
)
def test_below_min_size_is_rejected(
    venue: Venue, market: dict[str, str], size: dict[str, str]
) -> None:
    world = World(venue, market=market)
    order = world.send(world.intent(BUY, YES, "0.45", size[venue]))
    world.run()
    assert_rejected(world, order, world.codes[Rule.MIN_SIZE])


def test_polymarket_marketable_buy_under_one_dollar_is_rejected() -> None:
    world = World(Venue.POLYMARKET, market={"fair_price": "0.10"})  # quoted 0.09 / 0.11
    order = world.send(world.intent(BUY, YES, "0.15", "5"))
    world.run()
    assert world.sequence(order) == [E.SUBMIT, E.REJECT]
    assert world.events(order)[-1].reason in VenueRules.default(Venue.POLYMARKET).codes.values()


def test_polymarket_marketable_buy_of_one_dollar_or_more_is_accepted() -> None:
    world = World(Venue.POLYMARKET, market={"fair_price": "0.10"})
    order = world.send(world.intent(BUY, YES, "0.20", "5"))  # $1.00 at its limit
    world.run()
    assert world.sequence(order) == [E.SUBMIT, E.ACK, E.FILL]


@pytest.mark.parametrize(
    ("venue", "size"),
    [
        (Venue.POLYMARKET, "5.005"),  # step 0.01 share
        (Venue.POLYMARKET, "100.001"),
        (Venue.KALSHI, "1.5"),  # whole contracts only
        (Venue.KALSHI, "10.01"),
    ],
)
def test_size_not_a_multiple_of_the_size_step_is_rejected(venue: Venue, size: str) -> None:
    world = World(venue)
    order = world.send(world.intent(BUY, YES, "0.45", size))
    world.run()
    assert_rejected(world, order, world.codes[Rule.SIZE_STEP])


@pytest.mark.parametrize(
    ("side", "outcome", "price"),
    [
        (BUY, YES, "0.51"),  # at the ask
        (BUY, YES, "0.60"),  # through it
        (SELL, YES, "0.49"),  # at the bid
        (BUY, NO, "0.51"),  # NO ask = 1 - YES bid
        (SELL, NO, "0.40"),
    ],
)
def test_post_only_that_would_cross_is_rejected(
    venue: Venue, side: Side, outcome: Outcome, price: str
) -> None:
    world = World(venue)
    order = world.send(world.intent(side, outcome, price, "10", post_only=True))
    world.run()
    assert_rejected(world, order, world.codes[Rule.POST_ONLY_CROSS])


@pytest.mark.parametrize(("side", "price"), [(BUY, "0.50"), (SELL, "0.50")])
def test_post_only_that_does_not_cross_rests(venue: Venue, side: Side, price: str) -> None:
    world = World(venue)
    order = world.send(world.intent(side, YES, price, "10", post_only=True))
    world.run()
    assert world.sequence(order) == [E.SUBMIT, E.ACK]
    assert order.state is St.SUBMITTED
    assert world.metrics.rejects == {}


def test_fok_that_cannot_fill_in_full_is_rejected(venue: Venue) -> None:
    # Depth of one share / one contract at the touch: a 1000-size FOK cannot fill.
    world = World(venue, market={"depth": "1"})
    order = world.send(world.intent(BUY, YES, "0.55", "1000", FOK))
    world.run()
    assert_rejected(world, order, world.codes[Rule.FOK_UNFILLED])


def test_rate_limit(venue: Venue) -> None:
    world = World(venue, rate_limit=RateLimit(per_second=1, burst=2))
    first = [world.send(world.intent(BUY, YES, "0.45", "10")) for _ in range(3)]
    # The bucket is empty after the first two; one token comes back per second.
    early = world.send(world.intent(BUY, YES, "0.45", "10"), at=S - 1)
    refilled = world.send(world.intent(BUY, YES, "0.45", "10"), at=S)
    again = world.send(world.intent(BUY, YES, "0.45", "10"), at=S)
    later = [world.send(world.intent(BUY, YES, "0.45", "10"), at=5 * S) for _ in range(3)]
    world.run()
    limited = world.codes[Rule.RATE_LIMITED]
    expected = [
        (first[0], E.ACK, ""),
        (first[1], E.ACK, ""),
        (first[2], E.REJECT, limited),
        (early, E.REJECT, limited),
        (refilled, E.ACK, ""),
        (again, E.REJECT, limited),
        # four seconds refill at most `burst` tokens
        (later[0], E.ACK, ""),
        (later[1], E.ACK, ""),
        (later[2], E.REJECT, limited),
    ]
    for order, event, reason in expected:
        answer = world.events(order)[1]
        assert (answer.event, answer.reason) == (event, reason), order.order_id
        assert answer.time == order.sent_at + ACK
    assert world.metrics.rejects == {venue: Counter({limited: 4})}


# --- fills and fees ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("side", "outcome", "fair", "limit", "size", "expected_price", "fees"),
    [
        # 100 * 0.07 * 0.51 * 0.49 = 1.7493; Kalshi ceil(174.93 cents) = $1.75
        (BUY, YES, "0.50", "0.60", "100", "0.51", ("1.7493", "1.75")),
        # 7 * 0.07 * 0.2499 = 0.122451 -> 0.12245; Kalshi ceil(12.2451 cents) = $0.13
        (BUY, YES, "0.50", "0.99", "7", "0.51", ("0.12245", "0.13")),
        # fair 0.40: YES 0.39 / 0.41, NO 0.59 / 0.61. 100 * 0.07 * 0.61 * 0.39 = 1.6653
        (BUY, NO, "0.40", "0.70", "100", "0.61", ("1.6653", "1.67")),
        # a SELL gets the bid, above its limit: 1.6653 again (0.39 * 0.61)
        (SELL, YES, "0.40", "0.30", "100", "0.39", ("1.6653", "1.67")),
        # 5 * 0.07 * 0.59 * 0.41 = 0.084665, a tie: half-even 0.08466; Kalshi ceil(8.4665c)
        (SELL, NO, "0.40", "0.41", "5", "0.59", ("0.08466", "0.09")),
    ],
)
def test_marketable_order_fills_at_the_touch_with_the_taker_fee(
    venue: Venue,
    side: Side,
    outcome: Outcome,
    fair: str,
    limit: str,
    size: str,
    expected_price: str,
    fees: tuple[str, str],
) -> None:
    world = World(venue, market={"fair_price": fair})
    order = world.send(world.intent(side, outcome, limit, size))
    world.run()
    fee = u(fees[0] if venue is Venue.POLYMARKET else fees[1])
    assert fee == taker_fee(venue, u(size), u(expected_price))
    assert world.events(order) == [
        Ev(E.SUBMIT, St.PENDING, St.SUBMITTED, 0, 0, 0, "", 0),
        Ev(E.ACK, St.SUBMITTED, St.SUBMITTED, 0, 0, 0, "", ACK),
        Ev(E.FILL, St.SUBMITTED, St.FILLED, u(expected_price), u(size), fee, "", ACK + FILL),
    ]
    assert order.state is St.FILLED
    assert order.filled == u(size)
    metrics = world.metrics
    assert (metrics.fills, metrics.filled_size, metrics.fees) == (1, u(size), fee)
    assert metrics.notional == u(expected_price) * u(size)
    assert_no_illegal(world)


def test_taker_fee_comes_from_the_markets_fee_profile() -> None:
    # A politics market: 0.04 taker rate. 100 * 0.04 * 0.51 * 0.49 = 0.9996.
    fees = FeeConfig(taker_rate="0.04", quantum="0.00001")
    world = World(Venue.POLYMARKET, market={"fees": fees})
    order = world.send(world.intent(BUY, YES, "0.55", "100"))
    world.run()
    fill = world.events(order)[-1]
    assert (fill.event, fill.price, fill.size, fill.fee) == (
        E.FILL,
        u("0.51"),
        u("100"),
        u("0.9996"),
    )


@pytest.mark.parametrize(
    ("venue", "fees", "expected_fee"),
    [
        (Venue.POLYMARKET, None, "0"),  # makers never pay on Polymarket
        (Venue.KALSHI, None, "0"),
        # Kalshi series with maker fees: ceil(0.0175 * 100 * 0.45 * 0.55) = ceil(0.433125)
        (
            Venue.KALSHI,
            FeeConfig(taker_rate="0.07", maker_rate="0.0175", quantum="0.01", rounding="ceil"),
            "0.44",
        ),
    ],
)
def test_resting_order_later_fills_at_its_own_price_with_the_maker_fee(
    venue: Venue, fees: FeeConfig | None, expected_fee: str
) -> None:
    responses = ResponseModel(
        reject_rate=0.0, resting_fill_rate=1.0, partial_fill_rate=0.0, resting_fill_mean_s=0.5
    )
    world = World(venue, market={"fees": fees}, responses=responses)
    order = world.send(world.intent(BUY, YES, "0.45", "100"))
    world.run()
    events = world.events(order)
    assert [ev.event for ev in events] == [E.SUBMIT, E.ACK, E.FILL]
    fill = events[-1]
    assert (fill.price, fill.size, fill.fee) == (u("0.45"), u("100"), u(expected_fee))
    assert fill.time > ACK + FILL  # the market came to it later, not at once
    assert order.state is St.FILLED
    assert world.metrics.fees == u(expected_fee)
    assert_no_illegal(world)


def test_partly_marketable_order_takes_the_depth_then_rests_at_its_limit(venue: Venue) -> None:
    responses = ResponseModel(reject_rate=0.0, resting_fill_rate=1.0, partial_fill_rate=0.0)
    world = World(venue, market={"depth": "2"}, responses=responses)
    order = world.send(world.intent(BUY, YES, "0.52", "1000"))
    world.run()
    events = world.events(order)
    assert [ev.event for ev in events] == [E.SUBMIT, E.ACK, E.PARTIAL_FILL, E.FILL]
    taker, maker = events[2], events[3]
    assert 0 < taker.size < u("1000")
    assert (taker.price, taker.time) == (u("0.51"), ACK + FILL)  # at the ask, at once
    assert taker.fee == taker_fee(venue, taker.size, u("0.51"))
    assert maker.price == u("0.52")  # the rest at its own limit, later, as a maker
    assert (maker.size, maker.fee) == (u("1000") - taker.size, 0)
    assert maker.time > taker.time
    assert order.state is St.FILLED
    assert_no_illegal(world)


# --- time in force -------------------------------------------------------------------------


def test_fak_fills_what_it_can_then_the_rest_expires(venue: Venue) -> None:
    world = World(venue, market={"depth": "1"})
    order = world.send(world.intent(BUY, YES, "0.55", "1000", FAK))
    world.run()
    events = world.events(order)
    assert [ev.event for ev in events] == [E.SUBMIT, E.ACK, E.PARTIAL_FILL, E.EXPIRE]
    fill, expire = events[2], events[3]
    step = VenueRules.default(venue).size_step
    assert 0 < fill.size < u("1000")
    assert fill.size % step == 0
    assert (fill.price, fill.fee) == (u("0.51"), taker_fee(venue, fill.size, u("0.51")))
    assert (fill.before, fill.after) == (St.SUBMITTED, St.PARTIAL_FILL)
    assert fill.time == ACK + FILL
    assert (expire.before, expire.after, expire.time) == (St.PARTIAL_FILL, St.EXPIRED, ACK + FILL)
    assert order.state is St.EXPIRED
    assert order.filled == fill.size
    assert world.metrics.filled_size == fill.size
    assert world.tracker.in_flight == {}
    assert_no_illegal(world)


def test_fak_that_does_not_cross_expires_at_once(venue: Venue) -> None:
    world = World(venue)
    order = world.send(world.intent(BUY, YES, "0.45", "10", FAK))
    world.run()
    assert [(ev.event, ev.time) for ev in world.events(order)] == [
        (E.SUBMIT, 0),
        (E.ACK, ACK),
        (E.EXPIRE, ACK),
    ]
    assert (order.state, order.filled) == (St.EXPIRED, 0)


def test_fak_that_fills_in_full_does_not_expire(venue: Venue) -> None:
    world = World(venue)
    order = world.send(world.intent(BUY, YES, "0.55", "10", FAK))
    world.run()
    assert world.sequence(order) == [E.SUBMIT, E.ACK, E.FILL]
    assert order.state is St.FILLED


def test_fok_that_can_fill_is_acked_then_filled(venue: Venue) -> None:
    world = World(venue)
    order = world.send(world.intent(BUY, YES, "0.55", "100", FOK))
    world.run()
    fee = taker_fee(venue, u("100"), u("0.51"))
    assert world.events(order) == [
        Ev(E.SUBMIT, St.PENDING, St.SUBMITTED, 0, 0, 0, "", 0),
        Ev(E.ACK, St.SUBMITTED, St.SUBMITTED, 0, 0, 0, "", ACK),
        Ev(E.FILL, St.SUBMITTED, St.FILLED, u("0.51"), u("100"), fee, "", ACK + FILL),
    ]


def test_gtd_expires_at_its_expiry_when_not_filled(venue: Venue) -> None:
    # One latency for every message, so the expiry message's time is exact either way.
    world = World(venue, latency=constant_latency(ACK_US, ACK_US, ACK_US))
    # The order carries the venue's expiry field; it lives until the threshold before it.
    expires_at = world.market.gtd_threshold + 2 * S
    order = world.send(world.intent(BUY, YES, "0.45", "10", GTD, expires_at=expires_at))
    world.run()
    events = world.events(order)
    assert [(ev.event, ev.time) for ev in events] == [
        (E.SUBMIT, 0),
        (E.ACK, ACK),
        (E.EXPIRE, 2 * S + ACK),
    ]
    assert (events[-1].before, events[-1].after) == (St.SUBMITTED, St.EXPIRED)
    assert (order.state, order.filled) == (St.EXPIRED, 0)
    assert world.tracker.in_flight == {}


def test_gtd_partly_filled_then_expires_keeping_its_fill(venue: Venue) -> None:
    world = World(venue, market={"depth": "2"})
    expires_at = world.market.gtd_threshold + S
    order = world.send(world.intent(BUY, YES, "0.52", "1000", GTD, expires_at=expires_at))
    world.run()
    events = world.events(order)
    assert [ev.event for ev in events] == [E.SUBMIT, E.ACK, E.PARTIAL_FILL, E.EXPIRE]
    assert events[-1].time >= S
    assert order.state is St.EXPIRED
    assert 0 < order.filled == events[2].size < u("1000")
    assert_no_illegal(world)


def test_gtd_filled_before_its_expiry_does_not_expire(venue: Venue) -> None:
    responses = ResponseModel(
        reject_rate=0.0, resting_fill_rate=1.0, partial_fill_rate=0.0, resting_fill_mean_s=0.001
    )
    world = World(venue, responses=responses)
    expires_at = world.market.gtd_threshold + 100 * S
    order = world.send(world.intent(BUY, YES, "0.45", "10", GTD, expires_at=expires_at))
    world.run()
    assert world.sequence(order) == [E.SUBMIT, E.ACK, E.FILL]
    assert order.state is St.FILLED
    assert_no_illegal(world)


# --- cancels and the late-fill race --------------------------------------------------------


def test_cancel_of_a_resting_order(venue: Venue) -> None:
    world = World(venue)
    order = world.send(world.intent(BUY, YES, "0.45", "10"))
    world.cancel(order, at=10 * MS)
    world.run()
    assert world.events(order) == [
        Ev(E.SUBMIT, St.PENDING, St.SUBMITTED, 0, 0, 0, "", 0),
        Ev(E.ACK, St.SUBMITTED, St.SUBMITTED, 0, 0, 0, "", ACK),
        Ev(E.CANCEL_REQUEST, St.SUBMITTED, St.PENDING_CANCEL, 0, 0, 0, "", 10 * MS),
        Ev(E.CANCEL_ACK, St.PENDING_CANCEL, St.CANCELLED, 0, 0, 0, "", 10 * MS + CANCEL),
    ]
    assert world.metrics.latency[venue]["cancel_ack"].max == CANCEL
    assert world.tracker.ended() == Counter({"CANCELLED": 1})


def test_cancel_never_overtakes_its_order(venue: Venue) -> None:
    # The cancel is sent before the ack is back and travels faster than the order did.
    world = World(venue, latency=constant_latency(ack_us=1_000, cancel_us=100))
    order = world.send(world.intent(BUY, YES, "0.45", "10"))
    world.cancel(order, at=200 * US)
    world.run()
    assert [(ev.event, ev.after, ev.time) for ev in world.events(order)] == [
        (E.SUBMIT, St.SUBMITTED, 0),
        (E.CANCEL_REQUEST, St.PENDING_CANCEL, 200 * US),
        (E.ACK, St.PENDING_CANCEL, ACK),
        (E.CANCEL_ACK, St.CANCELLED, ACK),
    ]
    assert_no_illegal(world)


def test_late_fill_race_after_an_immediate_match(venue: Venue) -> None:
    # Matched on arrival (1 ms); the fill message is on the wire until 6 ms; the engine
    # asks to cancel at 2 ms, and the cancel reaches the venue at 4 ms: nothing to cancel.
    world = World(venue, latency=constant_latency(ack_us=1_000, fill_us=5_000, cancel_us=2_000))
    order = world.send(world.intent(BUY, YES, "0.55", "10"))
    world.cancel(order, at=2 * MS)
    world.run()
    events = world.events(order)
    assert [(ev.event, ev.before, ev.after, ev.time) for ev in events] == [
        (E.SUBMIT, St.PENDING, St.SUBMITTED, 0),
        (E.ACK, St.SUBMITTED, St.SUBMITTED, 1 * MS),
        (E.CANCEL_REQUEST, St.SUBMITTED, St.PENDING_CANCEL, 2 * MS),
        (E.FILL, St.PENDING_CANCEL, St.FILLED, 6 * MS),
    ]
    assert (events[-1].price, events[-1].size) == (u("0.51"), u("10"))
    assert (order.state, order.filled) == (St.FILLED, u("10"))
    assert world.tracker.ended() == Counter({"FILLED": 1})
    assert_no_illegal(world)


RESTING_FILLS = ResponseModel(
    reject_rate=0.0, resting_fill_rate=1.0, partial_fill_rate=0.0, resting_fill_mean_s=0.5
)


def test_late_fill_race_after_a_resting_match(venue: Venue) -> None:
    # Find when the market trades through the resting order (same seed, no cancel)...
    probe = World(venue, responses=RESTING_FILLS, seed=SEED + 1)
    probe_order = probe.send(probe.intent(BUY, YES, "0.45", "10"))
    probe.run()
    fill_at = probe.events(probe_order)[-1].time
    matched_at = fill_at - FILL
    assert matched_at > ACK + CANCEL  # room for a cancel sent after the ack to arrive first

    # ...then ask to cancel between the match and the fill message: the fill wins.
    world = World(venue, responses=RESTING_FILLS, seed=SEED + 1)
    order = world.send(world.intent(BUY, YES, "0.45", "10"))
    world.cancel(order, at=matched_at + FILL // 2)
    world.run()
    assert [(ev.event, ev.after, ev.time) for ev in world.events(order)] == [
        (E.SUBMIT, St.SUBMITTED, 0),
        (E.ACK, St.SUBMITTED, ACK),
        (E.CANCEL_REQUEST, St.PENDING_CANCEL, matched_at + FILL // 2),
        (E.FILL, St.FILLED, fill_at),
    ]
    assert order.state is St.FILLED
    assert_no_illegal(world)

    # A cancel that reaches the venue just before the match wins instead.
    early = World(venue, responses=RESTING_FILLS, seed=SEED + 1)
    early_order = early.send(early.intent(BUY, YES, "0.45", "10"))
    early.cancel(early_order, at=matched_at - CANCEL - 1)
    early.run()
    assert early.sequence(early_order) == [E.SUBMIT, E.ACK, E.CANCEL_REQUEST, E.CANCEL_ACK]
    assert (early_order.state, early_order.filled) == (St.CANCELLED, 0)
    assert_no_illegal(early)


def test_fill_message_is_not_overtaken_by_a_faster_cancel_ack(venue: Venue) -> None:
    # A partial immediate fill whose message takes 50 ms, then a cancel that takes 0.1 ms.
    world = World(
        venue,
        market={"depth": "2"},
        latency=constant_latency(ack_us=1_000, fill_us=50_000, cancel_us=100),
    )
    order = world.send(world.intent(BUY, YES, "0.52", "1000"))
    world.cancel(order, at=2 * MS)
    world.run()
    events = world.events(order)
    assert [(ev.event, ev.after) for ev in events] == [
        (E.SUBMIT, St.SUBMITTED),
        (E.ACK, St.SUBMITTED),
        (E.CANCEL_REQUEST, St.PENDING_CANCEL),
        (E.PARTIAL_FILL, St.PENDING_CANCEL),
        (E.CANCEL_ACK, St.CANCELLED),
    ]
    fill = events[3]
    assert fill.time == 51 * MS
    assert events[4].time == 51 * MS  # held back behind the fill, not sent at 2.1 ms
    assert 0 < fill.size < u("1000")
    assert (order.state, order.filled) == (St.CANCELLED, fill.size)
    assert world.metrics.filled_size == fill.size
    assert_no_illegal(world)


def test_messages_of_one_order_keep_their_order_under_random_latencies(venue: Venue) -> None:
    """Many orders, heavy-tailed latencies, partial fills, expiries and cancels at random
    times: any message overtaking another about the same order would be an illegal move
    (a fill after a cancel ack, an ack after an expiry, ...)."""
    latency = LatencyConfig(
        submit_ack=LogNormalLatency(median_us=2_000, sigma=1.2),
        fill=LogNormalLatency(median_us=3_000, sigma=1.5),
        cancel_ack=LogNormalLatency(median_us=500, sigma=1.2),
    )
    responses = ResponseModel(
        reject_rate=0.05,
        resting_fill_rate=0.8,
        resting_fill_mean_s=0.01,
        partial_fill_rate=0.7,
        max_fill_parts=5,
    )
    world = World(venue, market={"depth": "20"}, responses=responses, latency=latency)
    rng = random.Random(SEED)
    cancelled: set[int] = set()
    for _ in range(1_500):
        sent = rng.randrange(0, S)
        tif = rng.choice([GTC, GTC, GTD, FAK, FOK])
        price = rng.choice(["0.45", "0.49", "0.50", "0.51", "0.53"])
        expires_at = sent + rng.randrange(0, 30 * MS) if tif is GTD else None
        intent = world.intent(
            BUY, YES, price, str(rng.randrange(5, 60)), tif, expires_at=expires_at
        )
        order = world.send(intent, at=sent)
        if rng.random() < 0.6:
            world.cancel(order, at=sent + rng.randrange(0, 40 * MS))
            cancelled.add(order.order_id)
    world.run()
    assert_no_illegal(world)
    states = Counter(order.state for order in world.orders)
    # every path was taken
    for state in (St.FILLED, St.CANCELLED, St.EXPIRED, St.REJECTED):
        assert states[state] > 20, states
    for order in world.orders:
        events = world.events(order)
        fills = [ev for ev in events if ev.event in (E.FILL, E.PARTIAL_FILL)]
        assert sum(ev.size for ev in fills) == order.filled
        assert [ev.time for ev in events] == sorted(ev.time for ev in events)
        if order.state is St.CANCELLED:
            assert order.order_id in cancelled
            assert events[-1].event is E.CANCEL_ACK
        if order.state is St.FILLED:
            assert order.filled == order.intent.size
        if order.intent.time_in_force is GTC and order.order_id not in cancelled:
            assert order.state in (St.FILLED, St.REJECTED, St.SUBMITTED, St.PARTIAL_FILL)


# --- the response model ---------------------------------------------------------------------


def test_response_mix(venue: Venue) -> None:
    responses = ResponseModel(
        reject_rate=0.3,
        resting_fill_rate=0.6,
        partial_fill_rate=0.3,
        max_fill_parts=3,
        resting_fill_mean_s=0.2,
    )
    world = World(venue, responses=responses)
    n = 4_000
    orders = [world.send(world.intent(BUY, YES, "0.45", "10"), at=i * MS) for i in range(n)]
    world.run()
    assert_no_illegal(world)

    random_codes = VenueRules.default(venue).random_reject_codes
    rejected = [o for o in orders if o.state is St.REJECTED]
    codes = Counter(world.events(o)[-1].reason for o in rejected)
    assert set(codes) == set(random_codes)
    assert len(rejected) / n == pytest.approx(0.3, abs=0.03)
    for code in random_codes:  # picked uniformly
        assert codes[code] / len(rejected) == pytest.approx(1 / len(random_codes), abs=0.05)
    assert world.metrics.rejects == {venue: codes}

    accepted = [o for o in orders if o.state is not St.REJECTED]
    filled = [o for o in accepted if o.state is St.FILLED]
    resting = [o for o in accepted if o.state is St.SUBMITTED]
    assert len(filled) + len(resting) == len(accepted)  # nothing else can happen here
    assert len(filled) / len(accepted) == pytest.approx(0.6, abs=0.035)

    parts: Counter[int] = Counter()
    first_waits = []
    for order in filled:
        events = world.events(order)
        fills = [ev for ev in events if ev.event in (E.FILL, E.PARTIAL_FILL)]
        assert [ev.event for ev in events] == [
            E.SUBMIT,
            E.ACK,
            *(E.PARTIAL_FILL,) * (len(fills) - 1),
            E.FILL,
        ]
        assert all((ev.price, ev.fee) == (u("0.45"), 0) for ev in fills)
        assert sum(ev.size for ev in fills) == u("10")
        parts[len(fills)] += 1
        first_waits.append(fills[0].time - events[1].time - FILL)
    assert set(parts) == {1, 2, 3}
    several = (parts[2] + parts[3]) / len(filled)
    assert several == pytest.approx(0.3, abs=0.04)
    # the market's wait for a resting order is exponential with the configured mean
    assert sum(first_waits) / len(first_waits) / S == pytest.approx(0.2, rel=0.1)


def test_max_fill_parts_is_a_cap() -> None:
    responses = ResponseModel(
        reject_rate=0.0, resting_fill_rate=1.0, partial_fill_rate=1.0, max_fill_parts=1
    )
    world = World(Venue.POLYMARKET, responses=responses)
    orders = [world.send(world.intent(BUY, YES, "0.45", "10"), at=i * MS) for i in range(50)]
    world.run()
    assert all(order.state is St.FILLED for order in orders)
    assert max(len(world.events(order)) for order in orders) == 3  # SUBMIT, ACK, one FILL


@pytest.mark.parametrize("max_parts", [2, 5])
def test_partial_fills_use_up_to_max_fill_parts(max_parts: int) -> None:
    responses = ResponseModel(
        reject_rate=0.0, resting_fill_rate=1.0, partial_fill_rate=1.0, max_fill_parts=max_parts
    )
    world = World(Venue.KALSHI, responses=responses)
    orders = [world.send(world.intent(BUY, YES, "0.45", "10"), at=i * MS) for i in range(300)]
    world.run()
    parts = Counter(len(world.events(order)) - 2 for order in orders)
    assert set(parts) == set(range(2, max_parts + 1))
    # whole contracts in every part
    assert all(row[8] % SCALE == 0 for row in world.rows)


# --- determinism ---------------------------------------------------------------------------


def mixed_run(seed: int) -> list[Row]:
    latency = LatencyConfig()  # the default lognormal latencies
    responses = ResponseModel(reject_rate=0.1)
    world = World(
        Venue.POLYMARKET,
        market={"depth": "30", "volatility": "0.05"},
        responses=responses,
        latency=latency,
        seed=seed,
    )
    rng = random.Random(7)  # the same orders every time; only the venue's seed changes
    for i in range(300):
        tif = rng.choice([GTC, FAK, FOK])
        price = rng.choice(["0.40", "0.48", "0.52", "0.60"])
        order = world.send(world.intent(BUY, YES, price, "20", tif), at=i * MS)
        if rng.random() < 0.3:
            world.cancel(order, at=i * MS + rng.randrange(0, 20 * MS))
    world.run()
    return world.rows


def test_same_seed_same_events_other_seed_other_events() -> None:
    first = mixed_run(SEED)
    assert len(first) > 600
    assert mixed_run(SEED) == first
    other = mixed_run(SEED + 1)
    assert other != first
    # not only the times: which order got which event and size differs too
    assert [row[1:9] for row in other] != [row[1:9] for row in first]
