"""An order-management system checked against the truth, with the venues' faults on.

Run in raw mode, the bot receives every message exactly as the venue delivered it:
fills delivered twice, acks arriving after the fills that finished the order, acks
repeated in answer to status queries, rejects for orders a silent outage lost. Its own
bookkeeping (a state per order, filled size, fees, trade ids) must come out equal to
the engine's strict state machine; `polyedge.reconcile(result.truth, bot.records())`
lists every disagreement.

    polyedge run --strategy examples/oms_reconcile.py:ReconcilingOms \\
        --config examples/oms_reconcile.toml
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from polyedge import Context, Strategy
from polyedge.metrics import OrderTruth
from polyedge.strategy import Book, OrderUpdate, UpdateKind
from polyedge.types import Fill, OrderState

TERMINAL = {OrderState.FILLED, OrderState.CANCELLED, OrderState.REJECTED, OrderState.EXPIRED}
ENDS = {
    UpdateKind.REJECT: OrderState.REJECTED,
    UpdateKind.CANCEL_ACK: OrderState.CANCELLED,
    UpdateKind.VENUE_CANCEL: OrderState.CANCELLED,
    UpdateKind.CANCELLED_UNSENT: OrderState.CANCELLED,
    UpdateKind.EXPIRED: OrderState.EXPIRED,
}


@dataclass
class Record:
    """The bot's own view of one order."""

    size: int
    state: OrderState = OrderState.SUBMITTED
    filled: int = 0
    fees: int = 0
    trade_ids: list[str] = field(default_factory=list)


class ReconcilingOms(Strategy):
    def __init__(self, orders: int = 400, seed: int = 0) -> None:
        self.orders = orders
        self.random = random.Random(seed)
        self.book: dict[int, Record] = {}
        self.duplicates = 0  # fills seen twice, and dropped
        self.late = 0  # messages about orders already ended, and ignored

    def records(self) -> dict[int, OrderTruth]:
        return {
            order_id: OrderTruth(order_id, r.state, r.filled, r.fees, tuple(r.trade_ids))
            for order_id, r in self.book.items()
        }

    def on_book(self, ctx: Context, market_id: str, book: Book) -> None:
        if len(self.book) >= self.orders:
            ctx.stop()
            return
        if book.best_bid is None or book.best_ask is None:
            return
        tick = ctx.market(market_id).tick_size
        buy = self.random.random() < 0.5
        price = book.best_ask if buy else book.best_bid
        if self.random.random() < 0.5:  # passive, one tick away: it rests
            price = price - tick if buy else price + tick
        price = min(max(price, tick), 1_000_000 - tick)
        size = self.random.choice((10, 50, 300)) * 1_000_000
        order_id = ctx.submit(market_id, "buy" if buy else "sell", "yes", price, size)
        self.book[order_id] = Record(size)
        # Cancel some working orders: a cancel races the order's fills.
        for other_id, record in list(self.book.items())[-8:]:
            if record.state not in TERMINAL and self.random.random() < 0.2:
                self.cancel(ctx, other_id, record)

    def on_stop(self, ctx: Context) -> None:
        for order_id, record in self.book.items():
            if record.state not in TERMINAL:
                self.cancel(ctx, order_id, record)

    def cancel(self, ctx: Context, order_id: int, record: Record) -> None:
        # An order not yet sent is cancelled on the spot: its update (cancelled_unsent)
        # arrives inside ctx.cancel(), so look at the record only afterwards.
        if ctx.cancel(order_id) and record.state not in TERMINAL:
            record.state = OrderState.PENDING_CANCEL

    def on_order(self, ctx: Context, update: OrderUpdate) -> None:
        record = self.book[update.order_id]
        if record.state in TERMINAL:
            self.late += 1
            return
        if update.kind is UpdateKind.CANCEL_REJECT:  # it works on, as it was
            record.state = OrderState.PARTIAL_FILL if record.filled else OrderState.SUBMITTED
        elif update.kind in ENDS:
            record.state = ENDS[update.kind]
        # An ack changes nothing the bot keeps: a repeated or late one least of all.

    def on_fill(self, ctx: Context, fill: Fill) -> None:
        record = self.book[fill.order_id]
        if fill.trade_id in record.trade_ids:
            self.duplicates += 1
            return
        record.trade_ids.append(fill.trade_id)
        record.filled += fill.size
        record.fees += fill.fee
        if record.filled == record.size:
            record.state = OrderState.FILLED
        elif record.state is not OrderState.PENDING_CANCEL:
            record.state = OrderState.PARTIAL_FILL
