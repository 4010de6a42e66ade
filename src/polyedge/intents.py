"""The seeded intent generator: deterministic trade intents from the run configuration.

Intents come in batches of (arrival time in simulated ns, Intent | Cancel). Arrivals
are a Poisson process at `arrival_rate`; prices are drawn as whole ticks around each
market's fair price (marketable or resting); sizes as whole size steps of the venue.
Everything is drawn from the generator's own seeded streams, so the same config and seed
give the same intents in any process.
"""

from __future__ import annotations

import math
import struct
from collections import deque
from collections.abc import Iterator
from typing import Any

import numpy as np

from polyedge._core import Sequence, unpack_intents
from polyedge._core.orders_py import (
    CANCEL_ROW,
    INTENT_ROW,
    OUTCOMES,
    PACKED_INTENT,
    SIDES,
    TIMES_IN_FORCE,
)
from polyedge.config import MarketConfig, TestConfig
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

KINDS = ("gtc", "gtd", "fok", "fak", "cancel", "arbitrage")  # as the mix weighs them
# The kinds by index, as drawn: ints, which the compiled loop compares in C.
_GTC, _GTD, _FOK, _FAK, _CANCEL, _ARBITRAGE = range(len(KINDS))
_TIME_IN_FORCE = (TimeInForce.GTC, TimeInForce.GTD, TimeInForce.FOK, TimeInForce.FAK)
_CANCELLABLE = 4096  # recent resting orders a cancel may pick from (flat memory)

Timed = tuple[int, Intent | Cancel | ArbitrageGroup]

# The packer's own row of a packed batch (pack() and unpack()): a group's, which comes
# before its legs' rows.
_GROUP_ROW = CANCEL_ROW + 1


class _Sizes:
    """Sizes every venue of some markets accepts: low + k steps, k in [0, count)."""

    __slots__ = ("count", "low", "step")

    def __init__(self, markets: tuple[Market, ...], max_size: int) -> None:
        step = math.lcm(*(market.size_step for market in markets))
        low = -(-max(market.min_size for market in markets) // step)  # in steps, rounded up
        high = max(max_size // step, low)
        self.low, self.count, self.step = low * step, high - low + 1, step

    def draw(self, uniform: float) -> int:
        steps = int(uniform * self.count)  # compiled: a C truncation (intents.pxd)
        return self.low + steps * self.step


class _Leg:
    """What the generator needs to know about one market to price intents on it.

    Plain classes, not dataclasses: compiled, both are extension types (intents.pxd).
    """

    __slots__ = ("depth", "market", "pair_sizes", "sizes", "twin", "walk")

    def __init__(
        self,
        config: MarketConfig,
        markets: dict[str, Market],
        twin: int | None,
        seed: int,
        max_size: int,
    ) -> None:
        self.market = market = markets[config.market_id]
        self.walk = PriceWalk(config, market, seed)
        self.sizes = _Sizes((market,), max_size)  # sizes of single orders on this market
        self.depth = config.depth  # mean size quoted at the top of the book
        self.twin = twin  # index of the twin market, if any
        # Sizes of arbitrage pairs with the twin.
        self.pair_sizes = _Sizes((market, markets[config.twin]), max_size) if config.twin else None


class IntentGenerator:
    def __init__(self, config: TestConfig, markets: dict[str, Market]) -> None:
        self._config = config
        self._rng = component_rng(config.seed, "intents")
        self._ids = Sequence()
        index = {market_id: i for i, market_id in enumerate(markets)}
        max_size = config.mix.max_size
        self._legs = [
            _Leg(mc, markets, index[mc.twin] if mc.twin else None, config.seed, max_size)
            for mc in config.markets
        ]
        self._paired = [i for i, leg in enumerate(self._legs) if leg.twin is not None]
        weights = np.array(list(config.mix.weights().values()))
        self._weights = weights / weights.sum()
        # Read per opportunity: a pydantic field costs a Python attribute hook each.
        self._min_edge = config.arbitrage.min_edge
        self._leg_time_in_force = TimeInForce(config.arbitrage.leg_time_in_force)
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
            kind = kinds[i]
            if kind == _CANCEL and not self._cancellable:
                kind = _GTC  # nothing to cancel yet
            group = None
            if kind == _ARBITRAGE and size - count >= 2 and self._paired:
                first = self._paired[int(picks[i] * len(self._paired))]
                twin = self._legs[first].twin
                assert twin is not None
                # YES here and NO on the twin, or the other way round.
                group = self._opportunity(time, first, size_draws[i]) or self._opportunity(
                    time, twin, size_draws[i]
                )
            if kind == _ARBITRAGE and group is None:
                kind = _GTC  # no room for a pair, or no opportunity on the quotes now
            if kind == _CANCEL:
                target = self._cancellable[int(picks[i] * len(self._cancellable))]
                batch.append((time, Cancel(self._ids.next(), target)))
                count += 1
            elif group is not None:
                batch.append((time, group))
                count += len(group.legs)
            else:
                leg = self._legs[markets[i]]
                intent_id = self._ids.next()
                resting = kind in (_GTC, _GTD)
                # Valid by construction: on the tick within bounds, whole size steps from
                # the minimum, expires_at for GTD only, post-only for resting kinds only.
                # (Arguments by position: keywords cost the compiled call a fifth more.)
                intent = Intent.unchecked(
                    intent_id,
                    leg.market,
                    _BUY if sides[i] else _SELL,
                    _YES if outcomes[i] else _NO,
                    self._price(leg, time, sides[i], outcomes[i], marketable[i], offsets[i]),
                    leg.sizes.draw(size_draws[i]),
                    _TIME_IN_FORCE[kind],
                    time + leg.market.gtd_threshold + gtd_lifetime_ns if kind == _GTD else None,
                    post_only[i] and resting,
                )
                if resting:
                    self._cancellable.append(intent_id)
                if kind == _GTC:
                    self._refresh.append((time + lifetime_ns, intent_id))
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
        min_edge = self._min_edge
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
        tif = self._leg_time_in_force
        legs = tuple(
            [  # a list: a generator can't be in cpdef (intents.pxd)
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
                for leg, outcome, price in ((yes_leg, _YES, yes_ask), (no_leg, _NO, no_ask))
            ]
        )
        return ArbitrageGroup(group_id=group_id, legs=legs, edge=edge_scaled // SCALE)


def pack(batch: list[Timed], markets: tuple[Market, ...]) -> bytes:
    """`batch` as rows of PACKED_INTENT, each intent's market as its index in `markets`.

    A cancel's row has its target in `other`; a group's row has its group id as
    intent_id, its number of legs as size and its edge in `other`.
    """
    index = {market.market_id: i for i, market in enumerate(markets)}
    rows: list[bytes] = []
    for time, item in batch:
        if isinstance(item, Cancel):
            rows.append(_own_row(time, CANCEL_ROW, item.intent_id, 0, item.target))
        elif isinstance(item, ArbitrageGroup):
            rows.append(_own_row(time, _GROUP_ROW, item.group_id, len(item.legs), item.edge))
            rows.extend([_intent_row(time, leg, index) for leg in item.legs])
        else:
            rows.append(_intent_row(time, item, index))
    return b"".join(rows)


def _own_row(time: int, kind: int, intent_id: int, size: int, other: int) -> bytes:
    """A packer's own row: the fields unpack_intents hands back, the others 0."""
    return _ROW.pack(time, intent_id, 0, size, 0, 0, 0, other, 0, kind, 0, 0, 0, 0)


def _intent_row(time: int, intent: Intent, index: dict[str, int]) -> bytes:
    return _ROW.pack(
        time,
        intent.intent_id,
        intent.price,
        intent.size,
        -1 if intent.expires_at is None else intent.expires_at,
        intent.group_id,
        -1 if intent.max_cost is None else intent.max_cost,
        0,  # other: the packer's own rows use it
        index[intent.market.market_id],
        INTENT_ROW,
        SIDES.index(intent.side),
        OUTCOMES.index(intent.outcome),
        TIMES_IN_FORCE.index(intent.time_in_force),
        intent.post_only,
    )


# PACKED_INTENT's layout, field by field in its order. struct packs a row from its values
# in place; numpy, building the array from rows of fields named in a dict, cost the worker
# 17,100 instructions an intent against 4,800 (measured).
_ROW = struct.Struct("<8qH5B")
assert _ROW.size == PACKED_INTENT.itemsize


def unpack(packed: bytes, markets: tuple[Market, ...]) -> list[Timed]:
    """The batch pack() packed: equal items, on the run's own `markets`."""
    rows: list[Any] = unpack_intents(packed, markets)  # (time, Intent), or a row's fields
    batch: list[Timed] = []
    i = 0
    while i < len(rows):
        row = rows[i]
        if len(row) == 2:  # (time, Intent) or (time, Cancel)
            batch.append(row)
        else:  # a group: its legs' rows follow
            legs = tuple([intent for _, intent in rows[i + 1 : i + 1 + row[3]]])
            batch.append((row[0], ArbitrageGroup(row[2], legs, row[4])))
            i += row[3]
        i += 1
    return batch
