"""Domain types: validation at construction, fees, and the order's fill lifecycle."""

from __future__ import annotations

import dataclasses
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from polyedge import _core, errors
from polyedge.errors import FloatRefused, IllegalTransition, InvalidValue, UnknownVenue
from polyedge.fixedpoint import CENT, SCALE, Rounding, to_units
from polyedge.types import (
    FeeProfile,
    Intent,
    Liquidity,
    Market,
    OrderEvent,
    OrderState,
    Outcome,
    Side,
    TimeInForce,
    Venue,
)

POLYMARKET_CRYPTO = FeeProfile(taker_rate=to_units("0.07"), quantum=10)
KALSHI = FeeProfile(taker_rate=to_units("0.07"), quantum=CENT, rounding=Rounding.CEIL)


def market(implementation: type[Market] = Market, **overrides: Any) -> Market:
    fields: dict[str, Any] = dict(
        venue="polymarket", market_id="btc-100k", tick_size=to_units("0.01"), min_size=5 * SCALE
    )
    return implementation(**(fields | overrides))


def intent(implementation: type[Intent] = Intent, **overrides: Any) -> Intent:
    fields: dict[str, Any] = dict(
        intent_id=1, market=market(), side="buy", outcome="yes", price=570_000, size=100 * SCALE
    )
    return implementation(**(fields | overrides))


def test_enums_parse_leniently() -> None:
    assert Venue("Polymarket") is Venue.POLYMARKET
    assert Venue("KALSHI") is Venue.KALSHI
    assert TimeInForce("IOC") is TimeInForce.FAK is TimeInForce.IOC
    assert TimeInForce("gtd") is TimeInForce.GTD
    assert Side("BUY") is Side.BUY and Outcome("No") is Outcome.NO


def test_unknown_venue_names_the_known_ones() -> None:
    with pytest.raises(
        UnknownVenue, match="unknown venue 'binance'; known venues: polymarket, kalshi"
    ):
        Venue("binance")
    with pytest.raises(UnknownVenue):
        market(venue="binance")


def test_market_normalises_and_freezes(orders_core: ModuleType) -> None:
    m = market(orders_core.Market, venue="Kalshi")
    assert m.venue is Venue.KALSHI
    assert m == market(orders_core.Market, venue=Venue.KALSHI)
    assert hash(m) == hash(market(orders_core.Market, venue=Venue.KALSHI))
    with pytest.raises(AttributeError):  # FrozenInstanceError in the twin, a subclass
        m.tick_size = 1  # type: ignore[misc]
    moved = dataclasses.replace(m, tick_size=to_units("0.001"))
    assert (moved.tick_size, moved.venue, type(moved)) == (1_000, Venue.KALSHI, type(m))
    with pytest.raises(InvalidValue, match="tick_size"):
        dataclasses.replace(m, tick_size=3_000)  # replace checks the new fields too
    assert repr(m) == repr(market(_core.load("orders", compiled=False).Market, venue="Kalshi"))


@pytest.mark.parametrize(
    ("overrides", "error", "words"),
    [
        ({"tick_size": 0}, InvalidValue, "tick_size must be positive"),
        ({"tick_size": 3_000}, InvalidValue, "must divide 1"),
        ({"tick_size": SCALE // 2}, InvalidValue, "below 0.5"),
        ({"tick_size": 0.01}, FloatRefused, "tick_size=0.01 is a float"),
        ({"min_size": -1}, InvalidValue, "min_size must be positive"),
        ({"market_id": " "}, InvalidValue, "market_id"),
    ],
)
def test_bad_markets(
    orders_core: ModuleType, overrides: dict[str, Any], error: type, words: str
) -> None:
    with pytest.raises(error, match=words):
        market(orders_core.Market, **overrides)


@pytest.mark.parametrize("tick", ["0.1", "0.01", "0.005", "0.0025", "0.001", "0.0001"])
def test_polymarket_ticks_are_accepted(tick: str) -> None:
    m = market(tick_size=to_units(tick))
    assert m.check_price(m.tick_size) == m.tick_size
    assert m.check_price(SCALE - m.tick_size) == SCALE - m.tick_size


@pytest.mark.parametrize(
    ("price", "words"),
    [
        (575_000, "not a multiple of the tick 0.01"),
        (0, r"outside \(0.01, 0.99\)"),
        (SCALE, "outside"),
        (-10_000, "outside"),
    ],
)
def test_prices_off_the_tick_or_out_of_bounds(
    orders_core: ModuleType, price: int, words: str
) -> None:
    with pytest.raises(InvalidValue, match=words):
        intent(orders_core.Intent, price=price)


@pytest.mark.parametrize(
    ("overrides", "error", "words"),
    [
        ({"size": 0}, InvalidValue, "size must be positive"),
        ({"size": -5}, InvalidValue, "size must be positive"),
        ({"intent_id": 0}, InvalidValue, "intent_id must be positive"),
        ({"price": 0.57}, FloatRefused, "price=0.57 is a float"),
        ({"side": "hold"}, ValueError, "hold"),
        ({"time_in_force": "GTD"}, InvalidValue, "expires_at is required"),
        ({"expires_at": 10}, InvalidValue, "expires_at is required for GTD orders and only"),
        ({"post_only": True, "time_in_force": "FOK"}, InvalidValue, "post_only needs GTC or GTD"),
    ],
)
def test_bad_intents(
    orders_core: ModuleType, overrides: dict[str, Any], error: type, words: str
) -> None:
    with pytest.raises(error, match=words):
        intent(orders_core.Intent, **overrides)


def test_an_intent_needs_a_market(orders_core: ModuleType) -> None:
    # Compiled, the field's own type check refuses it first: "Cannot convert str to ...Market".
    with pytest.raises(TypeError, match="Market"):
        intent(orders_core.Intent, market="btc-100k")


def test_good_intents(orders_core: ModuleType) -> None:
    gtd = intent(orders_core.Intent, time_in_force="GTD", expires_at=60_000_000_000, post_only=True)
    assert gtd.time_in_force is TimeInForce.GTD and gtd.side is Side.BUY
    assert gtd.outcome is Outcome.YES and gtd.expires_at == 60_000_000_000
    assert intent(orders_core.Intent, time_in_force="ioc").time_in_force is TimeInForce.FAK


def test_intents_are_frozen_values(orders_core: ModuleType) -> None:
    first, same = intent(orders_core.Intent), intent(orders_core.Intent, side=Side.BUY)
    assert first == same and hash(first) == hash(same)
    assert first != intent(orders_core.Intent, size=5 * SCALE)
    with pytest.raises(AttributeError):  # FrozenInstanceError in the twin, a subclass
        first.size = 1  # type: ignore[misc]
    assert first.size == 100 * SCALE


def test_unchecked_intents_are_built_as_given(orders_core: ModuleType) -> None:
    fields: dict[str, Any] = dict(
        intent_id=4,
        market=market(),
        side=Side.SELL,
        outcome=Outcome.NO,
        price=570_000,
        size=5 * SCALE,
        time_in_force=TimeInForce.GTD,
        expires_at=9,
        post_only=True,
        group_id=2,
        max_cost=None,
    )
    built = orders_core.Intent.unchecked(**fields)
    assert type(built) is orders_core.Intent
    assert built == orders_core.Intent(**fields)
    assert orders_core.Intent.unchecked(*fields.values()) == built
    # Nothing is checked: a price off the market's tick, and a negative size, pass.
    forged = orders_core.Intent.unchecked(**(fields | {"price": 570_001, "size": -1}))
    assert (forged.price, forged.size, forged.expires_at) == (570_001, -1, 9)
    with pytest.raises(InvalidValue):
        dataclasses.replace(forged)  # a copy made the usual way is checked


def packed(*rows: dict[str, Any]) -> bytes:
    """Rows of PACKED_INTENT with the given fields (the others 0)."""
    from polyedge._core.orders_py import PACKED_INTENT

    array = np.zeros(len(rows), PACKED_INTENT)
    for row, fields in zip(array, rows, strict=True):
        for name, value in fields.items():
            row[name] = value
    return array.tobytes()


def test_packed_intents_unpack_as_given_on_the_markets_named(orders_core: ModuleType) -> None:
    markets = (market(orders_core.Market), market(orders_core.Market, market_id="eth"))
    rows = [
        dict(
            time=12,
            intent_id=3,
            market=1,
            side=1,
            outcome=1,
            price=420_000,
            size=5 * SCALE,
            time_in_force=1,
            expires_at=9_000,
            post_only=1,
            group_id=0,
            max_cost=-1,
        ),
        dict(time=13, kind=7, intent_id=99, size=6, other=5),  # the packer's own row
        dict(
            intent_id=4,
            market=0,
            price=10_000,
            size=SCALE,
            time_in_force=3,
            expires_at=-1,
            group_id=8,
            max_cost=2 * SCALE,
        ),
    ]
    (time, first), other, (_, last) = orders_core.unpack_intents(packed(*rows), markets)
    assert time == 12
    assert other == (13, 7, 99, 6, 5)  # time, kind, intent_id, size, other
    assert type(first) is orders_core.Intent and first.market is markets[1]
    assert first == orders_core.Intent.unchecked(
        3, markets[1], Side.SELL, Outcome.NO, 420_000, 5 * SCALE, TimeInForce.GTD, 9_000, True
    )
    assert last == orders_core.Intent.unchecked(
        4,
        markets[0],
        Side.BUY,
        Outcome.YES,
        10_000,
        SCALE,
        TimeInForce.FAK,
        None,
        False,
        8,
        2 * SCALE,
    )
    assert orders_core.unpack_intents(b"", markets) == []


def test_a_batch_of_many_prices_and_sizes_unpacks_each_exactly(orders_core: ModuleType) -> None:
    # More values than the compiled unpacker's table shares ints for, repeating: values
    # that land on one slot, and values seen again after another took their slot.
    markets = (market(orders_core.Market),)
    values = [(SCALE - 1 - 7_919 * k % SCALE, (k * k % 4_099 + 1) * CENT) for k in range(3_000)]
    rows = [dict(intent_id=i, price=p, size=s) for i, (p, s) in enumerate(values * 2)]
    unpacked = orders_core.unpack_intents(packed(*rows), markets)
    assert [(intent.price, intent.size) for _, intent in unpacked] == values * 2


@pytest.mark.parametrize(
    ("row", "error", "message"),
    [
        (dict(market=2), InvalidValue, "names market 2: no such one"),
        (dict(side=2), InvalidValue, "packed intent 1 has an enum out of range"),
        (dict(time_in_force=9), InvalidValue, "packed intent 1 has an enum out of range"),
    ],
)
def test_a_packed_intent_out_of_range_is_refused(
    orders_core: ModuleType, row: dict[str, int], error: type[Exception], message: str
) -> None:
    markets = (market(orders_core.Market), market(orders_core.Market, market_id="eth"))
    with pytest.raises(error, match=message):
        orders_core.unpack_intents(packed(dict(intent_id=1) | row), markets)


def test_packed_intents_are_whole_rows(orders_core: ModuleType) -> None:
    with pytest.raises(ValueError, match="not a whole number of packed intents"):
        orders_core.unpack_intents(packed(dict(intent_id=1))[:-1], (market(orders_core.Market),))


def test_intents_replace_and_read_alike_in_both_cores(orders_core: ModuleType) -> None:
    built = intent(orders_core.Intent)
    assert dataclasses.replace(built, group_id=7).group_id == 7
    with pytest.raises(InvalidValue, match="max_cost is for BUY orders"):
        dataclasses.replace(built, max_cost=SCALE)  # replace checks the new fields too
    assert [f.name for f in dataclasses.fields(built)] == [
        f.name for f in dataclasses.fields(Intent)
    ]
    assert repr(built) == repr(intent(_core.load("orders", compiled=False).Intent))


@pytest.mark.parametrize(
    ("profile", "contracts", "price", "fee"),
    [
        # ../shared/venue-rules.md worked examples
        (POLYMARKET_CRYPTO, 100, "0.50", "1.75"),
        (KALSHI, 100, "0.45", "1.74"),  # 1.7325 rounded up to the cent
        (KALSHI, 100, "0.50", "1.75"),
        (KALSHI, 1, "0.50", "0.02"),  # 0.0175 rounded up to the cent
        (POLYMARKET_CRYPTO, 1, "0.01", "0.00069"),  # 0.000693 to 5 decimals
        (FeeProfile(taker_rate=to_units("0.07"), exponent=2), 100, "0.50", "0.4375"),
        (FeeProfile(), 100, "0.50", "0"),
    ],
)
def test_taker_fees(
    orders_core: ModuleType, profile: FeeProfile, contracts: int, price: str, fee: str
) -> None:
    same = orders_core.FeeProfile(
        **{f.name: getattr(profile, f.name) for f in dataclasses.fields(profile)}
    )
    assert same.fee(contracts * SCALE, to_units(price), Liquidity.TAKER) == to_units(fee)


def test_makers_pay_their_own_rate(orders_core: ModuleType) -> None:
    profile = orders_core.FeeProfile(
        taker_rate=to_units("0.07"),
        maker_rate=to_units("0.0175"),
        quantum=CENT,
        rounding=Rounding.CEIL,
    )
    assert profile.fee(100 * SCALE, to_units("0.50"), Liquidity.MAKER) == to_units("0.44")
    assert POLYMARKET_CRYPTO.fee(100 * SCALE, to_units("0.50"), Liquidity.MAKER) == 0


def test_cross_venue_arbitrage_worked_example() -> None:
    # Polymarket YES at 0.50 plus Kalshi NO at 0.45, 100 contracts: $98.49, locking $1.51.
    size = 100 * SCALE
    yes, no = to_units("0.50"), to_units("0.45")
    cost = (size * yes + size * no) // SCALE
    cost += POLYMARKET_CRYPTO.fee(size, yes, Liquidity.TAKER) + KALSHI.fee(
        size, no, Liquidity.TAKER
    )
    assert cost == to_units("98.49")
    assert size - cost == to_units("1.51")


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"exponent": 3}, "exponent"),
        ({"taker_rate": -1}, "taker_rate"),
        ({"quantum": 0}, "quantum"),
    ],
)
def test_bad_fee_profiles(orders_core: ModuleType, overrides: dict[str, Any], words: str) -> None:
    with pytest.raises(InvalidValue, match=words):
        orders_core.FeeProfile(**overrides)


def test_order_fills_partially_then_completely(orders_core: ModuleType) -> None:
    order = orders_core.Order(order_id=9, intent=intent(orders_core.Intent, size=10 * SCALE))
    order.apply(OrderEvent.SUBMIT)
    assert order.fill(4 * SCALE) is OrderState.PARTIAL_FILL
    assert order.remaining == 6 * SCALE and not order.is_terminal
    with pytest.raises(InvalidValue, match="exceeds the 6 remaining on order 9"):
        order.fill(7 * SCALE)
    assert order.fill(6 * SCALE) is OrderState.FILLED
    assert order.is_terminal and order.filled == 10 * SCALE


@pytest.mark.parametrize(
    ("size", "error", "words"),
    [
        (0, InvalidValue, "size must be positive, got 0"),
        (-SCALE, InvalidValue, "size must be positive, got -1"),
        (1.5, FloatRefused, "size=1.5 is a float"),
        (True, TypeError, "not bool"),
        (2**63, OverflowError, "outside the signed 64-bit range"),
    ],
)
def test_a_fill_of_a_size_that_is_not_positive_units_is_refused(
    orders_core: ModuleType, size: object, error: type[Exception], words: str
) -> None:
    order = orders_core.Order(order_id=5, intent=intent(orders_core.Intent))
    order.apply(OrderEvent.SUBMIT)
    with pytest.raises(error, match=words):
        order.fill(size)
    assert order.state is OrderState.SUBMITTED and order.filled == 0


def test_a_routed_order_is_pending_under_its_intent_id(orders_core: ModuleType) -> None:
    built = intent(orders_core.Intent, intent_id=9)
    order = orders_core.routed_order(built, 4, 1_000)
    assert order == orders_core.Order(9, built, 4, 1_000)
    assert (order.order_id, order.lane_seq, order.sent_at, order.state) == (
        9,
        4,
        1_000,
        OrderState.PENDING,
    )
    assert (order.filled, order.cancel_sent_at, order.answers, order.last_trade) == (0, 0, 0, 0)


def test_refused_event_leaves_the_order_unchanged(orders_core: ModuleType) -> None:
    order = orders_core.Order(order_id=3, intent=intent(orders_core.Intent))
    with pytest.raises(IllegalTransition, match="order 3: PENDING does not accept PARTIAL_FILL"):
        order.fill(SCALE)
    assert order.state is OrderState.PENDING and order.filled == 0


@pytest.mark.parametrize(
    ("filled_before", "filled_during", "restored"),
    [
        (0, 0, OrderState.SUBMITTED),
        (SCALE, 0, OrderState.PARTIAL_FILL),
        (0, SCALE, OrderState.PARTIAL_FILL),  # a late partial fill while the cancel was pending
    ],
)
def test_refused_cancel_restores_the_working_state(
    orders_core: ModuleType, filled_before: int, filled_during: int, restored: OrderState
) -> None:
    order = orders_core.Order(order_id=4, intent=intent(orders_core.Intent))
    order.apply(OrderEvent.SUBMIT)
    if filled_before:
        order.fill(filled_before)
    order.apply(OrderEvent.CANCEL_REQUEST)
    if filled_during:
        assert order.fill(filled_during) is OrderState.PENDING_CANCEL
    assert order.apply(OrderEvent.CANCEL_REJECT) is restored


def test_every_error_is_a_polyedge_error() -> None:
    classes = [
        obj
        for obj in vars(errors).values()
        if isinstance(obj, type) and issubclass(obj, BaseException)
    ]
    assert len(classes) > 5
    assert all(issubclass(cls, errors.PolyedgeError) for cls in classes)


def test_a_cancel_checks_its_ids_and_freezes(orders_core: ModuleType) -> None:
    cancel = orders_core.Cancel(intent_id=2, target=1)
    assert (cancel.intent_id, cancel.target) == (2, 1)
    assert cancel == orders_core.Cancel(2, 1) and hash(cancel) == hash(orders_core.Cancel(2, 1))
    assert cancel != orders_core.Cancel(2, 3)
    with pytest.raises(AttributeError):  # FrozenInstanceError in the twin, a subclass
        cancel.target = 5
    with pytest.raises(InvalidValue, match="target must be positive"):
        orders_core.Cancel(2, 0)
    with pytest.raises(FloatRefused):
        orders_core.Cancel(2.0, 1)
    assert repr(cancel) == repr(_core.load("orders", compiled=False).Cancel(2, 1))
