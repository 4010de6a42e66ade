"""The seeded intent generator: determinism, batching, arrivals, the mix, validity, pairs.

Runs are kept under ten simulated seconds, so what is checked here is the generator's
draws themselves (no order in these runs is old enough to be refreshed by a cancel).
"""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter
from typing import Any

import numpy as np
import pytest

from polyedge._core.orders_py import checked
from polyedge.config import ArbitrageConfig, IntentMix, MarketConfig, TestConfig
from polyedge.fixedpoint import SCALE, to_units
from polyedge.intents import IntentGenerator, Timed
from polyedge.types import (
    ArbitrageGroup,
    Cancel,
    Intent,
    Liquidity,
    Outcome,
    Side,
    TimeInForce,
    Venue,
)

S = 1_000_000_000
KIND_NAMES = ("gtc", "gtd", "fok", "fak", "cancel", "arbitrage")


def u(amount: str) -> int:
    return to_units(amount)


def config(**overrides: Any) -> TestConfig:
    settings: dict[str, Any] = {"intents": 10_000, "seed": 11, "batch_size": 512}
    settings.update(overrides)
    return TestConfig(**settings)


def generate(cfg: TestConfig) -> list[list[Timed]]:
    markets = {mc.market_id: mc.market() for mc in cfg.markets}
    return list(IntentGenerator(cfg, markets).batches())


def flat(batches: list[list[Timed]]) -> list[Timed]:
    """Every intent, an arbitrage group's legs one after the other at the group's time."""
    return [
        (time, leg)
        for batch in batches
        for time, item in batch
        for leg in (item.legs if isinstance(item, ArbitrageGroup) else (item,))
    ]


def edge_markets() -> list[MarketConfig]:
    """Frozen twins with a lasting edge: YES 0.41 here plus NO 0.46 there costs 0.87."""
    return [
        MarketConfig(
            venue=Venue.POLYMARKET, market_id="pm", twin="ks", fair_price="0.40", volatility="0"
        ),
        MarketConfig(
            venue=Venue.KALSHI, market_id="ks", twin="pm", fair_price="0.55", volatility="0"
        ),
    ]


def canonical(timed: Timed) -> tuple[Any, ...]:
    """Every field of an item, as plain values."""
    time, item = timed
    if isinstance(item, Cancel):
        return (time, "cancel", item.intent_id, item.target)
    market = item.market
    return (
        time,
        "orders",
        item.intent_id,
        market.venue.value,
        market.market_id,
        market.tick_size,
        market.min_size,
        item.side.value,
        item.outcome.value,
        item.price,
        item.size,
        item.time_in_force.value,
        item.expires_at,
        item.post_only,
        item.group_id,
    )


def kind_of(item: Intent | Cancel) -> str:
    if isinstance(item, Cancel):
        return "cancel"
    if item.group_id:
        return "arbitrage"
    return item.time_in_force.value.lower()


def frozen_markets(fair: str = "0.40", spread: str = "0.02") -> list[MarketConfig]:
    """A twin pair whose prices never move: YES quoted fair -/+ spread / 2."""
    common = {"fair_price": fair, "spread": spread, "volatility": "0"}
    return [
        MarketConfig(venue=Venue.POLYMARKET, market_id="pm", twin="ks", **common),
        MarketConfig(venue=Venue.KALSHI, market_id="ks", twin="pm", **common),
    ]


# --- determinism ---------------------------------------------------------------------------


def test_same_config_and_seed_give_the_same_batches() -> None:
    cfg = config()
    first = generate(cfg)
    again = generate(config())
    assert [len(batch) for batch in again] == [len(batch) for batch in first]
    assert [canonical(item) for item in flat(again)] == [canonical(item) for item in flat(first)]
    assert flat(again) == flat(first)


def test_another_seed_gives_other_batches() -> None:
    first = [canonical(item) for item in flat(generate(config(seed=11)))]
    other = [canonical(item) for item in flat(generate(config(seed=12)))]
    assert len(other) == len(first)
    differing = sum(a != b for a, b in zip(first, other, strict=True))
    assert differing > 0.9 * len(first)


def test_generators_share_no_state() -> None:
    """Two generators stepped alternately give what each gives alone."""
    cfg_a, cfg_b = config(seed=1, batch_size=100), config(seed=2, batch_size=100)
    alone_a, alone_b = flat(generate(cfg_a)), flat(generate(cfg_b))
    markets = {mc.market_id: mc.market() for mc in cfg_a.markets}
    gen_a = IntentGenerator(cfg_a, markets).batches()
    gen_b = IntentGenerator(cfg_b, markets).batches()
    both_a: list[Timed] = []
    both_b: list[Timed] = []
    for batch_a, batch_b in zip(gen_a, gen_b, strict=True):
        both_a.extend(batch_a)
        both_b.extend(batch_b)
    assert both_a == alone_a
    assert both_b == alone_b


def test_generation_reads_no_global_random_state() -> None:
    np.random.seed(1)
    random.seed(1)
    first = [canonical(item) for item in flat(generate(config()))]
    np.random.seed(987_654)
    random.seed("something else")
    numpy_state, python_state = np.random.get_state(), random.getstate()
    second = [canonical(item) for item in flat(generate(config()))]
    assert second == first
    # ... and draws nothing from it either
    after = np.random.get_state()
    assert after[0] == numpy_state[0]
    assert np.array_equal(after[1], numpy_state[1])
    assert after[2:] == numpy_state[2:]
    assert random.getstate() == python_state


# --- batches and arrivals ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("intents", "batch_size", "sizes"),
    [
        (2_000, 300, [300] * 6 + [200]),
        (1_800, 300, [300] * 6),
        (5, 1024, [5]),
        (7, 2, [2, 2, 2, 1]),
        (50, 1, [1] * 50),
    ],
)
def test_batch_sizes(intents: int, batch_size: int, sizes: list[int]) -> None:
    batches = generate(config(intents=intents, batch_size=batch_size))
    assert [len(batch) for batch in batches] == sizes
    assert sum(len(batch) for batch in batches) == intents


def test_arbitrage_pairs_are_never_split_across_batches() -> None:
    mix = IntentMix(gtc=1, gtd=0, fok=0, fak=0, cancel=0, arbitrage=3)
    batches = generate(config(markets=edge_markets(), mix=mix, intents=3_001, batch_size=7))
    legs = [sum(len(i.legs) if isinstance(i, ArbitrageGroup) else 1 for _, i in b) for b in batches]
    assert legs == [7] * 428 + [5]
    assert any(isinstance(item, ArbitrageGroup) for batch in batches for _, item in batch)


@pytest.mark.parametrize("rate", [2_000.0, 50_000.0])
def test_arrivals_are_poisson_at_the_arrival_rate(rate: float) -> None:
    items = flat(generate(config(intents=10_000, arrival_rate=rate)))
    times = [time for time, _ in items]
    assert all(type(time) is int for time in times)
    assert times[0] > 0
    assert times == sorted(times)
    # One arrival per draw: the second leg of an arbitrage pair arrives with the first.
    arrivals = [
        time
        for time, item in items
        if not (isinstance(item, Intent) and item.group_id and item.intent_id != item.group_id)
    ]
    gaps = np.diff(np.array([0, *arrivals], dtype=np.float64))
    expected = 1e9 / rate
    assert gaps.mean() == pytest.approx(expected, rel=0.03)
    assert gaps.std() == pytest.approx(expected, rel=0.05)  # exponential: std == mean
    assert np.count_nonzero(gaps == 0) < 5  # only ns ties, never a batch of equal times


def test_duration_mode_stops_at_the_duration() -> None:
    rate, duration = 20_000.0, 0.5
    cfg = config(intents=None, duration_s=duration, arrival_rate=rate, batch_size=256)
    batches = generate(cfg)
    sizes = [len(batch) for batch in batches]
    assert sizes[:-1] == [256] * (len(sizes) - 1)
    assert 0 < sizes[-1] <= 256
    times = [time for time, _ in flat(batches)]
    assert times == sorted(times)
    assert times[-1] <= duration * S
    assert times[-1] > duration * S - 1_000_000  # it runs right up to the end
    arbitrage = sum(1 for _, item in flat(batches) if isinstance(item, Intent) and item.group_id)
    arrivals = len(times) - arbitrage // 2
    assert arrivals == pytest.approx(rate * duration, rel=0.05)


def test_intent_ids_are_unique_and_increasing() -> None:
    ids = [item.intent_id for _, item in flat(generate(config()))]
    assert ids[0] >= 1
    assert all(a < b for a, b in itertools.pairwise(ids))


# --- the mix --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "weights",
    [
        {},  # the default mix
        {"gtc": 0.5, "gtd": 3, "fok": 1, "fak": 0, "cancel": 2, "arbitrage": 2.5},
        {"gtc": 1, "gtd": 0, "fok": 0, "fak": 2, "cancel": 0, "arbitrage": 0},
    ],
    ids=["default", "skewed", "no-pairs"],
)
def test_every_kind_appears_with_its_weight(weights: dict[str, float]) -> None:
    mix = IntentMix(**weights)
    cfg = config(markets=edge_markets(), mix=mix, intents=20_000, batch_size=1024)
    items = flat(generate(cfg))
    counts = Counter(kind_of(item) for _, item in items)
    w = mix.weights()
    total = sum(w.values())
    p = {kind: w[kind] / total for kind in KIND_NAMES}
    # an arbitrage draw makes two intents
    per_draw = 1 + p["arbitrage"]
    for kind in KIND_NAMES:
        expected = p[kind] * (2 if kind == "arbitrage" else 1) / per_draw
        share = counts[kind] / len(items)
        if expected == 0:
            assert counts[kind] == 0, kind
        else:
            assert share == pytest.approx(expected, abs=0.015), (kind, counts)


def test_prices_and_flags_follow_the_quote_and_the_rates() -> None:
    """Frozen quotes: YES 0.39 / 0.41, NO 0.59 / 0.61; up to two ticks beyond the touch."""
    mix = IntentMix(marketable_rate=0.8, post_only_rate=0.2)
    items = flat(generate(config(markets=frozen_markets(), mix=mix, intents=20_000)))
    singles = [item for _, item in items if isinstance(item, Intent) and not item.group_id]
    touch = {Outcome.YES: (u("0.39"), u("0.41")), Outcome.NO: (u("0.59"), u("0.61"))}
    tick = u("0.01")
    marketable = 0
    for intent in singles:
        bid, ask = touch[intent.outcome]
        through = {ask + k * tick for k in range(3)}
        behind = {bid - k * tick for k in range(3)}
        if intent.side is Side.BUY:
            assert intent.price in through | behind, intent
            marketable += intent.price in through
        else:
            assert intent.price in through | behind, intent
            marketable += intent.price in behind
    assert marketable / len(singles) == pytest.approx(0.8, abs=0.02)
    # every side, outcome and distance from the touch is used, about evenly
    prices = Counter((i.side, i.outcome, i.price) for i in singles)
    assert len(prices) == 2 * 2 * 6
    # the rarest cell: one side and outcome (1/4), resting (0.2), one of three offsets
    assert min(prices.values()) > 0.5 * len(singles) / 60
    sides = Counter(i.side for i in singles)
    outcomes = Counter(i.outcome for i in singles)
    assert sides[Side.BUY] / len(singles) == pytest.approx(0.5, abs=0.02)
    assert outcomes[Outcome.YES] / len(singles) == pytest.approx(0.5, abs=0.02)
    resting_kinds = [i for i in singles if i.time_in_force in (TimeInForce.GTC, TimeInForce.GTD)]
    post_only = sum(i.post_only for i in resting_kinds)
    assert post_only / len(resting_kinds) == pytest.approx(0.2, abs=0.02)
    assert not any(
        i.post_only for i in singles if i.time_in_force in (TimeInForce.FOK, TimeInForce.FAK)
    )


# --- validity -------------------------------------------------------------------------------


VALIDITY_MARKETS = [
    MarketConfig(venue=Venue.POLYMARKET, market_id="pm-fine", tick_size="0.001", twin="ks-3"),
    MarketConfig(venue=Venue.KALSHI, market_id="ks-3", min_size="3", twin="pm-fine"),
    MarketConfig(venue=Venue.POLYMARKET, market_id="pm-solo", tick_size="0.1", fair_price="0.3"),
]


def test_every_intent_is_valid_for_its_market_and_venue() -> None:
    mix = IntentMix(max_size="50", gtd_lifetime_s=2.5)
    cfg = config(markets=VALIDITY_MARKETS, mix=mix, intents=20_000)
    markets = {mc.market_id: mc.market() for mc in cfg.markets}
    items = flat(generate(cfg))
    sizes: dict[str, list[int]] = {market_id: [] for market_id in markets}
    for time, item in items:
        if isinstance(item, Cancel):
            continue
        market = item.market
        assert market == markets[market.market_id]
        # The generator builds its intents unchecked: each must pass every check an Intent
        # makes (checked() raises on the first one broken; None: the enums were enums).
        assert checked(item) is None
        assert market.check_price(item.price) == item.price
        assert item.price % market.tick_size == 0
        assert market.tick_size <= item.price <= SCALE - market.tick_size
        assert item.size >= market.min_size
        assert item.size % market.size_step == 0
        assert item.size <= u("50")
        if item.time_in_force is TimeInForce.GTD:
            assert item.expires_at == time + market.gtd_threshold + int(2.5 * S)
        else:
            assert item.expires_at is None
        if item.group_id:
            # both legs' venues accept the size: whole contracts, at least both minimums
            assert item.size % SCALE == 0
            assert item.size >= u("5")
        else:
            sizes[market.market_id].append(item.size)
    for market_id, market in markets.items():
        seen = sizes[market_id]
        assert len(seen) > 3_000, market_id
        assert min(seen) < market.min_size + u("1")
        assert max(seen) > u("49")
    # Polymarket sizes use its 0.01 step, not the Kalshi contract
    assert any(size % SCALE for size in sizes["pm-fine"])
    assert not any(size % SCALE for size in sizes["ks-3"])
    assert min(sizes["ks-3"]) == u("3")
    assert max(sizes["ks-3"]) == u("50")
    # the 0.001 tick is used (the 0.1 market's prices were checked against its own tick)
    fine = [
        item.price
        for _, item in items
        if isinstance(item, Intent) and _market_id(item) == "pm-fine"
    ]
    assert any(price % u("0.01") for price in fine)


def _market_id(item: Intent | Cancel) -> str:
    return "" if isinstance(item, Cancel) else item.market.market_id


@pytest.mark.parametrize("fair", ["0.02", "0.98"])
def test_prices_near_the_bounds_stay_within_them(fair: str) -> None:
    markets = frozen_markets(fair=fair, spread="0.06")
    items = flat(generate(config(markets=markets, intents=5_000)))
    prices = Counter(item.price for _, item in items if isinstance(item, Intent))
    assert min(prices) == u("0.01")
    assert max(prices) == u("0.99")


def test_max_size_below_the_minimum_gives_the_minimum() -> None:
    # below Polymarket's 5 shares and Kalshi's 1 contract; a pair needs 5 whole contracts
    mix = IntentMix(max_size="0.5")
    items = flat(generate(config(markets=edge_markets(), mix=mix, intents=2_000)))
    sizes = Counter(
        (item.market.venue, bool(item.group_id), item.size)
        for _, item in items
        if isinstance(item, Intent)
    )
    assert set(sizes) == {
        (Venue.POLYMARKET, False, u("5")),
        (Venue.KALSHI, False, u("1")),
        (Venue.POLYMARKET, True, u("5")),
        (Venue.KALSHI, True, u("5")),
    }


# --- cancels and arbitrage pairs -------------------------------------------------------------


def test_cancels_target_only_earlier_gtc_and_gtd_intents() -> None:
    items = flat(generate(config(intents=20_000)))
    resting: set[int] = set()
    others: set[int] = set()
    targets = []
    for _, item in items:
        if isinstance(item, Cancel):
            assert item.target in resting, item
            assert item.target < item.intent_id
            targets.append(item.target)
        elif kind_of(item) in ("gtc", "gtd"):
            resting.add(item.intent_id)
        else:
            others.add(item.intent_id)
    assert len(targets) > 2_000
    assert len(set(targets)) > 0.5 * len(targets)  # spread over many orders
    assert not others & set(targets)


def test_gtc_orders_are_cancelled_once_when_their_lifetime_is_up() -> None:
    lifetime = S // 2
    mix = IntentMix(gtc_lifetime_s=0.5)
    items = flat(generate(config(mix=mix, intents=10_000, arrival_rate=2_500, batch_size=300)))
    times = [time for time, _ in items]
    assert times == sorted(times)
    ids = [item.intent_id for _, item in items]
    assert all(a < b for a, b in itertools.pairwise(ids))
    end = times[-1]
    assert end > 3 * lifetime
    gtc = {item.intent_id: t for t, item in items if kind_of(item) == "gtc"}
    gtd = {item.intent_id for _, item in items if kind_of(item) == "gtd"}
    on_time: Counter[int] = Counter()
    for time, item in items:
        if isinstance(item, Cancel):
            assert item.target in gtc or item.target in gtd
            if item.target in gtc and time == gtc[item.target] + lifetime:
                on_time[item.target] += 1
    due = {i for i, t in gtc.items() if t + lifetime < end - 1_000_000}
    not_yet = {i for i, t in gtc.items() if t + lifetime > end}
    assert due <= set(on_time)
    assert not not_yet & set(on_time)
    assert set(on_time.values()) == {1}


def test_arbitrage_groups_only_where_the_quotes_leave_an_edge() -> None:
    markets = [
        *edge_markets(),
        # twins at the same price: YES 0.41 + NO 0.61 costs more than $1 either way
        MarketConfig(
            venue=Venue.POLYMARKET, market_id="pm-b", twin="ks-b", fair_price="0.40", volatility="0"
        ),
        MarketConfig(
            venue=Venue.KALSHI, market_id="ks-b", twin="pm-b", fair_price="0.40", volatility="0"
        ),
        MarketConfig(venue=Venue.POLYMARKET, market_id="pm-solo"),
    ]
    cfg = config(markets=markets, intents=20_000)
    batches = generate(cfg)
    groups = [item for batch in batches for _, item in batch if isinstance(item, ArbitrageGroup)]
    assert len(groups) > 500
    for group in groups:
        yes, no = group.legs
        assert (yes.market.market_id, no.market.market_id) == ("pm", "ks")  # the only edge
        assert (yes.outcome, no.outcome) == (Outcome.YES, Outcome.NO)
        assert (yes.price, no.price) == (u("0.41"), u("0.46"))  # the asks
        assert yes.size == no.size and group.group_id == yes.intent_id == no.intent_id - 1
        assert all(
            leg.side is Side.BUY
            and leg.time_in_force is TimeInForce.FOK
            and leg.group_id == group.group_id
            for leg in group.legs
        )
        # edge: $1 a contract minus both asks and both venues' taker fees
        fees = yes.market.fees.fee(yes.size, yes.price, Liquidity.TAKER) + no.market.fees.fee(
            no.size, no.price, Liquidity.TAKER
        )
        exact = yes.size * SCALE - yes.size * (yes.price + no.price) - fees * SCALE
        assert group.edge == exact // SCALE > 0
    items = flat(batches)
    assert any(_market_id(item) == "pm-solo" for _, item in items)
    # half the arbitrage draws land on the twins without an edge, and become GTC orders
    assert math.isclose(len(groups) * 2 / len(items), 2 / 23, abs_tol=0.015)


def test_no_group_below_the_minimum_edge() -> None:
    cfg = config(
        markets=edge_markets(), intents=5_000, arbitrage=ArbitrageConfig(min_edge="0.2")
    )  # the edge is below 0.13
    batches = generate(cfg)
    assert not any(isinstance(item, ArbitrageGroup) for batch in batches for _, item in batch)
