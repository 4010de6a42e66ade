"""Venues with an order book: depth, price improvement, queue position, trade-through,
linked YES/NO books, and the market clock.

The worlds of test_venue_simulator drive one venue by hand. Here the market's price path
is scripted (a list of quotes from given times), so what the synthetic liquidity does is
known: it quotes `levels` levels each side of the scripted bid and ask, DEPTH at each.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pytest
from venue_world import (
    ACK,
    BUY,
    FILL,
    FOK,
    GTC,
    NO,
    SELL,
    YES,
    World,
    assert_no_illegal,
    assert_rejected,
    polymarket_fee,
    u,
)

from polyedge.config import VenueRules
from polyedge.types import OrderEvent, OrderState, Venue
from polyedge.venues.liquidity import BookLiquidity
from polyedge.venues.prices import STEP_NS
from polyedge.venues.profiles import Rule

E, St = OrderEvent, OrderState
S = 1_000_000_000


@dataclass(frozen=True)
class Quote:
    bid: int
    ask: int
    bid_size: int
    ask_size: int


class Script:
    """A price path: the quote given for each time from, the last one before applying."""

    def __init__(self, *quotes: tuple[int, str, str], size: str = "10") -> None:
        self._quotes = [(at, Quote(u(bid), u(ask), u(size), u(size))) for at, bid, ask in quotes]

    def quote(self, time_ns: int) -> Quote:
        return [quote for at, quote in self._quotes if at <= time_ns][-1]


def book_world(
    venue: Venue,
    script: Script,
    flow: str = "0",
    rules: dict[str, Any] | None = None,
    **market: Any,
) -> World:
    settings = {"liquidity": "book", "book": {"levels": 3, "flow_per_s": flow}, **market}
    venue_rules = VenueRules.model_validate(VenueRules.merged(venue, rules or {}))
    return World(venue, market=settings, paths={f"m-{venue}": script}, rules=venue_rules)


def run_for(world: World, seconds: int) -> None:
    """Run the market's clock too: world.run() stops when only the clock is left."""
    world.scheduler.run_until(seconds * S)
    world.run()


def liquidity(world: World) -> BookLiquidity:
    found = world.simulator._markets[world.market.market_id].liquidity
    assert isinstance(found, BookLiquidity)
    return found


STILL = Script((0, "0.49", "0.51"))


def test_a_taker_walks_the_book_at_the_makers_prices(venue: Venue) -> None:
    world = book_world(venue, STILL)
    # Asks: 10 at 0.51, 10 at 0.52, 10 at 0.53. A BUY of 25 up to 0.55 takes 10 + 10 + 5.
    order = world.send(world.intent(BUY, YES, "0.55", "25", GTC))
    world.run()
    fills = [(ev.price, ev.size) for ev in world.events(order) if ev.size]
    assert fills == [(u("0.51"), u("10")), (u("0.52"), u("10")), (u("0.53"), u("5"))]
    assert order.state is St.FILLED
    assert_no_illegal(world)


def test_what_the_limit_does_not_reach_rests_in_the_book(venue: Venue) -> None:
    world = book_world(venue, STILL)
    order = world.send(world.intent(BUY, YES, "0.52", "25", GTC))
    world.run()
    assert [ev.size for ev in world.events(order) if ev.size] == [u("10"), u("10")]
    assert order.state is St.PARTIAL_FILL
    assert liquidity(world).book.remaining(order.order_id) == u("5")
    assert world.simulator.quote(world.market.market_id, YES)[0] == u("0.52")  # the best bid


def test_fok_that_the_depth_cannot_fill_is_rejected_and_takes_nothing(venue: Venue) -> None:
    world = book_world(venue, STILL)
    order = world.send(world.intent(BUY, YES, "0.52", "25", FOK))
    world.run()
    assert_rejected(world, order, world.codes[Rule.FOK_UNFILLED])
    assert liquidity(world).book.available(True, 10_000, u("1000")) == u("30")


def test_a_resting_order_waits_behind_the_queue_at_its_price(venue: Venue) -> None:
    # 200/s of flow at each touch: the synthetic 10 at 0.49 trades first, then ours.
    world = book_world(venue, STILL, flow="200")
    order = world.send(world.intent(BUY, YES, "0.49", "5", GTC))
    world.scheduler.run_until(STEP_NS // 2)
    assert liquidity(world).book.queue_ahead(order.order_id) == u("10")
    run_for(world, 10)
    fills = [ev for ev in world.events(order) if ev.size]
    assert sum(ev.size for ev in fills) == u("5") and order.state is St.FILLED
    assert all(ev.price == u("0.49") for ev in fills)  # a maker fills at its own price
    assert fills[0].time > STEP_NS  # not before the flow got through the queue ahead


def test_the_market_trading_through_a_resting_order_fills_it(venue: Venue) -> None:
    script = Script((0, "0.49", "0.51"), (2 * S, "0.40", "0.42"))
    world = book_world(venue, script)
    order = world.send(world.intent(BUY, YES, "0.45", "10", GTC))
    run_for(world, 3)
    fill = [ev for ev in world.events(order) if ev.size]
    assert [(ev.price, ev.size) for ev in fill] == [(u("0.45"), u("10"))]
    assert 2 * S <= fill[0].time < 2 * S + STEP_NS
    assert order.state is St.FILLED


def test_resting_orders_do_not_keep_a_run_alive(venue: Venue) -> None:
    world = book_world(venue, STILL)
    order = world.send(world.intent(BUY, YES, "0.45", "10", GTC))
    world.run()  # returns although the market's clock ticks on
    assert order.state is St.SUBMITTED
    assert liquidity(world).book.remaining(order.order_id) == u("10")


def test_yes_and_no_orders_meet_in_one_book(venue: Venue) -> None:
    world = book_world(venue, STILL)
    bid = world.send(world.intent(BUY, YES, "0.50", "10", GTC))
    # BUY NO at 0.50 is SELL YES at 0.50: it crosses our bid before the synthetic 0.49.
    no = world.send(world.intent(BUY, NO, "0.50", "10", GTC), at=S)
    world.run()
    assert [(ev.price, ev.size) for ev in world.events(bid) if ev.size] == [(u("0.50"), u("10"))]
    assert [(ev.price, ev.size) for ev in world.events(no) if ev.size] == [(u("0.50"), u("10"))]
    assert bid.state is St.FILLED and no.state is St.FILLED


def self_trade_world(venue: Venue, mode: str) -> tuple[World, Any]:
    """Our bid of 10 rests at 0.49, behind the synthetic 10 there (bids: 0.49, 0.48, 0.47)."""
    world = book_world(venue, STILL, rules={"self_trade_prevention": mode})
    bid = world.send(world.intent(BUY, YES, "0.49", "10", GTC))
    return world, bid


def fills_of(world: World, order: Any) -> list[tuple[int, int]]:
    return [(ev.price, ev.size) for ev in world.events(order) if ev.size]


def test_taker_at_cross_stops_an_order_at_our_own_and_cancels_its_rest(venue: Venue) -> None:
    world, bid = self_trade_world(venue, "taker_at_cross")
    sell = world.send(world.intent(SELL, YES, "0.47", "25", GTC), at=S)
    world.run()
    # It takes the synthetic 10 ahead of our bid; the venue cancels the other 15.
    assert fills_of(world, sell) == [(u("0.49"), u("10"))]
    assert world.events(sell)[-1].event is E.VENUE_CANCEL and sell.state is St.CANCELLED
    assert fills_of(world, bid) == [] and bid.state is St.SUBMITTED
    assert liquidity(world).book.remaining(bid.order_id) == u("10")
    assert_no_illegal(world)


def test_taker_at_cross_rejects_a_fok_that_would_meet_our_own(venue: Venue) -> None:
    world, _ = self_trade_world(venue, "taker_at_cross")
    fok = world.send(world.intent(SELL, YES, "0.47", "15", FOK))  # arrives after our bid
    world.run()
    assert [(ev.event, ev.reason) for ev in world.events(fok)] == [
        (E.SUBMIT, ""),
        (E.REJECT, world.codes[Rule.FOK_UNFILLED]),
    ]
    assert liquidity(world).book.available(False, 1, u("1000")) == u("40")  # nothing taken


def test_maker_mode_cancels_our_resting_order_and_the_new_one_trades_on(venue: Venue) -> None:
    world, bid = self_trade_world(venue, "maker")
    sell = world.send(world.intent(SELL, YES, "0.47", "25", GTC), at=S)
    world.run()
    assert world.events(bid)[-1].event is E.VENUE_CANCEL and bid.state is St.CANCELLED
    assert bid.order_id not in liquidity(world).book
    assert fills_of(world, sell) == [
        (u("0.49"), u("10")),
        (u("0.48"), u("10")),
        (u("0.47"), u("5")),
    ]
    assert sell.state is St.FILLED
    assert_no_illegal(world)


def test_self_trade_prevention_sees_our_no_orders_in_the_yes_book(venue: Venue) -> None:
    world = book_world(venue, STILL, rules={"self_trade_prevention": "taker_at_cross"})
    no_bid = world.send(world.intent(BUY, NO, "0.49", "10", GTC))  # SELL YES at 0.51: an ask
    buy = world.send(world.intent(BUY, YES, "0.52", "25", GTC), at=S)
    world.run()
    # The synthetic 10 at 0.51 is ahead of ours there: the buy takes it and stops.
    assert fills_of(world, buy) == [(u("0.51"), u("10"))] and buy.state is St.CANCELLED
    assert no_bid.state is St.SUBMITTED and fills_of(world, no_bid) == []


@pytest.mark.parametrize("mode", ["taker_at_cross", "maker"])
def test_orders_of_ours_out_of_the_way_are_left_alone(venue: Venue, mode: str) -> None:
    world, bid = self_trade_world(venue, mode)
    other = world.send(world.intent(BUY, YES, "0.45", "10", GTC))  # same side as the taker
    buy = world.send(world.intent(BUY, YES, "0.52", "15", GTC), at=S)  # lifts the asks only
    world.run()
    assert fills_of(world, buy) == [(u("0.51"), u("10")), (u("0.52"), u("5"))]
    assert bid.state is St.SUBMITTED and other.state is St.SUBMITTED


def test_without_prevention_our_orders_trade_with_each_other(venue: Venue) -> None:
    world, bid = self_trade_world(venue, "none")
    sell = world.send(world.intent(SELL, YES, "0.47", "25", GTC), at=S)
    world.run()
    assert fills_of(world, bid) == [(u("0.49"), u("10"))]
    assert sum(size for _, size in fills_of(world, sell)) == u("25")
    # Without prevention the book keeps no index of our orders by level to answer from.
    with pytest.raises(RuntimeError, match="without self-trade prevention"):
        liquidity(world).self_trades(sell, world.scheduler.now)


def test_a_no_quote_mirrors_the_yes_book(venue: Venue) -> None:
    world = book_world(venue, STILL)
    world.scheduler.run_until(0)
    assert world.simulator.quote(world.market.market_id, YES) == (u("0.49"), u("0.51"))
    assert world.simulator.quote(world.market.market_id, NO) == (u("0.49"), u("0.51"))
    sell_no = world.send(world.intent(SELL, NO, "0.49", "5", GTC))
    world.run()
    # SELL NO at 0.49 is BUY YES at 0.51: it lifts the YES ask.
    assert [ev.price for ev in world.events(sell_no) if ev.size] == [u("0.49")]


def test_cancelled_and_expired_orders_leave_the_book(venue: Venue) -> None:
    world = book_world(venue, STILL)
    order = world.send(world.intent(BUY, YES, "0.45", "10", GTC))
    world.cancel(order, at=S)
    world.run()
    assert order.state is St.CANCELLED
    assert order.order_id not in liquidity(world).book


def test_after_a_tick_change_the_book_takes_prices_on_the_new_tick() -> None:
    venue = Venue.POLYMARKET
    world = book_world(venue, STILL, tick_changes=[{"at_s": 1, "tick_size": "0.001"}])
    early = world.send(world.intent(BUY, YES, "0.455", "10", GTC, market=_fine(world)))
    late = world.send(world.intent(BUY, YES, "0.455", "10", GTC, market=_fine(world)), at=2 * S)
    world.run()
    assert world.events(early)[-1].reason == world.codes[Rule.TICK]
    assert early.state is St.REJECTED
    assert late.state is St.SUBMITTED
    assert liquidity(world).book.remaining(late.order_id) == u("10")
    assert_no_illegal(world)


def _fine(world: World) -> Any:
    """The client's copy of the market after it learnt of the finer tick."""
    return replace(world.market, tick_size=u("0.001"))


def test_events_of_book_fills_go_through_the_state_machine(venue: Venue) -> None:
    world = book_world(venue, Script((0, "0.49", "0.51"), (S, "0.30", "0.32")), flow="50")
    orders = [
        world.send(world.intent(BUY, YES, price, "10", GTC), at=i * STEP_NS)
        for i, price in enumerate(["0.45", "0.46", "0.47", "0.48", "0.49"])
    ]
    run_for(world, 2)
    assert all(order.state is St.FILLED for order in orders)
    for order in orders:
        assert world.sequence(order)[:2] == [E.SUBMIT, E.ACK]
    assert_no_illegal(world)


@pytest.mark.parametrize(
    ("price", "accepted"),
    [("0.095", True), ("0.10", True), ("0.105", False), ("0.50", True), ("0.905", True)],
)
def test_a_tapered_kalshi_grid_takes_deci_cents_only_in_its_tails(
    price: str, accepted: bool
) -> None:
    world = book_world(Venue.KALSHI, STILL, price_structure="tapered_deci_cent")
    assert world.market.tick_size == u("0.001")
    order = world.send(world.intent(BUY, YES, price, "1", GTC))
    world.run()
    if accepted:
        assert order.state is not St.REJECTED
    else:
        assert world.events(order)[-1].reason == world.codes[Rule.TICK]


def test_a_price_structure_is_kalshis_and_sets_the_tick() -> None:
    from polyedge.config import MarketConfig

    with pytest.raises(ValueError, match="is a Kalshi market's"):
        MarketConfig(venue="polymarket", market_id="m", price_structure="deci_cent")
    with pytest.raises(ValueError, match="sets the tick"):
        MarketConfig(venue="kalshi", market_id="m", price_structure="deci_cent", tick_size="0.01")


def test_max_cost_caps_a_buy_at_what_its_budget_pays_for() -> None:
    world = book_world(Venue.KALSHI, STILL)
    # At the 0.55 limit, 9 contracts cost 4.95 + a 0.16 fee (ceil(0.07 * 9 * 0.55 * 0.45)
    # cents) = 5.11 <= 5.20; 10 would cost 5.50 before fees. FOK on 9, the rest expires.
    intent = replace(world.intent(BUY, YES, "0.55", "20", FOK), max_cost=u("5.20"))
    order = world.send(intent)
    world.run()
    assert world.timeline(order) == [
        (E.SUBMIT, St.SUBMITTED, 0),
        (E.ACK, St.SUBMITTED, ACK),
        (E.PARTIAL_FILL, St.PARTIAL_FILL, ACK + FILL),
        (E.EXPIRE, St.EXPIRED, ACK + FILL),
    ]
    assert [(ev.price, ev.size) for ev in world.events(order) if ev.size] == [(u("0.51"), u("9"))]


def test_max_cost_too_small_for_one_contract_is_an_unfilled_fok() -> None:
    world = book_world(Venue.KALSHI, STILL)
    order = world.send(replace(world.intent(BUY, YES, "0.55", "20", FOK), max_cost=u("0.50")))
    world.run()
    assert_rejected(world, order, world.codes[Rule.FOK_UNFILLED])


@pytest.mark.parametrize(("side", "tif"), [(SELL, FOK), (BUY, GTC)])
def test_max_cost_is_for_fok_buys(side: Any, tif: Any) -> None:
    world = book_world(Venue.KALSHI, STILL)
    with pytest.raises(ValueError, match="max_cost is for BUY orders and implies FOK"):
        replace(world.intent(side, YES, "0.55", "20", tif), max_cost=u("5"))


@pytest.mark.parametrize(("category", "rate"), [("crypto", "0.07"), ("sports", "0.03")])
def test_a_polymarket_category_sets_the_taker_rate(category: str, rate: str) -> None:
    world = book_world(Venue.POLYMARKET, STILL, category=category)
    order = world.send(world.intent(BUY, YES, "0.51", "10", FOK))
    world.run()
    fee = [ev.fee for ev in world.events(order) if ev.size]
    assert world.market.fees.taker_rate == u(rate)
    assert fee == [polymarket_fee(u("10"), u("0.51"), rate)]  # worked out with Decimal


def test_a_category_is_polymarkets_and_excludes_explicit_fees() -> None:
    from polyedge.config import MarketConfig

    with pytest.raises(ValueError, match="category is a Polymarket market's"):
        MarketConfig(venue="kalshi", market_id="m", category="sports")
    with pytest.raises(ValueError, match="category is a Polymarket market's"):
        MarketConfig(venue="polymarket", market_id="m", category="astrology")
    with pytest.raises(ValueError, match="fees or a category"):
        fees = {"taker_rate": "0.01", "quantum": "0.00001"}
        MarketConfig(venue="polymarket", market_id="m", category="sports", fees=fees)
