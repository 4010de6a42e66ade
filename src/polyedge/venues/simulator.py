"""A simulated venue: its rules, latencies, markets, faults and response model.

An order reaches the venue one submit-ack latency after it is sent. There it is checked
against the venue's rules (market open, tick, price bounds, minimum size, size step, GTD
expiry, rate limit) and may be rejected at random with one of the venue's codes;
otherwise it is acknowledged and meets the market's liquidity (venues.liquidity): what
crosses is taken at once, at the resting orders' prices (the price improvement goes to
the taker); FOK orders that cannot fill entirely are rejected, the unfilled rest of FAK
orders expires, and GTC / GTD rests until it fills, expires or is cancelled.

What happens at the venue (arrival, a match, an expiry, a cancel arriving) is decided
at that moment; the message about it reaches the engine one message latency later. So a
cancel that arrives after the venue has matched the order finds nothing to cancel, and
the engine sees the fill come in while its cancel is pending: the late-fill race. The
messages about one order travel on one connection, in order: none overtakes another
(unless a fault says so). Markets change tick, close (resting orders are cancelled by
the venue, new ones rejected) and resolve on their configured schedule.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import numpy as np

from polyedge.config import FaultConfig, MarketConfig, VenueConfig
from polyedge.fixedpoint import SCALE
from polyedge.randomness import Draws, component_rng
from polyedge.scheduler import Scheduler
from polyedge.state import OrderTracker
from polyedge.types import Intent, Liquidity, Market, Order, OrderEvent, Outcome, Side, TimeInForce
from polyedge.venues.amounts import affordable_size
from polyedge.venues.liquidity import (
    BookLiquidity,
    Levels,
    Maker,
    MarketLiquidity,
    PricePath,
    TouchLiquidity,
    WalkPath,
)
from polyedge.venues.profiles import Rule

# Members read on every order, bound once: on Python 3.11 reading a member off its
# Enum class costs ten times a global (EnumType.__getattr__ slows every class read).
_MAKER = Liquidity.MAKER
_TAKER = Liquidity.TAKER
_ACK = OrderEvent.ACK
_CANCEL_ACK = OrderEvent.CANCEL_ACK
_EXPIRE = OrderEvent.EXPIRE
_FILL = OrderEvent.FILL
_REJECT = OrderEvent.REJECT
_BUY = Side.BUY
_FAK = TimeInForce.FAK
_FOK = TimeInForce.FOK

_NS = 1_000_000_000
Resolve = Callable[[str, Outcome | None], None]  # market id, winner (None: void)


class _Market:
    """The venue's own view of one market: the figures its rules read for every order,
    with the tick the venue has now (which a tick change moves away from the Market's),
    in one record the compiled rules read as C fields."""

    __slots__ = (
        "config",
        "fees",
        "grid",
        "gtd_threshold",
        "liquidity",
        "min_size",
        "open",
        "size_step",
        "tick_size",
    )

    def __init__(self, config: MarketConfig, market: Market, liquidity: MarketLiquidity) -> None:
        self.config = config
        self.grid = config.price_structure  # a pydantic read costs more still
        self.tick_size = market.tick_size
        self.min_size = market.min_size
        self.size_step = market.size_step
        self.gtd_threshold = market.gtd_threshold
        self.fees = market.fees
        self.liquidity = liquidity
        self.open = True


class _Working:
    """An order the venue has: on its way there (until it arrives, `last` is when it
    will) or working there. What is left of it, when its last message lands, and the
    venue's market it works on. Made by _working(); called, it arrives at its venue.

    Scheduled itself for its arrival, with no arguments: the bound method it replaced
    had its one argument packed in a tuple and unpacked again (measured: 180 instructions
    an intent).
    """

    __slots__ = ("arrived", "last", "market", "order", "rest", "venue")

    order: Order
    rest: int
    last: int
    market: _Market
    arrived: bool
    venue: VenueSimulator

    def __call__(self) -> None:
        self.venue._arrive(self)


def _working(venue: VenueSimulator, order: Order, arrival: int, market: _Market) -> _Working:
    """The record of an order sent now, to arrive at `arrival`. Compiled, its fields are
    set as C fields on a bare instance, where calling the class parsed the arguments
    (measured: 110 instructions an intent more)."""
    working = _Working.__new__(_Working)
    working.venue = venue
    working.order = order
    working.rest = order.intent.size
    working.last = arrival  # no message before it arrives: then its first may leave
    working.market = market
    working.arrived = False
    return working


class VenueSimulator(Maker):
    def __init__(
        self,
        config: VenueConfig,
        markets: list[tuple[MarketConfig, Market]],
        seed: int,
        scheduler: Scheduler,
        tracker: OrderTracker,
        paths: dict[str, PricePath] | None = None,
        resolve: Resolve | None = None,
    ) -> None:
        rules = config.rules
        self._codes = rules.codes
        self._min_marketable_buy = rules.min_marketable_buy
        self._random_codes = rules.random_reject_codes
        self._self_trade = rules.self_trade_prevention
        self._responses = config.responses
        self._reject_rate = config.responses.reject_rate  # read per order (as grid is)
        self._scheduler = scheduler
        self._tracker = tracker
        self._deliver = tracker.apply  # bound once: _send() schedules it for every message
        self._resolve = resolve

        def rng(*names: str) -> np.random.Generator:
            return component_rng(seed, "venue", config.venue, *names)

        latency = config.latency
        self._ack = latency.submit_ack.stream(rng("latency", "submit_ack"))
        self._fill = latency.fill.stream(rng("latency", "fill"))
        self._cancel = latency.cancel_ack.stream(rng("latency", "cancel_ack"))
        self._chance = Draws(rng("responses").random)
        self._markets: dict[str, _Market] = {}
        for mc, market in markets:
            self._markets[market.market_id] = _Market(
                mc, market, self._liquidity(mc, market, seed, paths)
            )
            self._schedule_lifecycle(mc, seed)
        # None when the venue injects no faults: the hot path then skips every check.
        self._faults = _Faults(config.faults, rng("faults")) if config.faults.any() else None
        self.faults: Counter[str] = self._faults.injected if self._faults else Counter()
        # Every order the venue has, by id: on its way (not `arrived`: a cancel must not
        # overtake it) or working. One record from the send to the end, where a dict of
        # orders in transit and one of working orders cost two entries more an order.
        self._open: dict[int, _Working] = {}
        self._lost: set[int] = set()  # orders a silent outage swallowed (status: unknown)
        self._trade_ids = 0
        limit = config.rate_limit
        # Token bucket in token-nanoseconds: an order costs _NS, refilled per_second per ns.
        self._refill = limit.per_second if limit else 0
        self._capacity = limit.burst * _NS if limit else 0
        self._tokens = self._capacity
        self._refilled_at = 0

    def _liquidity(
        self, mc: MarketConfig, market: Market, seed: int, paths: dict[str, PricePath] | None
    ) -> MarketLiquidity:
        if mc.liquidity == "touch":
            return TouchLiquidity(mc, market, self._responses, seed, self._scheduler, self)
        path = (paths or {}).get(market.market_id) or WalkPath(mc, market, seed)
        prevention = self._self_trade != "none"
        return BookLiquidity(mc, market, path, seed, self._scheduler, self, prevention)

    def _schedule_lifecycle(self, mc: MarketConfig, seed: int) -> None:
        for change in mc.tick_changes:
            self._scheduler.at(
                int(change.at_s * _NS), self._change_tick, mc.market_id, change.tick_size
            )
        if mc.close_at_s is not None:
            draw = component_rng(seed, "resolution", mc.market_id).random()
            self._scheduler.at(int(mc.close_at_s * _NS), self._close, mc.market_id, draw)

    # --- requests from the engine --------------------------------------------------------

    def submit(self, order: Order) -> None:
        arrival = self._scheduler.clock()  # compiled, C ints (simulator.pxd)
        arrival = self._connected(arrival + self._ack.next())
        working = _working(self, order, arrival, self._markets[order.intent.market.market_id])
        self._open[order.order_id] = working
        self._scheduler.schedule(arrival, working, ())

    def cancel(self, order: Order) -> None:
        when = self._connected(self._scheduler.clock() + self._cancel.next())
        self._scheduler.schedule(self._behind(order, when), self._cancel_arrives, (order,))

    def status(self, order: Order, cancelling: bool) -> None:
        """The engine asks what became of `order` (and of its cancel, when `cancelling`):
        it heard nothing for too long."""
        when = self._connected(self._scheduler.clock() + self._ack.next())
        when = self._behind(order, when)
        self._scheduler.schedule(when, self._status_arrives, (order, cancelling))

    def _behind(self, order: Order, when: int) -> int:
        """When a request about `order` due at `when` reaches the venue: one connection,
        so never before the order itself."""
        working = self._open.get(order.order_id)
        if working is not None and not working.arrived:
            return max(when, working.last)
        return when

    def quote(self, market_id: str, outcome: Outcome) -> tuple[int, int]:
        """The best bid and ask of `outcome` on `market_id` now, in units."""
        return self._markets[market_id].liquidity.quote(self._scheduler.clock(), outcome)

    def levels(self, market_id: str, count: int) -> tuple[Levels, Levels]:
        """The public book of YES on `market_id` now (MarketLiquidity.levels)."""
        return self._markets[market_id].liquidity.levels(self._scheduler.clock(), count)

    # --- what happens at the venue -------------------------------------------------------

    def _arrive(self, working: _Working) -> None:
        now = self._scheduler.clock()
        working.arrived = True
        order = working.order
        intent = order.intent
        venue_market = working.market
        if self._faults and self._faults.lost(now):
            del self._open[order.order_id]
            self._lost.add(order.order_id)  # the venue is down: the engine's watchdog asks later
            return
        code = self._broken_rule(intent, venue_market, now)
        if code:
            self._refuse(now, order, code)
            return
        liquidity = venue_market.liquidity
        bid, ask = liquidity.quote(now, intent.outcome)
        price = intent.price  # compiled, the three are C ints (simulator.pxd)
        buying = intent.side is _BUY
        crosses = price >= ask if buying else price <= bid
        if crosses and intent.post_only:
            self._refuse(now, order, self._codes[Rule.POST_ONLY_CROSS])
            return
        if crosses and buying and intent.size * intent.price < self._min_marketable_buy * SCALE:
            self._refuse(now, order, self._codes[Rule.MIN_MARKETABLE_BUY])
            return
        tif = intent.time_in_force
        wanted = intent.size if intent.max_cost is None else self._affordable(intent, venue_market)
        fok = tif is _FOK
        stopped = False  # self-trade prevention stopped it short of an order of ours
        if crosses and self._self_trade != "none":
            room, ours = liquidity.self_trades(order, now)
            if ours and self._self_trade == "maker":
                for order_id in ours:  # ours resting in its way are cancelled, it trades on
                    self._venue_cancel(self._open[order_id])
            elif ours and room < wanted:
                step = venue_market.size_step
                wanted, stopped = room // step * step, True
        taken = (
            liquidity.take(order, wanted, now, all_or_none=fok)
            if crosses and wanted and not (fok and stopped)
            else []
        )
        filled = 0
        for _, size, _ in taken:  # not sum() of a list: compiled, this loop adds C-fast
            filled += size
        if fok and (filled < wanted or not wanted or stopped):
            self._refuse(now, order, self._codes[Rule.FOK_UNFILLED])
            return
        working.rest = intent.size - filled
        for price, size, _ in taken:
            self._fill_message(working, price, size, _TAKER)
        faults = self._faults
        if not faults:
            self._answer(now, order, _ACK)
        elif not faults.drop_ack():
            self._send(faults.ack_time(now, working.last), order, _ACK)
        rest = working.rest
        if not rest:
            del self._open[order.order_id]
            return
        if stopped:  # the venue cancels what is left of it at the cross with our own
            self._venue_cancel(working)
            return
        if fok or tif is _FAK:
            # The rest expires, after the fill messages: FAK's, or what max_cost capped off.
            del self._open[order.order_id]
            self._send(self._after(working, 0), order, _EXPIRE)
            return
        liquidity.rest(order, rest, now)
        if intent.expires_at is not None:
            expiry = intent.expires_at - venue_market.gtd_threshold
            self._scheduler.schedule(expiry, self._expire, (order,))

    def _refuse(self, now: int, order: Order, code: str) -> None:
        """The venue rejects `order` as it arrives: it is not the venue's any more."""
        del self._open[order.order_id]
        self._answer(now, order, _REJECT, code)

    def _broken_rule(self, intent: Intent, venue_market: _Market, now: int) -> str:
        """The reject code for the first rule of this venue `intent` breaks, or "".

        The venue's own market decides, not the client's copy of it (its tick may differ).
        """
        codes = self._codes
        if not venue_market.open:
            return codes[Rule.MARKET_CLOSED]
        if self._faults and self._faults.down(now):
            return codes[Rule.OUTAGE]
        # Compiled, the figures are C ints (simulator.pxd): the checks cost no Python ints.
        scale, price, size = SCALE, intent.price, intent.size
        tick, min_size, step = venue_market.tick_size, venue_market.min_size, venue_market.size_step
        if not tick <= price <= scale - tick:
            return codes[Rule.PRICE_BOUNDS]
        if price % tick:
            return codes[Rule.TICK]
        grid = venue_market.grid
        if grid is not None and not grid.is_valid(intent.price):
            return codes[Rule.TICK]  # on the finest step, but not on the grid at that price
        if size < min_size:
            return codes[Rule.MIN_SIZE]
        if size % step:
            return codes[Rule.SIZE_STEP]
        if intent.expires_at is not None and intent.expires_at <= now + venue_market.gtd_threshold:
            return codes[Rule.EXPIRATION]
        if self._capacity and not self._take_token(now):
            return codes[Rule.RATE_LIMITED]
        if self._chance.next() < self._reject_rate:
            return self._random_codes[int(self._chance.next() * len(self._random_codes))]
        return ""

    @staticmethod
    def _affordable(intent: Intent, venue_market: _Market) -> int:
        """How much of a max_cost BUY its budget pays for at its limit, fees included."""
        return affordable_size(
            intent.price,
            intent.size,
            intent.max_cost or 0,
            venue_market.size_step,
            lambda size: venue_market.fees.fee(size, intent.price, _TAKER),
        )

    def _take_token(self, now: int) -> bool:
        tokens = min(self._capacity, self._tokens + (now - self._refilled_at) * self._refill)
        self._refilled_at = now
        if tokens < _NS:
            self._tokens = tokens
            return False
        self._tokens = tokens - _NS
        return True

    def maker_fill(self, order_id: int, price: int, size: int) -> None:
        working = self._open.get(order_id)
        if working is None:
            return  # cancelled or expired before the market got here
        size = min(size, working.rest)
        working.rest -= size
        if not working.rest:
            del self._open[order_id]
        self._fill_message(working, price, size, _MAKER)

    def _fill_message(self, working: _Working, price: int, size: int, side: Liquidity) -> None:
        """Tell the engine its order traded, with the fee the venue's market charges."""
        order = working.order
        venue_market = working.market
        fee = venue_market.fees.fee(size, price, side)
        self._trade_ids += 1
        when = self._after(working, self._fill.next())
        self._send(when, order, _FILL, "", price, size, fee, self._trade_ids, side)
        if self._faults and self._faults.duplicate_fill():
            self._send(when, order, _FILL, "", price, size, fee, self._trade_ids, side)

    def _expire(self, order: Order) -> None:
        working = self._open.pop(order.order_id, None)
        if working is not None:
            working.market.liquidity.remove(order.order_id)
            self._send(self._after(working, self._ack.next()), order, _EXPIRE)

    def _cancel_arrives(self, order: Order) -> None:
        now = self._scheduler.clock()
        if self._faults and self._faults.lost(now):
            return
        # Nothing working any more: the fill, expiry or reject already on its way settles it.
        working = self._open.get(order.order_id)
        if working is None:
            return
        if self._faults and self._faults.down(now):
            reason = self._codes[Rule.OUTAGE]
            when = self._after(working, self._cancel.next())
            self._send(when, order, OrderEvent.CANCEL_REJECT, reason)
            return
        del self._open[order.order_id]
        working.market.liquidity.remove(order.order_id)
        self._send(self._after(working, 0), order, _CANCEL_ACK)

    def _status_arrives(self, order: Order, cancelling: bool) -> None:
        """Answer a status query with what the venue knows of the order; a query about a
        cancel that never arrived is a retry of that cancel."""
        if self._faults and self._faults.lost(self._scheduler.clock()):
            return
        if order.order_id in self._lost:
            self._lost.discard(order.order_id)
            reason = self._codes[Rule.UNKNOWN_ORDER]
            self._send(self._scheduler.clock() + self._ack.next(), order, _REJECT, reason)
        elif cancelling:
            self._cancel_arrives(order)
        elif (working := self._open.get(order.order_id)) is not None:
            self._send(self._after(working, self._ack.next()), order, _ACK)
        # Otherwise the order is done and the message saying so is on its way.

    # --- the market's lifecycle -------------------------------------------------------------

    def _change_tick(self, market_id: str, tick: int) -> None:
        venue_market = self._markets[market_id]
        venue_market.tick_size = tick
        venue_market.liquidity.tick = tick

    def _close(self, market_id: str, draw: float) -> None:
        """Trading stops: every resting order is cancelled by the venue; then it resolves."""
        venue_market = self._markets[market_id]
        venue_market.open = False
        now = self._scheduler.clock()
        for working in list(self._open.values()):
            if working.market is venue_market and working.arrived:  # the rest: rejected
                self._venue_cancel(working)
        resolution = venue_market.config.resolution
        if resolution is None or self._resolve is None:
            return
        if resolution == "fair":
            bid, ask = venue_market.liquidity.quote(now, Outcome.YES)
            yes_wins = draw * SCALE < (bid + ask) // 2
            winner: Outcome | None = Outcome.YES if yes_wins else Outcome.NO
        else:
            winner = None if resolution == "void" else Outcome(resolution)
        self._resolve(market_id, winner)

    def _venue_cancel(self, working: _Working) -> None:
        """The venue cancels a working order of its own accord."""
        order = working.order
        del self._open[order.order_id]
        working.market.liquidity.remove(order.order_id)
        self._send(self._after(working, self._cancel.next()), order, OrderEvent.VENUE_CANCEL)

    # --- messages to the engine -------------------------------------------------------------

    def _answer(self, now: int, order: Order, event: OrderEvent, reason: str = "") -> None:
        """The venue's first word on an order arriving `now`: its ack or its reject.

        Nothing else about the order is on its way before it, so the engine has it at once,
        not queued behind whatever else is due now (measured: a fifth fewer actions in
        the scheduler). With faults injected it is sent as any message is, for a
        disconnect to hold.
        """
        if self._faults:
            self._send(now, order, event, reason)
        else:
            self._tracker.apply(order, event, 0, 0, 0, reason, 0)

    def _send(
        self,
        when: int,
        order: Order,
        event: OrderEvent,
        reason: str = "",
        price: int = 0,
        size: int = 0,
        fee: int = 0,
        trade_id: int = 0,
        liquidity: Liquidity | None = None,
    ) -> None:
        # Called with positional arguments only: compiled, a keyword after a skipped
        # default makes it a Python call (measured: an eighth of a fill message's cost).
        when = self._connected(when)
        message = (order, event, price, size, fee, reason, trade_id, liquidity)
        self._scheduler.schedule(when, self._deliver, message)

    def _connected(self, when: int) -> int:
        return self._faults.connected(when) if self._faults else when

    def _after(self, working: _Working, latency: int) -> int:
        """When a message sent now about a working order arrives: after the one before it."""
        when = self._scheduler.clock()  # compiled, a C int (simulator.pxd): so is the sum
        when += latency
        if when > working.last:
            working.last = when
        return working.last


class _Faults:
    """The faults one venue injects, from its own seeded stream; counted by kind."""

    def __init__(self, config: FaultConfig, rng: np.random.Generator) -> None:
        self._config = config
        self._chance = Draws(rng.random)
        self.injected: Counter[str] = Counter()
        self._outages = [(int(w.start_s * _NS), int(w.end_s * _NS), w.mode) for w in config.outages]
        self._disconnects = [
            (int(d.at_s * _NS), int((d.at_s + d.down_s) * _NS)) for d in config.disconnects
        ]

    def _roll(self, rate: float, kind: str) -> bool:
        if rate and self._chance.next() < rate:
            self.injected[kind] += 1
            return True
        return False

    def drop_ack(self) -> bool:
        return self._roll(self._config.drop_ack_rate, "dropped_ack")

    def duplicate_fill(self) -> bool:
        return self._roll(self._config.duplicate_fill_rate, "duplicate_fill")

    def ack_time(self, when: int, last: int) -> int:
        """When the ack goes out: `when`, or (reordered) with the fills sent until `last`."""
        if last != when and self._roll(self._config.reorder_rate, "ack_after_fill"):
            return last
        return when

    def _outage(self, now: int) -> str:
        for start, end, mode in self._outages:
            if start <= now < end:
                return mode
        return ""

    def down(self, now: int) -> bool:
        """A request arriving now is refused: the venue is in a rejecting outage."""
        if self._outage(now) == "reject":
            self.injected["outage_reject"] += 1
            return True
        return False

    def lost(self, now: int) -> bool:
        """A request arriving now gets no answer: the venue is in a silent outage."""
        if self._outage(now) == "timeout":
            self.injected["outage_timeout"] += 1
            return True
        return False

    def connected(self, when: int) -> int:
        """When a message due at `when` gets through: held until the connection is back."""
        for start, end in self._disconnects:
            if start <= when < end:
                self.injected["held_by_disconnect"] += 1
                return end
        return when
