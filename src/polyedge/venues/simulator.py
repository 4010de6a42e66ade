"""A simulated venue: its rules, latencies and response model (no order book yet).

An order reaches the venue one submit-ack latency after it is sent. There it is checked
against the venue's rules (tick, price bounds, minimum size, size step, rate limit) and
may be rejected at random with one of the venue's codes; otherwise it is acknowledged.
An order priced through the touch takes liquidity at once, at the touch (the price
improvement goes to the taker), up to the depth quoted there; FOK orders that cannot
fill entirely are rejected, the unfilled rest of FAK orders expires, and GTC / GTD rests.
A resting order may later be filled, in one or several parts, at its own price (maker).

What happens at the venue (arrival, a match, an expiry, a cancel arriving) is decided
at that moment; the message about it reaches the engine one message latency later. So a
cancel that arrives after the venue has matched the order finds nothing to cancel, and
the engine sees the fill come in while its cancel is pending: the late-fill race. The
messages about one order travel on one connection, in order: none overtakes another.
"""

from __future__ import annotations

import numpy as np

from polyedge.config import MarketConfig, VenueConfig
from polyedge.fixedpoint import SCALE
from polyedge.randomness import Draws, component_rng
from polyedge.scheduler import Scheduler
from polyedge.state import OrderTracker
from polyedge.types import (
    Intent,
    Liquidity,
    Market,
    Order,
    OrderEvent,
    Outcome,
    Side,
    TimeInForce,
)
from polyedge.venues.prices import PriceWalk
from polyedge.venues.profiles import PROFILES, Rule

_NS = 1_000_000_000


class _Book:
    """What the venue quotes for one market: a fair-price walk and the depth at the touch."""

    __slots__ = ("depth_steps", "market", "walk")

    def __init__(self, config: MarketConfig, market: Market, size_step: int, seed: int) -> None:
        self.market = market
        self.walk = PriceWalk(config, market, seed)
        self.depth_steps = max(1, config.depth // size_step)


class VenueSimulator:
    def __init__(
        self,
        config: VenueConfig,
        markets: list[tuple[MarketConfig, Market]],
        seed: int,
        scheduler: Scheduler,
        tracker: OrderTracker,
    ) -> None:
        profile = PROFILES[config.venue]
        self._codes = profile.rule_codes
        self._min_marketable_buy = profile.min_marketable_buy
        self._random_codes = profile.random_reject_codes
        self._size_step = profile.size_step
        self._responses = config.responses
        self._scheduler = scheduler
        self._deliver = tracker.apply

        def rng(*names: str) -> np.random.Generator:
            return component_rng(seed, "venue", config.venue, *names)

        latency = config.latency
        self._ack = latency.submit_ack.stream(rng("latency", "submit_ack"))
        self._fill = latency.fill.stream(rng("latency", "fill"))
        self._cancel = latency.cancel_ack.stream(rng("latency", "cancel_ack"))
        chance = rng("responses")
        self._chance = Draws(chance.random)
        wait_ns = config.responses.resting_fill_mean_s * _NS
        waits = rng("resting_waits")
        self._wait = Draws(lambda n: waits.exponential(wait_ns, n).astype(np.int64))
        depth = rng("depth")
        self._depth = Draws(depth.standard_exponential)
        self._books = {
            market.market_id: _Book(mc, market, self._size_step, seed) for mc, market in markets
        }
        # order id -> [size still working at the venue, when its last message arrives]
        self._open: dict[int, list[int]] = {}
        self._in_transit: dict[int, int] = {}  # order id -> when it reaches the venue
        limit = config.rate_limit
        # Token bucket in token-nanoseconds: an order costs _NS, refilled per_second per ns.
        self._refill = limit.per_second if limit else 0
        self._capacity = limit.burst * _NS if limit else 0
        self._tokens = self._capacity
        self._refilled_at = 0

    # --- requests from the engine --------------------------------------------------------

    def submit(self, order: Order) -> None:
        arrival = self._scheduler.now + self._ack.next()
        self._in_transit[order.order_id] = arrival
        self._scheduler.at(arrival, self._arrive, order)

    def cancel(self, order: Order) -> None:
        when = self._scheduler.now + self._cancel.next()
        # One connection: a cancel never overtakes the order it cancels.
        when = max(when, self._in_transit.get(order.order_id, 0))
        self._scheduler.at(when, self._cancel_arrives, order)

    def quote(self, market_id: str, outcome: Outcome) -> tuple[int, int]:
        """The best bid and ask of `outcome` on `market_id` now, in units."""
        walk = self._books[market_id].walk
        bid, ask = walk.quote(self._scheduler.now, outcome)
        return bid * walk.tick, ask * walk.tick

    # --- what happens at the venue -------------------------------------------------------

    def _arrive(self, order: Order) -> None:
        now = self._scheduler.now
        del self._in_transit[order.order_id]
        intent = order.intent
        book = self._books[intent.market.market_id]
        code = self._broken_rule(intent, book.market, now)
        if code:
            self._deliver(order, OrderEvent.REJECT, reason=code)
            return
        tick = book.walk.tick
        bid, ask = book.walk.quote(now, intent.outcome)
        limit = intent.price // tick  # exact: the price passed the venue's tick check
        buying = intent.side is Side.BUY
        crosses = limit >= ask if buying else limit <= bid
        if crosses and intent.post_only:
            self._deliver(order, OrderEvent.REJECT, reason=self._codes[Rule.POST_ONLY_CROSS])
            return
        if crosses and buying and intent.size * intent.price < self._min_marketable_buy * SCALE:
            self._deliver(order, OrderEvent.REJECT, reason=self._codes[Rule.MIN_MARKETABLE_BUY])
            return
        available = int(book.depth_steps * self._depth.next()) + 1 if crosses else 0
        taken = min(intent.size, available * self._size_step)
        tif = intent.time_in_force
        if tif is TimeInForce.FOK and taken < intent.size:
            self._deliver(order, OrderEvent.REJECT, reason=self._codes[Rule.FOK_UNFILLED])
            return
        self._deliver(order, OrderEvent.ACK)
        message_at = now
        if taken:
            message_at = now + self._fill.next()
            price = (ask if buying else bid) * tick
            fee = book.market.fees.fee(taken, price, Liquidity.TAKER)
            self._scheduler.at(message_at, self._deliver, order, OrderEvent.FILL, price, taken, fee)
        rest = intent.size - taken
        if not rest:
            return
        if tif is TimeInForce.FAK:  # the rest expires, after the fill message
            self._scheduler.at(message_at, self._deliver, order, OrderEvent.EXPIRE)
            return
        self._open[order.order_id] = [rest, message_at]
        if intent.expires_at is not None:
            self._scheduler.at(intent.expires_at, self._expire, order)
        if self._chance.next() < self._responses.resting_fill_rate:
            self._schedule_resting_fills(order, rest, now)

    def _broken_rule(self, intent: Intent, market: Market, now: int) -> str:
        """The reject code for the first rule of this venue's `market` `intent` breaks, or "".

        The venue's own market decides, not the client's copy of it (its tick may differ).
        """
        codes = self._codes
        if not market.tick_size <= intent.price <= SCALE - market.tick_size:
            return codes[Rule.PRICE_BOUNDS]
        if intent.price % market.tick_size:
            return codes[Rule.TICK]
        if intent.size < market.min_size:
            return codes[Rule.MIN_SIZE]
        if intent.size % self._size_step:
            return codes[Rule.SIZE_STEP]
        if self._capacity and not self._take_token(now):
            return codes[Rule.RATE_LIMITED]
        if self._chance.next() < self._responses.reject_rate:
            return self._random_codes[int(self._chance.next() * len(self._random_codes))]
        return ""

    def _take_token(self, now: int) -> bool:
        tokens = min(self._capacity, self._tokens + (now - self._refilled_at) * self._refill)
        self._refilled_at = now
        if tokens < _NS:
            self._tokens = tokens
            return False
        self._tokens = tokens - _NS
        return True

    def _schedule_resting_fills(self, order: Order, rest: int, now: int) -> None:
        steps = rest // self._size_step
        parts = 1
        most = min(steps, self._responses.max_fill_parts)
        if most > 1 and self._chance.next() < self._responses.partial_fill_rate:
            parts = 2 + int(self._chance.next() * (most - 1))
        when = now
        for part in range(parts):
            when += self._wait.next()
            share = steps // parts + (1 if part < steps % parts else 0)
            self._scheduler.at(when, self._resting_fill, order, share * self._size_step)

    def _resting_fill(self, order: Order, size: int) -> None:
        working = self._open.get(order.order_id)
        if working is None:
            return  # cancelled or expired before the market got here
        size = min(size, working[0])
        working[0] -= size
        if not working[0]:
            del self._open[order.order_id]
        price = order.intent.price
        fee = order.intent.market.fees.fee(size, price, Liquidity.MAKER)
        when = self._after(working, self._fill.next())
        self._scheduler.at(when, self._deliver, order, OrderEvent.FILL, price, size, fee)

    def _expire(self, order: Order) -> None:
        working = self._open.pop(order.order_id, None)
        if working is not None:
            when = self._after(working, self._ack.next())
            self._scheduler.at(when, self._deliver, order, OrderEvent.EXPIRE)

    def _cancel_arrives(self, order: Order) -> None:
        # Nothing working any more: the fill, expiry or reject already on its way settles it.
        working = self._open.pop(order.order_id, None)
        if working is not None:
            self._scheduler.at(self._after(working, 0), self._deliver, order, OrderEvent.CANCEL_ACK)

    def _after(self, working: list[int], latency: int) -> int:
        """When a message sent now about a working order arrives: after the one before it."""
        working[1] = max(self._scheduler.now + latency, working[1])
        return working[1]
