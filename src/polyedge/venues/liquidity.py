"""What an order meets at a simulated venue: an order book, or the statistical touch model.

Both models answer the same questions for the venue simulator: the quote now; what an
incoming order takes (price, size and which resting order it traded with); and what
becomes of an order left resting, whose fills they report to the venue (a Maker). Prices
going in and out are in the order's own outcome (a NO price is 1 - the YES price).

`BookLiquidity` keeps a limit order book (the compiled core's OrderBook) in YES terms:
BUY NO at q is SELL YES at 1 - q, so YES and NO orders meet in one book. Synthetic
liquidity follows the market's price path: every STEP_NS the other traders re-quote a
ladder of levels around the new bid and ask, take every resting order the market moved
through, and trade some size at each touch; a resting order fills when that flow reaches
it in price-time priority, behind whatever queued before it.

`TouchLiquidity` has no book: an order through the touch fills there up to a random
depth; a resting order fills later, at its own price, after random waits.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np

from polyedge._core import OrderBook
from polyedge.config import MarketConfig, ResponseModel
from polyedge.fixedpoint import SCALE
from polyedge.randomness import Draws, IntDraws, component_rng
from polyedge.scheduler import Scheduler
from polyedge.types import Intent, Market, Order, Outcome, Side
from polyedge.venues.prices import STEP_NS, PriceWalk

# Members read on every order, bound once: on Python 3.11 reading a member off its
# Enum class costs ten times a global (EnumType.__getattr__ slows every class read).
_NO = Outcome.NO
_YES = Outcome.YES
_BUY = Side.BUY
_SELL = Side.SELL

# What an incoming order took: (price in its own outcome, size, id of the resting order of
# ours it traded with, or 0 for anybody else's).
Taken = list[tuple[int, int, int]]

# A side of a public book: (price, size) levels in units, best first.
Levels = tuple[tuple[int, int], ...]

# Our resting orders by level, on each side (bids, asks): level -> ids in time order.
OwnLevels = tuple[dict[int, dict[int, None]], dict[int, dict[int, None]]]

_NS = 1_000_000_000
_EVERYTHING = 1 << 62  # a size larger than any book


def quoted_depth(config: MarketConfig, market: Market) -> int:
    """The size quoted at each level: the configured depth in whole size steps (at least one)."""
    return max(config.depth // market.size_step, 1) * market.size_step


class Quote(Protocol):
    """The market's best bid and ask of YES, and the size at each, in units."""

    @property
    def bid(self) -> int: ...
    @property
    def ask(self) -> int: ...
    @property
    def bid_size(self) -> int: ...
    @property
    def ask_size(self) -> int: ...


class PricePath(Protocol):
    """Where the market is at a time; times never go backwards."""

    def quote(self, time_ns: int) -> Quote: ...


class _WalkQuote:
    __slots__ = ("ask", "ask_size", "bid", "bid_size")

    def __init__(self, bid: int, ask: int, size: int) -> None:
        self.bid, self.ask, self.bid_size, self.ask_size = bid, ask, size, size


class WalkPath:
    """The seeded random walk of the fair price, quoted with the market's spread and depth."""

    __slots__ = ("_depth", "_tick", "_walk")

    def __init__(self, config: MarketConfig, market: Market, seed: int) -> None:
        self._walk = PriceWalk(config, market, seed)
        self._tick = market.tick_size
        self._depth = quoted_depth(config, market)

    def quote(self, time_ns: int) -> _WalkQuote:
        bid, ask = self._walk.quote(time_ns, _YES)
        return _WalkQuote(bid * self._tick, ask * self._tick, self._depth)


class Maker:
    """Whom a market's liquidity tells of our resting orders' fills: the venue simulator.

    A base class so that, compiled, the book calls it as C (liquidity.pxd), where a bound
    method was a Python call (measured: 70 instructions an intent).
    """

    def maker_fill(self, order_id: int, price: int, size: int) -> None:
        """A resting order of ours traded `size` at `price` (in its own outcome)."""
        raise NotImplementedError


class MarketLiquidity:
    """What the venue simulator asks of one market's liquidity, whichever the model.

    A base class so that, compiled, the simulator calls these methods as C (liquidity.pxd).
    """

    tick: int  # the market's tick now (the venue changes it)

    def quote(self, now: int, outcome: Outcome) -> tuple[int, int]:
        """The best bid and ask of `outcome` now, in units."""
        raise NotImplementedError

    def take(self, order: Order, size: int, now: int, all_or_none: bool) -> Taken:
        """What `order` takes now, up to `size` (all of it or nothing, if `all_or_none`)."""
        raise NotImplementedError

    def self_trades(self, order: Order, now: int) -> tuple[int, list[int]]:
        """What `order` could take before it meets one of our own resting orders, and the
        ids of ours it would trade with (best first), for self-trade prevention."""
        raise NotImplementedError

    def rest(self, order: Order, size: int, now: int) -> None:
        """Leave `size` of `order` resting; its fills go to the Maker's maker_fill()."""
        raise NotImplementedError

    def remove(self, order_id: int) -> None:
        """Our order no longer rests (cancelled or expired)."""
        raise NotImplementedError

    def levels(self, now: int, count: int) -> tuple[Levels, Levels]:
        """The public book of YES now: up to `count` (price, size) levels of bids and of
        asks, best first, in units (our own resting orders included)."""
        raise NotImplementedError


def _yes_level(intent: Intent, unit: int) -> tuple[bool, int]:
    """(buys YES?, the book level of its YES limit) of `intent`, in a book of levels of
    `unit`: BUY NO at q is SELL YES at 1 - q. Compiled, a C pair worked out in C ints
    (liquidity.pxd), where a tuple and the price of a NO were made and freed."""
    scale, price = SCALE, intent.price
    if intent.outcome is _YES:
        return intent.side is _BUY, price // unit
    return intent.side is _SELL, (scale - price) // unit


def _book_quote(book: OrderBook, unit: int, outcome: Outcome) -> tuple[int, int]:
    """The best bid and ask of `outcome` in `book` (of YES, in levels of `unit`), in units.
    Compiled, in C ints (liquidity.pxd): boxed, each quote made and freed four ints."""
    scale = SCALE
    bid, ask = book.best_bid() * unit, book.best_ask() * unit
    if outcome is _NO:
        return scale - ask, scale - bid
    return bid, ask


def _on_tick(bid: int, ask: int, tick: int) -> tuple[int, int]:
    """A YES quote snapped onto `tick` (the market's tick may have changed since the price
    path was quoted): bid down, ask up, at least a tick apart, within [tick, 1 - tick]."""
    bid = min(max(bid // tick * tick, tick), SCALE - 2 * tick)
    ask = min(max(-(-ask // tick) * tick, bid + tick), SCALE - tick)
    return bid, ask


class BookLiquidity(MarketLiquidity):
    """One market's order book, with synthetic liquidity following its price path."""

    def __init__(
        self,
        config: MarketConfig,
        market: Market,
        path: PricePath,
        seed: int,
        scheduler: Scheduler,
        maker: Maker,
        self_trade_prevention: bool = False,
    ) -> None:
        # Book levels are fine enough for every tick the market will have.
        self._unit = math.gcd(*config.ticks(market))
        self.book = OrderBook(SCALE // self._unit)
        self.tick = market.tick_size
        self._path = path
        self._scheduler = scheduler
        self._maker = maker
        self._ladder = config.book.levels
        self._step_size = market.size_step
        self._depth = quoted_depth(config, market)
        flow_mean = config.book.flow_per_s * STEP_NS / _NS
        flow = component_rng(seed, "book", market.market_id, "flow")
        self._flow = IntDraws(lambda n: flow.exponential(flow_mean, n).astype(np.int64))
        self._synthetic_ids = -1  # the other traders' orders have negative ids
        self._synthetic: tuple[dict[int, list[int]], dict[int, list[int]]] = ({}, {})
        # Our resting orders: id -> (a NO order?, a YES-terms bid?, its level); and, for
        # self_trades(), by side (bids, asks) and level, in time order: whom a taker would
        # meet first. Kept only where the venue prevents self-trades (neither venue does
        # by default): keeping it cost 610 instructions an intent (measured).
        self._mine: dict[int, tuple[bool, bool, int]] = {}
        self._own_levels: OwnLevels | None = ({}, {}) if self_trade_prevention else None
        self._step = -1
        self._step_ends = 0  # ns: when the step played last ends (until then, nothing to play)
        self._ticking = False

    # --- what the venue asks ---------------------------------------------------------------

    def quote(self, now: int, outcome: Outcome) -> tuple[int, int]:
        self._catch_up(now)
        return _book_quote(self.book, self._unit, outcome)

    def take(self, order: Order, size: int, now: int, all_or_none: bool) -> Taken:
        self._catch_up(now)
        intent = order.intent
        buy, limit = _yes_level(intent, self._unit)
        if all_or_none and self.book.available(buy, limit, size) < size:
            return []
        fills: list[tuple[int, int, int]] = []
        self.book.match(buy, limit, size, fills)
        no = intent.outcome is _NO
        taken: Taken = []
        for maker, level, filled in fills:
            yes_price = level * self._unit
            taken.append((SCALE - yes_price if no else yes_price, filled, max(maker, 0)))
            if maker > 0:
                self._maker_traded(maker, yes_price, filled)
        return taken

    def self_trades(self, order: Order, now: int) -> tuple[int, list[int]]:
        if self._own_levels is None:
            raise RuntimeError("self_trades() of a book made without self-trade prevention")
        self._catch_up(now)
        buy, limit = _yes_level(order.intent, self._unit)
        book = self.book
        levels = self._own_levels[1 if buy else 0]  # a buyer meets our asks, a seller our bids
        crossed = sorted(  # from a list: a generator can't be in cpdef (liquidity.pxd)
            [level for level in levels if (level <= limit if buy else level >= limit)],
            reverse=not buy,
        )
        if not crossed:
            return _EVERYTHING, []
        ours = [order_id for level in crossed for order_id in levels[level]]
        better = crossed[0] - 1 if buy else crossed[0] + 1  # the levels before our first one
        room = book.available(buy, better, _EVERYTHING) if 0 < better < book.levels else 0
        return room + book.queue_ahead(ours[0]), ours

    def rest(self, order: Order, size: int, now: int) -> None:
        buy, level = _yes_level(order.intent, self._unit)
        self.book.add(order.order_id, buy, level, size)
        self._mine[order.order_id] = (order.intent.outcome is _NO, buy, level)
        if self._own_levels is not None:
            self._own_levels[0 if buy else 1].setdefault(level, {})[order.order_id] = None
        if not self._ticking:
            self._ticking = True
            self._scheduler.schedule(self._next_step(now), self._tick, (), background=True)

    def remove(self, order_id: int) -> None:
        if order_id in self._mine:
            self._forget(order_id)
            self.book.cancel(order_id)

    def levels(self, now: int, count: int) -> tuple[Levels, Levels]:
        self._catch_up(now)
        return self._side(True, count), self._side(False, count)

    def _side(self, buy: bool, count: int) -> Levels:
        book, unit = self.book, self._unit
        if buy:
            level, step, end = book.best_bid(), -1, 0
        else:
            level, step, end = book.best_ask(), 1, book.levels
        found: list[tuple[int, int]] = []
        while level != end and len(found) < count:
            size = book.depth(buy, level)
            if size:
                found.append((level * unit, size))
            level += step
        return tuple(found)

    def _forget(self, order_id: int) -> None:
        """Ours no longer rests (cancelled, or filled entirely)."""
        _, buy, level = self._mine.pop(order_id)
        if self._own_levels is None:
            return
        levels = self._own_levels[0 if buy else 1]
        del levels[level][order_id]
        if not levels[level]:
            del levels[level]

    # --- the market moving -----------------------------------------------------------------

    def _next_step(self, now: int) -> int:
        return (now // STEP_NS + 1) * STEP_NS

    def _tick(self) -> None:
        now = self._scheduler.clock()
        self._catch_up(now)
        self._ticking = bool(self._mine)
        if self._ticking:
            self._scheduler.schedule(self._next_step(now), self._tick, (), background=True)

    def _catch_up(self, now: int) -> None:
        """Play the market's steps up to `now`; with none of our orders resting, only the
        last step matters (nobody else's fills are reported)."""
        if now < self._step_ends:  # one comparison, where the division cost ten (measured)
            return
        target = now // STEP_NS
        if self._step >= target:  # called back while the last step plays
            return
        if not self._mine:
            self._step = target - 1
        while self._step < target:
            self._step += 1
            self._trade(self._path.quote(self._step * STEP_NS))
        self._step_ends = (target + 1) * STEP_NS

    def _trade(self, quote: Quote) -> None:
        unit, book = self._unit, self.book
        tick = self.tick // unit
        bid, ask = _on_tick(quote.bid, quote.ask, self.tick)
        bid, ask = bid // unit, ask // unit
        fills: list[tuple[int, int, int]] = []
        # The market moved through these: they trade first, in price-time priority.
        book.match(True, bid, _EVERYTHING, fills)
        book.match(False, ask, _EVERYTHING, fills)
        # The other traders' flow at each touch.
        step = self._step_size
        for buy, touch in ((True, ask), (False, bid)):
            flow = self._flow.next() // step * step
            if flow:
                book.match(buy, touch, flow, fills)
        for maker, level, size in fills:
            if maker > 0:
                self._maker_traded(maker, level * unit, size)
        # Recorded data may not know the size at the touch (0): quote the configured depth.
        bids, asks = quote.bid_size or self._depth, quote.ask_size or self._depth
        self._requote(True, [bid - k * tick for k in range(self._ladder)], bids)
        self._requote(False, [ask + k * tick for k in range(self._ladder)], asks)

    def _requote(self, buy: bool, levels: list[int], size: int) -> None:
        """The other traders' orders: at `levels` topped up to `size`, gone elsewhere."""
        book = self.book
        wanted = {level for level in levels if 0 < level < book.levels}
        ladder = self._synthetic[0 if buy else 1]
        for level in [level for level in ladder if level not in wanted]:
            for order_id in ladder.pop(level):
                book.cancel(order_id)
        for level in wanted:
            live = []
            resting = 0
            for order_id in ladder.get(level, ()):
                if order_id in book:
                    live.append(order_id)
                    resting += book.remaining(order_id)
            missing = size - resting
            if missing > 0:
                self._synthetic_ids -= 1
                book.add(self._synthetic_ids, buy, level, missing)
                live.append(self._synthetic_ids)
            ladder[level] = live

    def _maker_traded(self, order_id: int, yes_price: int, size: int) -> None:
        no = self._mine[order_id][0]
        if order_id not in self.book:
            self._forget(order_id)
        self._maker.maker_fill(order_id, SCALE - yes_price if no else yes_price, size)


class TouchLiquidity(MarketLiquidity):
    """No book: fills at the touch up to a random depth, resting fills after random waits."""

    def __init__(
        self,
        config: MarketConfig,
        market: Market,
        responses: ResponseModel,
        seed: int,
        scheduler: Scheduler,
        maker: Maker,
    ) -> None:
        self.tick = market.tick_size
        self._walk = PriceWalk(config, market, seed)
        self._step = market.size_step
        self._depth_steps = quoted_depth(config, market) // self._step
        self._responses = responses
        self._scheduler = scheduler
        self._maker_fill = maker.maker_fill  # bound once: rest() schedules it for each fill

        def rng(*names: str) -> np.random.Generator:
            return component_rng(seed, "venue", market.venue, market.market_id, *names)

        chance = rng("responses")
        self._chance = Draws(chance.random)
        wait_ns = responses.resting_fill_mean_s * _NS
        waits = rng("resting_waits")
        self._wait = IntDraws(lambda n: waits.exponential(wait_ns, n).astype(np.int64))
        depth = rng("depth")
        self._depth = Draws(depth.standard_exponential)

    def quote(self, now: int, outcome: Outcome) -> tuple[int, int]:
        bid, ask = self._walk.quote(now, _YES)
        bid, ask = _on_tick(bid * self._walk.tick, ask * self._walk.tick, self.tick)
        if outcome is _NO:
            return SCALE - ask, SCALE - bid
        return bid, ask

    def take(self, order: Order, size: int, now: int, all_or_none: bool) -> Taken:
        intent = order.intent
        bid, ask = self.quote(now, intent.outcome)
        buying = intent.side is _BUY
        if not (intent.price >= ask if buying else intent.price <= bid):
            return []
        available = (int(self._depth_steps * self._depth.next()) + 1) * self._step
        if all_or_none and available < size:
            return []
        return [(ask if buying else bid, min(size, available), 0)]

    def rest(self, order: Order, size: int, now: int) -> None:
        responses = self._responses
        if self._chance.next() >= responses.resting_fill_rate:
            return
        steps = size // self._step
        parts = 1
        most = min(steps, responses.max_fill_parts)
        if most > 1 and self._chance.next() < responses.partial_fill_rate:
            parts = 2 + int(self._chance.next() * (most - 1))
        when = now
        price = order.intent.price
        for part in range(parts):
            when += self._wait.next()
            share = steps // parts + (1 if part < steps % parts else 0)
            fill = (order.order_id, price, share * self._step)
            self._scheduler.schedule(when, self._maker_fill, fill)

    def self_trades(self, order: Order, now: int) -> tuple[int, list[int]]:
        return _EVERYTHING, []  # no book: our orders never meet each other

    def levels(self, now: int, count: int) -> tuple[Levels, Levels]:
        bid, ask = self.quote(now, _YES)  # the touch only, at the quoted depth
        depth = self._depth_steps * self._step
        return ((bid, depth),), ((ask, depth),)

    def remove(self, order_id: int) -> None:
        return None  # its scheduled fills find it gone
