"""A market maker: quotes around the book's mid, requotes on fills and book moves, and
holds its inventory inside a limit at every instant.

It buys YES at its bid and buys NO at one minus its ask (the same as selling YES there,
without holding any), so its inventory is YES - NO. Each quote is sized so that if every
order it has working filled completely, |YES - NO| would still be within `limit`: the
limit holds whatever the venue fills, whenever. At the end it cancels everything.

    polyedge run --strategy examples/market_maker.py:MarketMaker --duration 60
"""

from __future__ import annotations

from polyedge import Context, Strategy
from polyedge.fixedpoint import SCALE, to_units
from polyedge.strategy import Book, OrderStatus
from polyedge.types import Fill, Outcome


class MarketMaker(Strategy):
    def __init__(
        self,
        market_id: str = "pm-btc-100k",
        size: int = 10,
        limit: int = 30,
        half_spread_ticks: int = 1,
    ) -> None:
        self.market_id = market_id
        self.size = to_units(size)
        self.limit = to_units(limit)
        self.half_spread_ticks = half_spread_ticks
        self.quoted_mid: int | None = None
        self.worst_inventory = 0  # the largest |YES - NO| seen, for whoever checks

    def on_book(self, ctx: Context, market_id: str, book: Book) -> None:
        if market_id == self.market_id and book.mid is not None and book.mid != self.quoted_mid:
            self.requote(ctx, book)

    def on_fill(self, ctx: Context, fill: Fill) -> None:
        position = ctx.position(self.market_id)
        self.worst_inventory = max(self.worst_inventory, abs(position.yes - position.no))
        book = ctx.book(self.market_id)
        if book is not None and book.mid is not None:
            self.requote(ctx, book)

    def on_stop(self, ctx: Context) -> None:
        ctx.cancel_all()

    def requote(self, ctx: Context, book: Book) -> None:
        ctx.cancel_all(self.market_id)
        assert book.mid is not None
        self.quoted_mid = book.mid
        market = ctx.market(self.market_id)
        tick, step = market.tick_size, market.size_step
        bid = (book.mid // tick - self.half_spread_ticks) * tick
        ask = (-(-book.mid // tick) + self.half_spread_ticks) * tick
        position = ctx.position(self.market_id)
        inventory = position.yes - position.no
        # What fills could still add, each way: every working order filling completely.
        working = ctx.open_orders(self.market_id)
        could_buy_yes = _unfilled(working, Outcome.YES)
        could_buy_no = _unfilled(working, Outcome.NO)
        room_yes = self.limit - inventory - could_buy_yes
        room_no = self.limit + inventory - could_buy_no
        if tick <= bid and (yes := min(self.size, room_yes) // step * step) > 0:
            ctx.submit(self.market_id, "buy", "yes", bid, yes, post_only=True)
        if ask <= SCALE - tick and (no := min(self.size, room_no) // step * step) > 0:
            ctx.submit(self.market_id, "buy", "no", SCALE - ask, no, post_only=True)


def _unfilled(orders: list[OrderStatus], outcome: Outcome) -> int:
    return sum(order.remaining for order in orders if order.outcome is outcome)
