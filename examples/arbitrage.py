"""A cross-venue arbitrage bot, written as a coroutine: its own legs, its own unwind.

The same event trades on both venues (twin markets). When YES on one costs less than
NO on the other is worth, buying both locks in $1 a pair: the bot sends both legs
fill-or-kill at once and waits for both to end. If one leg fills and the other does
not, it is left holding one side: it unwinds that leg by selling it, crossing further
each attempt, and counts what it could not sell as residual exposure.

    polyedge run --strategy examples/arbitrage.py:CrossVenueArbitrage --duration 600
"""

from __future__ import annotations

from polyedge import Context, Strategy
from polyedge.fixedpoint import SCALE, to_units
from polyedge.strategy import Book
from polyedge.types import Liquidity

UNWIND_ATTEMPTS = 3


class CrossVenueArbitrage(Strategy):
    def __init__(
        self,
        markets: tuple[str, str] = ("pm-btc-100k", "KXBTC-100K"),
        size: int = 10,
        min_edge: str = "0.002",
    ) -> None:
        self.markets = markets
        self.size = to_units(size)
        self.min_edge = to_units(min_edge)
        self.busy = False
        self.pairs = 0  # both legs filled
        self.unwound = 0  # one leg filled, and was sold again
        self.failed = 0  # neither filled
        self.residual = 0  # size bought on one leg and never hedged or sold

    async def run(self, ctx: Context) -> None:
        async for event in ctx.events():
            if isinstance(event, Book) and not self.busy:
                for yes_market, no_market in (self.markets, self.markets[::-1]):
                    prices = self.opportunity(ctx, yes_market, no_market)
                    if prices is not None:
                        self.busy = True
                        ctx.spawn(self.trade(ctx, yes_market, no_market, *prices))
                        break

    def opportunity(self, ctx: Context, yes_market: str, no_market: str) -> tuple[int, int] | None:
        """(YES ask, NO ask) when buying both pays more than fees and the margin."""
        yes_book, no_book = ctx.book(yes_market), ctx.book(no_market)
        if yes_book is None or no_book is None:
            return None
        yes_ask, no_ask = yes_book.quote("yes")[1], no_book.quote("no")[1]
        if yes_ask is None or no_ask is None:
            return None
        fees = sum(
            ctx.market(market).fees.fee(self.size, price, Liquidity.TAKER)
            for market, price in ((yes_market, yes_ask), (no_market, no_ask))
        )
        edge = self.size - (yes_ask + no_ask) * self.size // SCALE - fees
        return (yes_ask, no_ask) if edge >= self.min_edge * self.size // SCALE else None

    async def trade(
        self, ctx: Context, yes_market: str, no_market: str, yes_ask: int, no_ask: int
    ) -> None:
        try:
            legs = (
                (
                    yes_market,
                    "yes",
                    ctx.submit(yes_market, "buy", "yes", yes_ask, self.size, "FOK"),
                ),
                (no_market, "no", ctx.submit(no_market, "buy", "no", no_ask, self.size, "FOK")),
            )
            ended = [
                (market, outcome, await ctx.done(order_id)) for market, outcome, order_id in legs
            ]
            filled = [status.filled for _, _, status in ended]
            if filled[0] == filled[1]:
                if filled[0]:
                    self.pairs += 1
                else:
                    self.failed += 1
                return
            # One leg is exposed: sell what it bought beyond the other.
            market, outcome, _ = ended[0] if filled[0] > filled[1] else ended[1]
            await self.unwind(ctx, market, outcome, abs(filled[0] - filled[1]))
            self.unwound += 1
        finally:
            self.busy = False

    async def unwind(self, ctx: Context, market: str, outcome: str, size: int) -> None:
        tick = ctx.market(market).tick_size
        for attempt in range(UNWIND_ATTEMPTS):
            book = ctx.book(market)
            bid = book.quote(outcome)[0] if book is not None else None
            price = max(tick, (bid or tick) - attempt * tick)
            order_id = ctx.submit(market, "sell", outcome, price, size, "FAK")
            size -= (await ctx.done(order_id)).filled
            if not size:
                return
        self.residual += size
