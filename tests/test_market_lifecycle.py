"""Market lifecycle: closing, resolution and settlement, tick changes, GTD expiry thresholds,
and venue rules overridden from a configuration file.

The small world (one venue simulator, its executor, tracker, log and metrics; frozen prices;
constant latencies) is the one of tests/test_venue_faults.py. Settlements are checked
through the whole engine, from a hand-written source of intents, against figures worked
out by hand from ../shared/venue-rules.md.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from venue_world import (
    ACK,
    BUY,
    CANCEL,
    DEEP,
    FILL,
    GTC,
    GTD,
    MS,
    NO,
    QUIET,
    SELL,
    YES,
    E,
    S,
    St,
    World,
    assert_no_illegal,
    constant_latency,
    u,
)

from polyedge.config import (
    ConfigError,
    IntentMix,
    MarketConfig,
    ResponseModel,
    TestConfig,
    VenueConfig,
    VenueRules,
)
from polyedge.engine import DryTestingEngine
from polyedge.fixedpoint import SCALE
from polyedge.metrics import RunResult, Settlement
from polyedge.types import Intent, Outcome, Venue
from polyedge.venues.profiles import DEFAULT_RULES, Rule

# --- a market closing -----------------------------------------------------------------------


def test_close_cancels_resting_orders_and_rejects_new_ones(venue: Venue) -> None:
    world = World(venue, market={"close_at_s": 1.0, "depth": "2"})
    resting = world.send(world.intent(BUY, YES, "0.45", "10"))
    partial = world.send(world.intent(BUY, YES, "0.52", "1000"))  # part taken, the rest rests
    gtd_at = world.market.gtd_threshold + 10 * S  # would expire at 10 s
    gtd = world.send(world.intent(BUY, YES, "0.45", "10", GTD, expires_at=gtd_at))
    cancelling = world.send(world.intent(BUY, YES, "0.45", "10"))
    world.cancel(cancelling, at=S - MS)  # reaches the venue at 1.001 s, after the close
    last_in = world.send(world.intent(BUY, YES, "0.45", "10"), at=S - ACK - 1)
    too_late = world.send(world.intent(BUY, YES, "0.45", "10"), at=S)
    marketable = world.send(world.intent(BUY, YES, "0.55", "10"), at=2 * S)
    world.run()

    closed = world.codes[Rule.MARKET_CLOSED]
    assert closed == {"polymarket": "HTTP_503_TRADING_DISABLED", "kalshi": "market_closed"}[venue]
    for order in (resting, partial, gtd, last_in):
        events = world.events(order)
        cancel = events[-1]
        assert (cancel.event, cancel.after, cancel.time) == (
            E.VENUE_CANCEL,
            St.CANCELLED,
            S + CANCEL,
        )
        assert E.EXPIRE not in [ev.event for ev in events]
        assert order.state is St.CANCELLED
    assert [ev.event for ev in world.events(resting)] == [E.SUBMIT, E.ACK, E.VENUE_CANCEL]
    assert [ev.event for ev in world.events(partial)] == [
        E.SUBMIT,
        E.ACK,
        E.PARTIAL_FILL,
        E.VENUE_CANCEL,
    ]
    assert world.events(partial)[-1].before is St.PARTIAL_FILL
    assert 0 < partial.filled < u("1000")  # the fill it had is kept
    # The cancel in flight at the close finds nothing: the venue's cancel settles it.
    assert world.timeline(cancelling)[-2:] == [
        (E.CANCEL_REQUEST, St.PENDING_CANCEL, S - MS),
        (E.VENUE_CANCEL, St.CANCELLED, S + CANCEL),
    ]
    for order in (too_late, marketable):
        answer = world.events(order)[-1]
        assert (answer.event, answer.after, answer.reason) == (E.REJECT, St.REJECTED, closed)
        assert answer.time == order.sent_at + ACK
        assert order.filled == 0
    assert world.metrics.rejects == {venue: Counter({closed: 2})}
    assert world.tracker.ended() == Counter({"CANCELLED": 5, "REJECTED": 2})
    assert world.tracker.in_flight == {}
    assert world.resolutions == {}  # no resolution configured
    assert_no_illegal(world)


@pytest.mark.parametrize("liquidity", ["touch", "book"])
def test_nothing_fills_after_the_close(venue: Venue, liquidity: str) -> None:
    responses = ResponseModel(
        reject_rate=0.0, resting_fill_rate=1.0, partial_fill_rate=0.5, resting_fill_mean_s=1.0
    )
    world = World(
        venue,
        market={"close_at_s": 0.5, "liquidity": liquidity, "depth": "50"},
        responses=responses,
    )
    orders = [world.send(world.intent(BUY, YES, "0.49", "10"), at=i * 10 * MS) for i in range(30)]
    world.run()
    assert_no_illegal(world)
    states = Counter(order.state for order in orders)
    assert states[St.CANCELLED] > 0
    assert set(states) <= {St.FILLED, St.CANCELLED}
    for order in orders:
        events = world.events(order)
        fills = [ev for ev in events if ev.event in (E.FILL, E.PARTIAL_FILL)]
        assert all(ev.time < S // 2 + FILL for ev in fills), order.order_id
        if order.state is St.CANCELLED:
            assert events[-1].event is E.VENUE_CANCEL


# --- resolution and settlement --------------------------------------------------------------

# Frozen at fair 0.39, spread 0.02: YES 0.38 / 0.40, NO 0.60 / 0.62.
# Taker fees: Polymarket 10 * 0.07 * 0.40 * 0.60 = 0.168, 5 * 0.07 * 0.62 * 0.38 = 0.08246;
# Kalshi ceil(16.8 cents) = 0.17, ceil(8.246 cents) = 0.09.
FEES = {
    Venue.POLYMARKET: {"yes": "0.168", "no": "0.08246"},
    Venue.KALSHI: {"yes": "0.17", "no": "0.09"},
}


def settlement_run(
    venue: Venue, resolution: str | None, legs: str, seed: int = 0
) -> tuple[Settlement, RunResult]:
    market_config = MarketConfig.model_validate(
        {
            "venue": venue,
            "market_id": "m",
            "fair_price": "0.39",
            "spread": "0.02",
            "volatility": "0",
            "depth": DEEP,
            "liquidity": "touch",
            "close_at_s": 1.0 if resolution else None,
            "resolution": resolution,
        }
    )
    config = TestConfig(
        markets=[market_config],
        venues=[VenueConfig(venue=venue, latency=constant_latency(), responses=QUIET)],
        mix=IntentMix(arbitrage=0),
        intents=1,
        seed=seed,
    )
    market = config.build_markets()["m"]
    intents: list[Any] = [(0, Intent(1, market, BUY, YES, u("0.40"), u("10")))]
    if legs == "hedged":
        intents.append((100 * MS, Intent(2, market, BUY, NO, u("0.62"), u("5"))))
    result = asyncio.run(DryTestingEngine(config, source=[intents]).run())
    assert result.illegal_transitions == 0
    assert result.orders_by_state == {"FILLED": len(intents)}
    (settlement,) = result.settlements
    return settlement, result


@pytest.mark.parametrize(
    ("legs", "resolution", "payout", "before_fees"),
    [
        # buy 10 YES at 0.40: cash -4
        ("yes", "yes", "10", "6"),
        ("yes", "no", "0", "-4"),
        ("yes", "void", "4", "0"),  # positions returned at cost
        # and 5 NO at 0.62: cash -4 - 3.10 = -7.10
        ("hedged", "yes", "10", "2.90"),
        ("hedged", "no", "5", "-2.10"),
        ("hedged", "void", "7.10", "0"),
    ],
)
def test_settlement_of_a_resolved_market(
    venue: Venue, legs: str, resolution: str, payout: str, before_fees: str
) -> None:
    settlement, _ = settlement_run(venue, resolution, legs)
    fees = u(FEES[venue]["yes"]) + (u(FEES[venue]["no"]) if legs == "hedged" else 0)
    hedged = legs == "hedged"
    assert settlement == Settlement(
        market_id="m",
        resolution=resolution,
        yes=u("10"),
        no=u("5") if hedged else 0,
        cash=-u("7.10") if hedged else -u("4"),
        fees=fees,
        payout=u(payout),
        pnl=u(before_fees) - fees,
    )


def test_an_unresolved_market_has_no_payout(venue: Venue) -> None:
    settlement, _ = settlement_run(venue, None, "yes")
    assert (settlement.resolution, settlement.payout, settlement.pnl) == (None, None, None)
    assert (settlement.yes, settlement.cash) == (u("10"), -u("4"))


def fair_winner(venue: Venue, seed: int, fair: str) -> Outcome | None:
    world = World(
        venue,
        market={"fair_price": fair, "close_at_s": 0.5, "resolution": "fair"},
        seed=seed,
    )
    world.run()
    (winner,) = world.resolutions.values()
    return winner


def test_fair_resolution_is_deterministic_per_seed_and_follows_the_odds(venue: Venue) -> None:
    seeds = range(40)
    even = [fair_winner(venue, seed, "0.50") for seed in seeds]
    assert even == [fair_winner(venue, seed, "0.50") for seed in seeds]  # same seed, same winner
    assert set(even) == {Outcome.YES, Outcome.NO}  # never void; both happen at even odds
    likely = Counter(fair_winner(venue, seed, "0.90") for seed in seeds)
    unlikely = Counter(fair_winner(venue, seed, "0.10") for seed in seeds)
    assert likely[Outcome.YES] >= 30 and unlikely[Outcome.YES] <= 10  # expected 36 and 4


def test_fair_resolution_in_an_engine_run_is_deterministic(venue: Venue) -> None:
    outcomes = {seed: settlement_run(venue, "fair", "yes", seed)[0] for seed in range(12)}
    assert {s.resolution for s in outcomes.values()} == {"yes", "no"}  # fair 0.39: both
    for seed in (0, 1, 2):
        again, _ = settlement_run(venue, "fair", "yes", seed)
        assert again == outcomes[seed]


# --- tick changes ---------------------------------------------------------------------------


def test_coarser_tick_rejects_prices_only_on_the_old_tick_after_the_change(venue: Venue) -> None:
    world = World(
        venue, market={"tick_size": "0.001", "tick_changes": [{"at_s": 1.0, "tick_size": "0.01"}]}
    )
    before = world.send(world.intent(BUY, YES, "0.455", "10"), at=S - ACK - 1)  # in at 1 s - 1 ns
    after = world.send(world.intent(BUY, YES, "0.455", "10"), at=S)
    on_both = world.send(world.intent(BUY, YES, "0.45", "10"), at=S)
    world.run()
    tick_code = world.codes[Rule.TICK]
    if venue is Venue.POLYMARKET:
        assert tick_code == "INVALID_ORDER_MIN_TICK_SIZE"
    assert [ev.event for ev in world.events(before)] == [E.SUBMIT, E.ACK]
    assert [ev.event for ev in world.events(on_both)] == [E.SUBMIT, E.ACK]
    answer = world.events(after)[-1]
    assert (answer.event, answer.reason, answer.time) == (E.REJECT, tick_code, S + ACK)
    assert world.metrics.rejects == {venue: Counter({tick_code: 1})}
    assert_no_illegal(world)


def test_finer_tick_accepts_prices_on_the_new_tick_after_the_change(venue: Venue) -> None:
    world = World(venue, market={"tick_changes": [{"at_s": 1.0, "tick_size": "0.001"}]})
    assert world.market.tick_size == u("0.01")
    client = dataclasses.replace(world.market, tick_size=u("0.001"))  # the client's fresh view
    before = world.send(world.intent(BUY, YES, "0.455", "10", market=client))
    after = world.send(world.intent(BUY, YES, "0.455", "10", market=client), at=S)
    world.run()
    answer = world.events(before)[-1]
    assert (answer.event, answer.reason) == (E.REJECT, world.codes[Rule.TICK])
    assert [ev.event for ev in world.events(after)] == [E.SUBMIT, E.ACK]
    assert_no_illegal(world)


@pytest.mark.parametrize(
    "liquidity",
    [
        "touch",
        "book",
    ],
)
def test_fills_after_a_tick_change_are_on_the_new_tick(venue: Venue, liquidity: str) -> None:
    # Fair 0.455 with a one-tick spread on 0.001 ticks: YES 0.454 / 0.456 before the change.
    world = World(
        venue,
        market={
            "tick_size": "0.001",
            "fair_price": "0.455",
            "spread": "0.002",
            "liquidity": liquidity,
            "tick_changes": [{"at_s": 1.0, "tick_size": "0.01"}],
        },
    )
    buy = world.send(world.intent(BUY, YES, "0.48", "10"), at=2 * S)
    sell = world.send(world.intent(SELL, YES, "0.42", "10"), at=2 * S)
    world.run()
    tick = u("0.01")
    for order in (buy, sell):
        fills = [ev for ev in world.events(order) if ev.event in (E.FILL, E.PARTIAL_FILL)]
        assert fills, order.order_id
        assert all(ev.price % tick == 0 for ev in fills), [ev.price for ev in fills]
    assert_no_illegal(world)


# --- GTD expiry and the venue's threshold ---------------------------------------------------


def test_gtd_expiry_inside_the_venues_threshold_is_rejected(venue: Venue) -> None:
    world = World(venue, latency=constant_latency(1_000, 1_000, 1_000))
    threshold = VenueRules.default(venue).gtd_threshold_s * S
    assert world.market.gtd_threshold == threshold == {"polymarket": 60, "kalshi": 0}[venue] * S
    # The order reaches the venue at ACK: an expiry at or before ACK + threshold is too soon.
    at_the_edge = world.send(world.intent(BUY, YES, "0.45", "10", GTD, expires_at=ACK + threshold))
    past = world.send(world.intent(BUY, YES, "0.45", "10", GTD, expires_at=threshold // 2 + 1))
    just_enough = world.send(
        world.intent(BUY, YES, "0.45", "10", GTD, expires_at=ACK + threshold + 1)
    )
    world.run()
    code = world.codes[Rule.EXPIRATION]
    if venue is Venue.POLYMARKET:
        assert code == "INVALID_ORDER_EXPIRATION"
    for order in (at_the_edge, past):
        answer = world.events(order)[-1]
        assert (answer.event, answer.reason, answer.time) == (E.REJECT, code, ACK)
    assert [ev.event for ev in world.events(just_enough)] == [E.SUBMIT, E.ACK, E.EXPIRE]
    assert world.metrics.rejects == {venue: Counter({code: 2})}
    assert_no_illegal(world)


def test_accepted_gtd_expires_the_threshold_before_its_expiry(venue: Venue) -> None:
    # One latency for every message, so the expiry message's time is exact either way.
    world = World(venue, latency=constant_latency(1_000, 1_000, 1_000))
    threshold = world.market.gtd_threshold
    expires_at = threshold + 5 * S
    order = world.send(world.intent(BUY, YES, "0.45", "10", GTD, expires_at=expires_at))
    world.run()
    # Polymarket: an expiry of 65 s lives until 5 s (the venue keeps 60 s in hand); the
    # message saying so arrives one latency later.
    assert world.timeline(order) == [
        (E.SUBMIT, St.SUBMITTED, 0),
        (E.ACK, St.SUBMITTED, ACK),
        (E.EXPIRE, St.EXPIRED, expires_at - threshold + ACK),
    ]
    assert_no_illegal(world)


# --- venue rules from a configuration file --------------------------------------------------

KALSHI_TOML = """
[mix]
arbitrage = 0

[[markets]]
venue = "kalshi"
market_id = "K1"

[[markets]]
venue = "polymarket"
market_id = "P1"

[[venues]]
venue = "kalshi"

[venues.rules]
{rules}
"""


def load(tmp_path: Path, rules: str) -> TestConfig:
    path = tmp_path / "rules.toml"
    path.write_text(KALSHI_TOML.format(rules=rules))
    return TestConfig.load(path, intents=10)


def test_venue_rules_override_from_toml_keeps_every_other_default(tmp_path: Path) -> None:
    config = load(tmp_path, 'min_size = 3\ncodes = { tick = "my_code" }')
    rules = config.venue_configs()[Venue.KALSHI].rules
    default = VenueRules.default(Venue.KALSHI)
    assert rules.min_size == 3 * SCALE
    assert rules.codes[Rule.TICK] == "my_code"
    assert {rule: code for rule, code in rules.codes.items() if rule is not Rule.TICK} == {
        rule: code for rule, code in default.codes.items() if rule is not Rule.TICK
    }
    assert set(rules.codes) == set(Rule)
    others = rules.model_dump(exclude={"min_size", "codes"})
    assert others == default.model_dump(exclude={"min_size", "codes"})
    # Only the venue named: Polymarket keeps all of its own rules.
    assert config.venue_configs()[Venue.POLYMARKET].rules == VenueRules.default(Venue.POLYMARKET)
    assert config.build_markets()["K1"].min_size == 3 * SCALE
    assert config.build_markets()["P1"].min_size == u("5")

    # The simulated venue answers with the configured rules and codes.
    world = World(Venue.KALSHI, rules=rules)
    assert world.market.min_size == 3 * SCALE
    client = dataclasses.replace(world.market, tick_size=u("0.001"))
    off_tick = world.send(world.intent(BUY, YES, "0.455", "3", market=client))
    too_small = world.send(world.intent(BUY, YES, "0.45", "2"))
    enough = world.send(world.intent(BUY, YES, "0.45", "3"))
    world.run()
    assert world.events(off_tick)[-1].reason == "my_code"
    assert world.events(too_small)[-1].reason == default.codes[Rule.MIN_SIZE]
    assert [ev.event for ev in world.events(enough)] == [E.SUBMIT, E.ACK]
    assert world.metrics.rejects == {
        Venue.KALSHI: Counter({"my_code": 1, default.codes[Rule.MIN_SIZE]: 1})
    }


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        ("codes = { tick = 5 }", "venues.0.rules.codes.tick"),
        ('codes = { Tick = "x" }', "venues.0.rules.codes.Tick"),  # no such rule
        ('codes = { tick = "" }', "venues.0.rules.codes.tick"),
        ('codes = "oops"', "venues.0.rules.codes"),
        ('self_trade_prevention = "both"', "venues.0.rules.self_trade_prevention"),
    ],
)
def test_a_bad_rule_code_override_is_a_config_error_naming_the_field(
    tmp_path: Path, rules: str, field: str
) -> None:
    with pytest.raises(ConfigError) as error:
        load(tmp_path, rules)
    assert field in str(error.value)
    assert str(tmp_path / "rules.toml") in str(error.value)


def test_venue_rules_missing_a_code_name_it() -> None:
    given: dict[str, Any] = {**DEFAULT_RULES[Venue.KALSHI]}
    given["codes"] = {rule: code for rule, code in given["codes"].items() if rule is not Rule.TICK}
    with pytest.raises(ValidationError, match="no reject code for tick"):
        VenueRules.model_validate(given)


def test_gtc_on_a_market_closing_later_is_not_affected_before_the_close(venue: Venue) -> None:
    # A market with a close scheduled trades normally until then.
    world = World(venue, market={"close_at_s": 10.0})
    order = world.send(world.intent(BUY, YES, "0.55", "10", GTC))
    world.run()
    assert world.timeline(order) == [
        (E.SUBMIT, St.SUBMITTED, 0),
        (E.ACK, St.SUBMITTED, ACK),
        (E.FILL, St.FILLED, ACK + FILL),
    ]
