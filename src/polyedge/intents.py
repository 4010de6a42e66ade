"""The seeded intent generator: deterministic trade intents from the run configuration.

Intents come in batches of (arrival time in simulated ns, Intent | Cancel). Arrivals
are a Poisson process at `arrival_rate`; prices are drawn as whole ticks around each
market's fair price (marketable or resting); sizes as whole size steps of the venue.
Everything is drawn from the generator's own seeded streams, so the same config and seed
give the same intents in any process.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from polyedge._core import Sequence
from polyedge.config import TestConfig
from polyedge.fixedpoint import SCALE
from polyedge.randomness import component_rng
from polyedge.types import (
    ArbitrageGroup,
    Cancel,
    Intent,
    Liquidity,
    Market,
    Outcome,
    Side,
    TimeInForce,
)
from polyedge.venues.prices import PriceWalk

# Members read on every order, bound once: on Python 3.11 reading a member off its
# Enum class costs ten times a global (EnumType.__getattr__ slows every class read).
_TAKER = Liquidity.TAKER
_NO = Outcome.NO
_YES = Outcome.YES
_BUY = Side.BUY
_SELL = Side.SELL

KINDS = ("gtc", "gtd", "fok", "fak", "cancel", "arbitrage")
_TIME_IN_FORCE = {
    "gtc": TimeInForce.GTC,
    "gtd": TimeInForce.GTD,
    "fok": TimeInForce.FOK,
    "fak": TimeInForce.FAK,
}
_CANCELLABLE = 4096  # recent resting orders a cancel may pick from (flat memory)

Timed = tuple[int, Intent | Cancel | ArbitrageGroup]


@dataclass(frozen=True, slots=True)
class _Sizes:
    """Sizes every venue of some legs accepts: low + k steps, k in [0, count)."""

    low: int
    count: int
    step: int

    @classmethod
    def accepted_by(cls, markets: tuple[Market, ...], max_size: int) -> _Sizes:
        step = math.lcm(*(market.size_step for market in markets))
        low = -(-max(market.min_size for market in markets) // step)  # in steps, rounded up
        high = max(max_size // step, low)
        return cls(low * step, high - low + 1, step)

    def draw(self, uniform: float) -> int:
        return self.low + int(uniform * self.count) * self.step


@dataclass(slots=True)
class _Leg:
    """What the generator needs to know about one market to price intents on it."""

    market: Market
    walk: PriceWalk
    sizes: _Sizes  # sizes of single orders on this market
    depth: int  # mean size quoted at the top of the book
    twin: int | None  # index of the twin market, if any
    pair_sizes: _Sizes | None  # sizes of arbitrage pairs with the twin


class IntentGenerator:
    def __init__(self, config: TestConfig, markets: dict[str, Market]) -> None:
        self._config = config
        self._rng = component_rng(config.seed, "intents")
        self._ids = Sequence()
        index = {market_id: i for i, market_id in enumerate(markets)}
        max_size = config.mix.max_size
        self._legs = [
            _Leg(
                market=markets[mc.market_id],
                walk=PriceWalk(mc, markets[mc.market_id], config.seed),
                sizes=_Sizes.accepted_by((markets[mc.market_id],), max_size),
                depth=mc.depth,
                twin=index[mc.twin] if mc.twin else None,
                pair_sizes=_Sizes.accepted_by((markets[mc.market_id], markets[mc.twin]), max_size)
                if mc.twin
                else None,
            )
            for mc in config.markets
        ]
        self._paired = [i for i, leg in enumerate(self._legs) if leg.twin is not None]
        weights = np.array(list(config.mix.weights().values()))
        self._weights = weights / weights.sum()
        self._cancellable: deque[int] = deque(maxlen=_CANCELLABLE)
        # (when, id): the strategy cancels each GTC order still working after its lifetime,
        # which bounds the orders in flight (and memory) however long the run.
        self._refresh: deque[tuple[int, int]] = deque()
        self._time = 0

    def batches(self) -> Iterator[list[Timed]]:
        """Batches of timed intents until the configured count or duration is reached."""
        remaining = self._config.intents
        end_ns = None if self._config.duration_s is None else int(self._config.duration_s * 1e9)
        while remaining is None or remaining > 0:
            size = (
                self._config.batch_size
                if remaining is None
                else min(self._config.batch_size, remaining)
            )
            batch, count = self._batch(size, end_ns)
            if not batch:
                return
            if remaining is not None:
                remaining -= count
            yield batch
            if end_ns is not None and self._time > end_ns:
                return

    def _batch(self, size: int, end_ns: int | None) -> tuple[list[Timed], int]:
        """Up to `size` intents (a group counts one per leg), and how many there are."""
        rng, mix = self._rng, self._config.mix
        gaps = rng.exponential(1e9 / self._config.arrival_rate, size)
        times = (self._time + np.cumsum(gaps)).astype(np.int64).tolist()
        kinds = rng.choice(len(KINDS), size=size, p=self._weights).tolist()
        markets = rng.integers(0, len(self._legs), size).tolist()
        sides = rng.integers(0, 2, size).tolist()
        outcomes = rng.integers(0, 2, size).tolist()
        marketable = (rng.random(size) < mix.marketable_rate).tolist()
        post_only = (rng.random(size) < mix.post_only_rate).tolist()
        offsets = rng.integers(0, 3, size).tolist()  # ticks beyond the touch
        size_draws = rng.random(size).tolist()
        picks = rng.random(size).tolist()

        lifetime_ns = int(mix.gtc_lifetime_s * 1e9)
        gtd_lifetime_ns = int(mix.gtd_lifetime_s * 1e9)
        batch: list[Timed] = []
        count = 0  # intents in the batch: a group counts one per leg
        for i in range(size):
            time = times[i]
            if end_ns is not None and time > end_ns:
                self._time = time
                break
            refresh = self._refresh
            while refresh and refresh[0][0] <= time and count < size:
                due, target = refresh.popleft()
                self._time = max(due, self._time)
                batch.append((self._time, Cancel(self._ids.next(), target)))
                count += 1
            if count == size:  # cancels or arbitrage pairs filled it; spare draws unused
                break
            kind = KINDS[kinds[i]]
            if kind == "cancel" and not self._cancellable:
                kind = "gtc"  # nothing to cancel yet
            group = None
            if kind == "arbitrage" and size - count >= 2 and self._paired:
                first = self._paired[int(picks[i] * len(self._paired))]
                twin = self._legs[first].twin
                assert twin is not None
                # YES here and NO on the twin, or the other way round.
                group = self._opportunity(time, first, size_draws[i]) or self._opportunity(
                    time, twin, size_draws[i]
                )
            if kind == "arbitrage" and group is None:
                kind = "gtc"  # no room for a pair, or no opportunity on the quotes now
            if kind == "cancel":
                target = self._cancellable[int(picks[i] * len(self._cancellable))]
                batch.append((time, Cancel(self._ids.next(), target)))
                count += 1
            elif group is not None:
                batch.append((time, group))
                count += len(group.legs)
            else:
                leg = self._legs[markets[i]]
                tif = _TIME_IN_FORCE[kind]
                # Valid by construction: on the tick within bounds, whole size steps from
                # the minimum, expires_at for GTD only, post-only for resting kinds only.
                intent = Intent.unchecked(
                    intent_id=self._ids.next(),
                    market=leg.market,
                    side=_BUY if sides[i] else _SELL,
                    outcome=_YES if outcomes[i] else _NO,
                    price=self._price(leg, time, sides[i], outcomes[i], marketable[i], offsets[i]),
                    size=leg.sizes.draw(size_draws[i]),
                    time_in_force=tif,
                    expires_at=time + leg.market.gtd_threshold + gtd_lifetime_ns
                    if kind == "gtd"
                    else None,
                    post_only=post_only[i] and kind in ("gtc", "gtd"),
                )
                if kind in ("gtc", "gtd"):
                    self._cancellable.append(intent.intent_id)
                if kind == "gtc":
                    self._refresh.append((time + lifetime_ns, intent.intent_id))
                batch.append((time, intent))
                count += 1
            self._time = time
        return batch, count

    def _price(
        self, leg: _Leg, time: int, buy: int, yes: int, marketable: bool, offset: int
    ) -> int:
        bid, ask = leg.walk.quote(time, _YES if yes else _NO)
        top = SCALE // leg.walk.tick - 1
        if buy:
            ticks = ask + offset if marketable else bid - offset
        else:
            ticks = bid - offset if marketable else ask + offset
        return min(max(ticks, 1), top) * leg.walk.tick

    def _opportunity(self, time: int, first: int, draw: float) -> ArbitrageGroup | None:
        """YES on market `first` and NO on its twin, if both asks and both venues' taker
        fees cost less than $1 a contract by at least the configured edge.

        Sized to the thinner top of book and to both venues' minimums and size steps.
        """
        yes_leg = self._legs[first]
        assert yes_leg.twin is not None and yes_leg.pair_sizes is not None
        no_leg = self._legs[yes_leg.twin]
        yes_ask = yes_leg.walk.quote(time, _YES)[1] * yes_leg.walk.tick
        no_ask = no_leg.walk.quote(time, _NO)[1] * no_leg.walk.tick
        min_edge = self._config.arbitrage.min_edge
        if SCALE - yes_ask - no_ask < min_edge:
            return None  # no edge even before fees (never negative): most calls end here
        sizes = yes_leg.pair_sizes
        thinner = min(yes_leg.depth, no_leg.depth) // sizes.step * sizes.step
        size = min(sizes.draw(draw), thinner)
        if size < sizes.low:
            return None  # the book is too thin for both venues' minimums
        fees = yes_leg.market.fees.fee(size, yes_ask, _TAKER) + no_leg.market.fees.fee(
            size, no_ask, _TAKER
        )
        edge_scaled = size * SCALE - size * (yes_ask + no_ask) - fees * SCALE  # units * SCALE
        if edge_scaled < min_edge * size:
            return None
        group_id = self._ids.current + 1  # the first leg's id names the group
        tif = TimeInForce(self._config.arbitrage.leg_time_in_force)
        legs = tuple(
            Intent.unchecked(  # asks on the tick, sizes accepted by both venues
                intent_id=self._ids.next(),
                market=leg.market,
                side=_BUY,
                outcome=outcome,
                price=price,
                size=size,
                time_in_force=tif,
                group_id=group_id,
            )
            for leg, outcome, price in (
                (yes_leg, _YES, yes_ask),
                (no_leg, _NO, no_ask),
            )
        )
        return ArbitrageGroup(group_id=group_id, legs=legs, edge=edge_scaled // SCALE)
