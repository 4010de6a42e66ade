"""The standard order-lifecycle workload: one market, one order per book update.

Each book update (every 100 ms of simulated time) sends one order, drawn from a seeded
stream:

- 55% a limit at the touch, no larger than the touch: one fill;
- 20% one tick through the touch, larger than the touch: two fills;
- 10% at the touch, larger than the touch: cancelled on its first partial fill;
- 10% passive, three ticks away: cancelled on its ack;
- 5% post-only at the touch: rejected (it would cross).

Every 50th update instead sends a marketable order that flattens the position. Every
order ends terminal. It stops after `orders` orders. `polyedge bench` runs it on
`scenario()`; examples/lifecycle_mix.py shows how to run it yourself.
"""

from __future__ import annotations

import random

from polyedge.config import MarketConfig, ResponseModel, StrategyConfig, TestConfig, VenueConfig
from polyedge.fixedpoint import SCALE
from polyedge.strategy import Book, Context, OrderUpdate, Strategy, UpdateKind
from polyedge.types import Fill, Venue

AT_TOUCH, THROUGH, CANCEL_ON_FILL, CANCEL_ON_ACK, POST_ONLY = range(5)
WEIGHTS = (55, 20, 10, 10, 5)
FLATTEN_EVERY = 50


def scenario(orders: int, seed: int = 0) -> TestConfig:
    """One Polymarket market with a book and no random rejects (the mix's only rejects
    are its post-only orders), long enough for `orders` book updates."""
    return TestConfig(
        markets=[MarketConfig(venue=Venue.POLYMARKET, market_id="pm-btc-100k")],
        venues=[VenueConfig(venue=Venue.POLYMARKET, responses=ResponseModel(reject_rate=0))],
        intents=None,
        duration_s=orders * 0.1 + 1,
        seed=seed,
        strategy=StrategyConfig(book_interval_s=0.1),
    )


class LifecycleMix(Strategy):
    def __init__(self, market_id: str = "pm-btc-100k", orders: int = 1_000_000, seed: int = 0):
        self.market_id = market_id
        self.orders = orders
        self.random = random.Random(seed)  # the strategy's own seeded stream
        self.kinds = self.random.choices(range(5), WEIGHTS, k=4096)
        self.updates = 0
        self.sent = 0
        self.cancel_on_fill: set[int] = set()
        self.cancel_on_ack: set[int] = set()

    def on_book(self, ctx: Context, market_id: str, book: Book) -> None:
        if self.sent >= self.orders:
            return
        if not book.bids or not book.asks:
            return
        self.updates += 1
        self.sent += 1
        if self.sent == self.orders:
            ctx.stop()
        tick = ctx.market(market_id).tick_size
        (bid, bid_size), (ask, ask_size) = book.bids[0], book.asks[0]
        if self.updates % FLATTEN_EVERY == 0:
            self.flatten(ctx, ask)
            return
        kind = self.kinds[self.updates % len(self.kinds)]
        buy = self.updates & 1 == 0
        touch, touch_size = (ask, ask_size) if buy else (bid, bid_size)
        side = "buy" if buy else "sell"
        if kind == AT_TOUCH:
            ctx.submit(market_id, side, "yes", touch, touch_size, "FAK")
        elif kind == THROUGH:
            price = _within(touch + tick if buy else touch - tick, tick)
            size = touch_size + ctx.market(market_id).size_step  # the touch, and a step beyond
            ctx.submit(market_id, side, "yes", price, size, "FAK")
        elif kind == CANCEL_ON_FILL:
            order_id = ctx.submit(market_id, side, "yes", touch, 2 * touch_size)
            self.cancel_on_fill.add(order_id)
        elif kind == CANCEL_ON_ACK:
            price = _within(bid - 3 * tick if buy else ask + 3 * tick, tick)
            self.cancel_on_ack.add(ctx.submit(market_id, side, "yes", price, touch_size))
        else:
            ctx.submit(market_id, side, "yes", touch, touch_size, post_only=True)

    def flatten(self, ctx: Context, ask: int) -> None:
        market = ctx.market(self.market_id)
        held = ctx.position(self.market_id).yes
        if held > 0:
            ctx.submit(self.market_id, "sell", "yes", market.tick_size, held, "FAK")
        elif held < 0:
            ctx.submit(self.market_id, "buy", "yes", SCALE - market.tick_size, -held, "FAK")
        else:  # flat already: a marketable order of the smallest size, to keep the count
            ctx.submit(self.market_id, "buy", "yes", ask, market.min_size, "FAK")

    def on_order(self, ctx: Context, update: OrderUpdate) -> None:
        if update.kind is UpdateKind.ACK and update.order_id in self.cancel_on_ack:
            self.cancel_on_ack.discard(update.order_id)
            ctx.cancel(update.order_id)
        elif update.kind is not UpdateKind.ACK:
            self.cancel_on_ack.discard(update.order_id)
            self.cancel_on_fill.discard(update.order_id)

    def on_fill(self, ctx: Context, fill: Fill) -> None:
        if fill.order_id in self.cancel_on_fill:
            self.cancel_on_fill.discard(fill.order_id)
            ctx.cancel(fill.order_id)


def _within(price: int, tick: int) -> int:
    """`price` kept inside the market's bounds, [tick, 1 - tick]."""
    return min(max(price, tick), SCALE - tick)
