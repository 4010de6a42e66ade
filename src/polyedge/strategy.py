"""Closed-loop strategies: the user's bot, in the loop, reacting to what the venues say.

A `Strategy` is handed a `Context` in every callback. Its callbacks run inside the run's
scheduler, in simulated-time order: deterministically in virtual time, at real offsets
in real time. What it sees is what a bot would see, never better: the venues' answers
about its orders after their message latency, and each market's public book as the
venue published it, after a market-data latency.

    class Quoter(Strategy):
        def on_book(self, ctx, market_id, book):
            if book.best_bid and not ctx.open_orders(market_id):
                ctx.submit(market_id, "buy", "yes", book.best_bid, to_units(10))

        def on_fill(self, ctx, fill):
            ctx.cancel(fill.order_id)

Coroutine bots define `async def run(self, ctx)` and await the context's waits
(`ctx.sleep`, `ctx.response`, `ctx.done`, `ctx.events()`); simulated time moves on only
while every such coroutine waits (polyedge.driven runs them, not the event loop).

By default the strategy sees the engine's clean view: each order's messages once, in a
legal order (a duplicated fill is dropped, an ack overtaken by the order's fills is not
delivered). With `raw`, it receives every message exactly as the venue delivered it
(duplicates, acks after fills, answers to status queries), while the engine still applies
them to the strict state machine as the truth; the result then carries that truth per
order, and `reconcile` lists where a bot's own bookkeeping disagrees with it.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import inspect
import sys
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Self

from polyedge._core.definitions import TERMINAL_STATES
from polyedge.config import ConfigError, StrategyConfig
from polyedge.driven import Driven, Signal
from polyedge.errors import InvalidValue, PolyedgeError
from polyedge.fixedpoint import SCALE, Rounding, round_div
from polyedge.metrics import OrderTruth
from polyedge.metrics import Position as RunPosition
from polyedge.randomness import component_rng
from polyedge.types import (
    Fill,
    Intent,
    Liquidity,
    Market,
    Order,
    OrderEvent,
    OrderState,
    Outcome,
    Side,
    TimeInForce,
)
from polyedge.venues.liquidity import Levels

if TYPE_CHECKING:
    from polyedge.engine import Pipeline

__all__ = [
    "Book",
    "Context",
    "Disagreement",
    "OrderStatus",
    "OrderTruth",
    "OrderUpdate",
    "Position",
    "Strategy",
    "StrategyError",
    "TimerFired",
    "UnknownMarket",
    "UnknownOrder",
    "UpdateKind",
    "load_strategy",
    "reconcile",
]

NS_PER_S = 1_000_000_000
_FILE_MODULE = "_polyedge_strategy_"  # the name of a strategy file's module, before its stem
KEPT_ENDED = 10_000  # ended orders ctx.order() still answers for (memory stays flat)


class StrategyError(PolyedgeError):
    """A strategy's callback or coroutine raised: the run stops, naming where and when."""


class UnknownMarket(InvalidValue):
    """A market id the run has no market for."""


class UnknownOrder(InvalidValue):
    """An order id this strategy never sent."""


class UpdateKind(StrEnum):
    """What a venue said about an order (fills come to on_fill)."""

    ACK = "ack"
    REJECT = "reject"
    CANCEL_ACK = "cancel_ack"
    CANCEL_REJECT = "cancel_reject"
    EXPIRED = "expired"
    VENUE_CANCEL = "venue_cancel"
    CANCELLED_UNSENT = "cancelled_unsent"  # cancelled before it left for the venue


_KIND = {
    OrderEvent.ACK: UpdateKind.ACK,
    OrderEvent.REJECT: UpdateKind.REJECT,
    OrderEvent.CANCEL_ACK: UpdateKind.CANCEL_ACK,
    OrderEvent.CANCEL_REJECT: UpdateKind.CANCEL_REJECT,
    OrderEvent.EXPIRE: UpdateKind.EXPIRED,
    OrderEvent.VENUE_CANCEL: UpdateKind.VENUE_CANCEL,
}
_SUBMIT = OrderEvent.SUBMIT
_FILL = OrderEvent.FILL
_PARTIAL_FILL = OrderEvent.PARTIAL_FILL
# Names as a bot writes them, to their enums: a dict lookup, where the enum's own lookup
# by value costs ten times as much.
_SIDES: dict[object, Side] = {side.value: side for side in Side}
_OUTCOMES: dict[object, Outcome] = {outcome.value: outcome for outcome in Outcome}
_TIMES_IN_FORCE: dict[object, TimeInForce] = {tif.value: tif for tif in TimeInForce}
_CANCEL_REQUEST = OrderEvent.CANCEL_REQUEST
_BUY = Side.BUY
_YES = Outcome.YES


class OrderUpdate(NamedTuple):
    """A venue's message about one of the strategy's orders (not a fill). `reason` is the
    venue's code for a reject or a refused cancel, "" otherwise; `time` is when it
    arrived (simulated ns)."""

    order_id: int
    kind: UpdateKind
    reason: str
    time: int


class TimerFired(NamedTuple):
    """A timer set with ctx.set_timer went off (delivered to on_timer and events())."""

    name: str
    time: int


class Book(NamedTuple):
    """A market's public book of YES as the venue published it at `time` (simulated ns):
    (price, size) levels in units, best first; our own resting orders are in it. NO's
    book is its mirror: a NO bid at q is a YES ask at 1 - q (see quote())."""

    market_id: str
    time: int
    bids: Levels
    asks: Levels

    @property
    def best_bid(self) -> int | None:
        return self.bids[0][0] if self.bids else None

    @property
    def best_ask(self) -> int | None:
        return self.asks[0][0] if self.asks else None

    @property
    def bid_size(self) -> int:
        return self.bids[0][1] if self.bids else 0

    @property
    def ask_size(self) -> int:
        return self.asks[0][1] if self.asks else 0

    @property
    def mid(self) -> int | None:
        """The midpoint of YES in units (rounded half to even), if both sides quote."""
        if not self.bids or not self.asks:
            return None
        return round_div(self.bids[0][0] + self.asks[0][0], 2, Rounding.HALF_EVEN)

    def quote(self, outcome: Outcome | str) -> tuple[int | None, int | None]:
        """The best (bid, ask) of `outcome`."""
        if Outcome(outcome) is _YES:
            return self.best_bid, self.best_ask
        ask, bid = self.best_bid, self.best_ask
        return (None if bid is None else SCALE - bid), (None if ask is None else SCALE - ask)


class OrderStatus(NamedTuple):
    """One of the strategy's orders as the messages so far leave it (the engine's view)."""

    order_id: int
    market_id: str
    side: Side
    outcome: Outcome
    price: int
    size: int
    time_in_force: TimeInForce
    state: OrderState
    filled: int

    @property
    def remaining(self) -> int:
        return self.size - self.filled

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES


def _status(order: Order) -> OrderStatus:
    intent = order.intent
    return OrderStatus(
        order.order_id,
        intent.market.market_id,
        intent.side,
        intent.outcome,
        intent.price,
        intent.size,
        intent.time_in_force,
        order.state,
        order.filled,
    )


@dataclass(frozen=True, slots=True)
class Position:
    """What the strategy holds in one market, from the fills applied so far. Shares, cash
    and fees in units (cash: what trades paid and received, fees not included).

    `realised_pnl` is average-cost PnL of what was closed out, before fees;
    `mark_to_market_pnl` values the shares at the mid of the latest book the strategy
    saw, fees deducted (None before a book with both sides has arrived).
    """

    market_id: str
    yes: int
    no: int
    cash: int
    fees: int
    realised_pnl: int
    mark_to_market_pnl: int | None


class _Holding:
    """One outcome's shares and their average cost (units squared: exact)."""

    __slots__ = ("cost", "realised", "shares")

    def __init__(self) -> None:
        self.shares = 0
        self.cost = 0
        self.realised = 0  # units squared

    def trade(self, held: int, price: int) -> None:
        """`held` shares more (negative: fewer) at `price`."""
        shares = self.shares
        if shares and (shares > 0) != (held > 0):  # closes some of the position
            closed = min(abs(held), abs(shares)) * (1 if held > 0 else -1)
            released = self.cost * -closed // shares  # its share of the cost, floored
            self.realised += -closed * price - released
            self.cost -= released
            self.shares += closed
            held -= closed
        self.shares += held
        self.cost += held * price


@dataclass(frozen=True, slots=True)
class Disagreement:
    """Where a bot's record of an order differs from the truth (None: it has no record)."""

    order_id: int
    field: str
    truth: object
    mine: object


def reconcile(
    truth: Mapping[int, OrderTruth], mine: Mapping[int, OrderTruth]
) -> list[Disagreement]:
    """Every difference between the engine's truth and a bot's own records, by order id
    then field: orders one side lacks, then state, filled size, fees and trade ids (a
    bot's `state` may be an OrderState or its name)."""
    found: list[Disagreement] = []
    for order_id in sorted(truth.keys() | mine.keys()):
        real, own = truth.get(order_id), mine.get(order_id)
        if real is None or own is None:
            found.append(Disagreement(order_id, "order", real, own))
            continue
        state = OrderState[own.state.upper()] if isinstance(own.state, str) else own.state
        for name, theirs, ours in (
            ("state", real.state, state),
            ("filled", real.filled, own.filled),
            ("fees", real.fees, own.fees),
            ("trade_ids", real.trade_ids, tuple(own.trade_ids)),
        ):
            if theirs != ours:
                found.append(Disagreement(order_id, name, theirs, ours))
    return found


class Strategy:
    """Subclass and override what the bot reacts to; every callback gets the Context.

    Callbacks: on_start, on_book(market_id, book), on_order(update), on_fill(fill),
    on_timer(name), on_stop. Or define `async def run(self, ctx)` (see polyedge.strategy).
    A callback that raises stops the run with a StrategyError naming it.
    """

    _arguments: str  # repr of what the strategy was made with (identity())

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        strategy = super().__new__(cls)
        strategy._arguments = repr((args, sorted(kwargs.items())))
        return strategy

    def __init__(self) -> None:
        """A strategy without parameters (subclasses take theirs as keyword arguments)."""

    def name(self) -> str:
        """How the report names the strategy: "module:Class", or "file.py:Class" for one
        loaded from a file."""
        cls = type(self)
        module = cls.__module__
        if module.startswith(_FILE_MODULE):
            module = Path(inspect.getfile(cls)).name
        return f"{module}:{cls.__qualname__}"

    def identity(self) -> bytes:
        """What defines this strategy for its run's id: its class, the source file it is
        defined in and the arguments it was made with. A deterministic run keeps its id,
        and can be resumed, while these stay the same; override if arguments' reprs
        are not stable (objects printed with their address)."""
        cls = type(self)
        defined = f"{cls.__module__}.{cls.__qualname__}{self._arguments}".encode()
        with contextlib.suppress(OSError, TypeError):
            defined += Path(inspect.getfile(cls)).read_bytes()
        return defined

    def on_start(self, ctx: Context) -> None:
        """The run starts (simulated time 0)."""

    def on_book(self, ctx: Context, market_id: str, book: Book) -> None:
        """A market's book has arrived (every `book_interval_s`, after its latency)."""

    def on_order(self, ctx: Context, update: OrderUpdate) -> None:
        """A venue said something about an order: ack, reject, cancel ack or reject,
        expiry, or a cancel of its own accord."""

    def on_fill(self, ctx: Context, fill: Fill) -> None:
        """An order traded (fill.liquidity says whether it made or took liquidity)."""

    def on_timer(self, ctx: Context, name: str) -> None:
        """A timer set with ctx.set_timer went off."""

    def on_stop(self, ctx: Context) -> None:
        """The run stops: the strategy may still cancel (and submit) here; what it sent
        is then let finish."""


def load_strategy(spec: str, params: Mapping[str, Any] | None = None) -> Strategy:
    """The strategy `spec` names ("path/to/bot.py:Class" or "package.module:Class"),
    made with `params` as keyword arguments; ConfigError saying what is wrong."""
    where, _, name = spec.rpartition(":")
    if not where or not name:
        raise ConfigError(f'strategy {spec!r}: give it as "file.py:Class" or "module:Class"')
    try:
        if where.endswith(".py"):
            path = Path(where)
            if not path.is_file():
                raise ConfigError(f"strategy {spec!r}: no file {path}")
            loaded = importlib.util.spec_from_file_location(f"{_FILE_MODULE}{path.stem}", path)
            assert loaded is not None and loaded.loader is not None
            module = importlib.util.module_from_spec(loaded)
            sys.modules[loaded.name] = module  # for dataclasses and pickling in it
            # Its own folder first on the path while it loads, as `python bot.py` has it:
            # a bot importing modules of its own beside it finds them.
            folder = str(path.resolve().parent)
            sys.path.insert(0, folder)
            try:
                loaded.loader.exec_module(module)
            finally:
                sys.path.remove(folder)
        else:
            module = importlib.import_module(where)
    except ConfigError:
        raise
    except Exception as exc:
        raise ConfigError(
            f"strategy {spec!r}: loading it raised {type(exc).__name__}: {exc}"
        ) from exc
    cls = getattr(module, name, None)
    if not (isinstance(cls, type) and issubclass(cls, Strategy)):
        raise ConfigError(f"strategy {spec!r}: {where} has no Strategy subclass {name}")
    try:
        return cls(**(params or {}))
    except TypeError as exc:
        raise ConfigError(f"strategy {spec!r}: its [strategy.params] do not fit: {exc}") from exc


def _overrides(strategy: Strategy, name: str) -> bool:
    return getattr(type(strategy), name) is not getattr(Strategy, name)


class _Events:
    """ctx.events(): every message, book and timer, in arrival order."""

    def __init__(self) -> None:
        self.queue: deque[OrderUpdate | Fill | Book | TimerFired] = deque()
        self.arrived: Signal[None] | None = None
        self.closed = False

    def put(self, event: OrderUpdate | Fill | Book | TimerFired) -> None:
        self.queue.append(event)
        self._wake()

    def close(self) -> None:
        """The run stops: the iteration ends once what has arrived is taken."""
        self.closed = True
        self._wake()

    def _wake(self) -> None:
        """Resume the coroutine waiting for the next event, if one is."""
        if self.arrived is not None:
            arrived, self.arrived = self.arrived, None
            arrived.set(None)

    def __aiter__(self) -> _Events:
        return self

    async def __anext__(self) -> OrderUpdate | Fill | Book | TimerFired:
        while not self.queue:
            if self.closed:
                raise StopAsyncIteration
            self.arrived = Signal()
            await self.arrived
        return self.queue.popleft()


class Context:
    """The strategy's handle on the run, handed to every callback.

    Amounts are ints of units (polyedge.fixedpoint.to_units makes them); times are
    simulated nanoseconds since the run started. Bad calls raise InvalidValue (or
    FloatRefused for a float amount) and change nothing.
    """

    def __init__(self, pipeline: Pipeline, strategy: Strategy, config: StrategyConfig) -> None:
        self._pipeline = pipeline
        self._scheduler = pipeline.scheduler
        self._strategy = strategy
        self._config = config
        self._markets: dict[str, Market] = pipeline.markets
        self._next_id = 1
        self._working: dict[int, Order] = {}
        # The first message about each working order, for response(); and the latest ended
        # orders with theirs, for order(), response() and done().
        self._first: dict[int, OrderUpdate | Fill] = {}
        self._ended: dict[int, tuple[Order, OrderUpdate | Fill | None]] = {}
        self._every: dict[int, Order] | None = {} if config.raw else None  # raw: the truth
        self._fills: dict[int, list[Fill]] = {}  # raw: each order's applied fills
        # The average cost of each market's YES and NO, for realised PnL (shares, cash and
        # fees are the run's positions, which the tracker keeps).
        self._holdings = {market_id: (_Holding(), _Holding()) for market_id in self._markets}
        self._books: dict[str, Book] = {}
        self._timers: dict[str, object] = {}  # name -> the token of its live schedule
        self._responses: dict[int, Signal[OrderUpdate | Fill]] = {}
        self._ends: dict[int, Signal[OrderStatus]] = {}
        self._streams: list[_Events] = []
        self._coroutines: list[Driven] = []
        self.stopping = False  # stop() was called, or the run's end reached
        self.closed = False  # on_stop has run: no new orders
        self.last_at = 0  # ns: the latest stop or message about the strategy's orders
        self._on_book = strategy.on_book if _overrides(strategy, "on_book") else None
        # Bound when overridden: a message costs no call to a callback that does nothing.
        self._on_order: Callable[[Context, Any], None] | None = (
            strategy.on_order if _overrides(strategy, "on_order") else None
        )
        self._on_fill: Callable[[Context, Any], None] | None = (
            strategy.on_fill if _overrides(strategy, "on_fill") else None
        )
        virtual = pipeline.config.mode == "virtual"
        self._clock = "simulated time" if virtual else "time into the run"  # for errors
        self._feed_last: dict[str, int] = {}
        self._feed_latency = {
            venue: config.market_data_latency(venue).stream(
                component_rng(pipeline.config.seed, "strategy", "market_data", venue)
            )
            for venue in pipeline.config.venue_configs()
        }

    # --- what a strategy asks ----------------------------------------------------------------

    @property
    def now(self) -> int:
        """Simulated nanoseconds since the run started."""
        return self._scheduler.now

    def submit(
        self,
        market_id: str,
        side: Side | str,
        outcome: Outcome | str,
        price: int,
        size: int,
        time_in_force: TimeInForce | str = TimeInForce.GTC,
        post_only: bool = False,
        expires_at: int | None = None,
    ) -> int:
        """Send a limit order now; its id at once. The venue answers after its latency
        (on_order / on_fill). `expires_at` (GTD only) is in simulated ns."""
        if self.closed:
            raise InvalidValue("the strategy has stopped: it sends no new orders")
        market = self._markets.get(market_id) or self._market(market_id)
        intent = Intent(
            self._next_id,
            market,
            _SIDES.get(side, side),  # type: ignore[arg-type]  # a name is taken as its enum
            _OUTCOMES.get(outcome, outcome),  # type: ignore[arg-type]
            price,
            size,
            _TIMES_IN_FORCE.get(time_in_force, time_in_force),  # type: ignore[arg-type]
            expires_at,
            post_only,
        )
        self._next_id += 1
        order = self._pipeline.send(intent)
        self._working[order.order_id] = order
        if self._every is not None:
            self._every[order.order_id] = order
        return order.order_id

    def cancel(self, order_id: int) -> bool:
        """Ask the venue to cancel an order of this strategy now; False when there is
        nothing to cancel (it ended, or its cancel is on its way)."""
        order = self._working.get(order_id)
        if order is None:
            self._known(order_id)
            return False
        return self._pipeline.router.cancel_order(order)

    def cancel_all(self, market_id: str | None = None) -> int:
        """Cancel every working order (of `market_id`); how many cancels were sent."""
        return sum(self.cancel(order.order_id) for order in self._open(market_id))

    def order(self, order_id: int) -> OrderStatus:
        """An order of this strategy as the messages so far leave it (a working order, or
        one of the last 10,000 ended)."""
        return _status(self._order(order_id))

    def open_orders(self, market_id: str | None = None) -> list[OrderStatus]:
        """The strategy's working orders (on `market_id`), oldest first."""
        return [_status(order) for order in self._open(market_id)]

    def market(self, market_id: str) -> Market:
        """The market as the run defines it: venue, tick, minimum size, size step, fees."""
        return self._market(market_id)

    def book(self, market_id: str) -> Book | None:
        """The latest book of `market_id` the strategy has received (None before one)."""
        self._market(market_id)
        return self._books.get(market_id)

    def position(self, market_id: str) -> Position:
        """What the strategy holds in `market_id`, from the fills applied so far."""
        self._market(market_id)
        held = self._pipeline.metrics.positions.get(market_id) or _FLAT
        yes, no = self._holdings[market_id]
        book = self._books.get(market_id)
        mid = book.mid if book is not None else None
        marked = None
        if mid is not None:
            value = held.cash + held.yes * mid + held.no * (SCALE - mid)
            marked = round_div(value, SCALE, Rounding.HALF_EVEN) - held.fees
        return Position(
            market_id,
            held.yes,
            held.no,
            round_div(held.cash, SCALE, Rounding.HALF_EVEN),
            held.fees,
            round_div(yes.realised + no.realised, SCALE, Rounding.HALF_EVEN),
            marked,
        )

    def set_timer(self, name: str, at: int | None = None, every: int | None = None) -> None:
        """Call on_timer(name) at `at` ns (default: one `every` from now), then every
        `every` ns if given. Setting a name again replaces its timer."""
        if every is not None and (type(every) is not int or every <= 0):
            raise InvalidValue(f"every must be a positive int of ns, got {every!r}")
        if at is None:
            if every is None:
                raise InvalidValue("set_timer needs at= or every=")
            at = self.now + every
        if type(at) is not int:
            raise InvalidValue(f"at must be an int of simulated ns, got {at!r}")
        token = self._timers[name] = object()
        self._scheduler.schedule(max(at, self.now), self._timer, (name, token, every), True)

    def cancel_timer(self, name: str) -> None:
        """Stop timer `name` (nothing happens if there is none)."""
        self._timers.pop(name, None)

    def stop(self) -> None:
        """End the run: on_stop runs at this instant, after the current callback; then
        the orders in flight finish."""
        if not self.stopping:
            self.stopping = True
            self._scheduler.schedule(self.now, self._stop, (), True)

    # --- waits, for coroutines ----------------------------------------------------------------

    def sleep(self, ns: int) -> Signal[None]:
        """`await ctx.sleep(ns)`: resume `ns` simulated nanoseconds from now."""
        if type(ns) is not int or ns < 0:
            raise InvalidValue(f"sleep takes a non-negative int of ns, got {ns!r}")
        woken: Signal[None] = Signal()
        self._scheduler.schedule(self.now + ns, woken.set, (None,), True)
        return woken

    def response(self, order_id: int) -> Signal[OrderUpdate | Fill]:
        """`await ctx.response(order_id)`: the venue's first word on the order (its ack or
        reject; a fill, when that overtook a lost or late ack)."""
        first = self._first.get(order_id)
        if first is None and order_id not in self._working:
            first = self._ended[order_id][1] if order_id in self._ended else None
            self._order(order_id)  # unknown, or ended too long ago: an error
        signal = self._responses.get(order_id)
        if signal is None:
            signal = self._responses[order_id] = Signal()
        if first is not None:
            signal.set(first)
        return signal

    def done(self, order_id: int) -> Signal[OrderStatus]:
        """`await ctx.done(order_id)`: the order once it has ended (filled, cancelled,
        rejected or expired)."""
        order = self._order(order_id)
        signal = self._ends.get(order_id)
        if signal is None:
            signal = self._ends[order_id] = Signal()
        if order_id not in self._working:
            signal.set(_status(order))
        return signal

    def events(self) -> AsyncIterator[OrderUpdate | Fill | Book | TimerFired]:
        """`async for event in ctx.events()`: every update, fill, book and timer from now
        on, in arrival order; it ends when the run stops."""
        stream = _Events()
        self._streams.append(stream)
        return stream

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run another coroutine of the strategy alongside (it may await the same waits)."""
        self._coroutines.append(Driven(coroutine, self._coroutine_ended(coroutine)))

    # --- driven by the engine -----------------------------------------------------------------

    def start(self) -> None:
        """At time 0: the book feed starts, on_start and run() are called."""
        interval = max(1, int(self._config.book_interval_s * NS_PER_S))
        for market_id in self._markets:
            self._scheduler.schedule(0, self._publish, (market_id, interval), True)
        self._call("on_start", 0, self._strategy.on_start, self)
        run = getattr(self._strategy, "run", None)
        if run is not None:
            self.spawn(run(self))

    def message(
        self,
        order: Order,
        event: OrderEvent,
        price: int,
        size: int,
        fee: int,
        reason: str,
        trade_id: int,
        liquidity: Liquidity | None,
        applied: bool,
    ) -> None:
        """The tracker's Listener: a message about an order has been dealt with."""
        if event is _SUBMIT:
            return  # the engine's own
        order_id = order.order_id
        now = self._scheduler.clock()
        self.last_at = now
        working = self._working
        if self._every is None:
            if not applied or order_id not in working:
                return
        elif order_id not in self._every:
            return
        item: OrderUpdate | Fill
        if event is _FILL or event is _PARTIAL_FILL:
            item = Fill(order_id, str(trade_id), price, size, fee, liquidity or _TAKER, now)
            if applied:
                self._filled(order, item)
            callback, name = self._on_fill, "on_fill"
        else:
            if event is _CANCEL_REQUEST:  # the engine's own; told only if it ended the order
                if order.state not in TERMINAL_STATES:
                    return
                item = OrderUpdate(order_id, UpdateKind.CANCELLED_UNSENT, "", now)
            else:
                item = OrderUpdate(order_id, _KIND[event], reason, now)
            callback, name = self._on_order, "on_order"
        if order_id not in self._first and order_id in working:
            self._first[order_id] = item
            if self._responses:
                response = self._responses.pop(order_id, None)
                if response is not None:
                    response.set(item)
        if callback is not None:
            self._call(name, order_id, callback, self, item)
        for stream in self._streams:
            stream.put(item)
        if applied and order.state in TERMINAL_STATES:
            self._end(order)

    def truth(self) -> dict[int, OrderTruth] | None:
        """Raw mode: every order the strategy sent, as the engine ended it (or left it)."""
        if self._every is None:
            return None
        truth = {}
        for order_id, order in self._every.items():
            fills = self._fills.get(order_id, ())
            truth[order_id] = OrderTruth(
                order_id,
                order.state,
                order.filled,
                sum(fill.fee for fill in fills),
                tuple(fill.trade_id for fill in fills),
            )
        return truth

    # --- inside -----------------------------------------------------------------------------

    def _market(self, market_id: str) -> Market:
        market = self._markets.get(market_id)
        if market is None:
            known = ", ".join(sorted(self._markets))
            raise UnknownMarket(f"unknown market {market_id!r}; this run has: {known}")
        return market

    def _known(self, order_id: int) -> None:
        if type(order_id) is not int or not 0 < order_id < self._next_id:
            raise UnknownOrder(f"order {order_id!r} was not sent by this strategy")

    def _order(self, order_id: int) -> Order:
        """A working order, or one of the latest ended; UnknownOrder otherwise."""
        order = self._working.get(order_id)
        if order is not None:
            return order
        ended = self._ended.get(order_id)
        if ended is None:
            self._known(order_id)
            raise UnknownOrder(f"order {order_id} ended too long ago to be kept")
        return ended[0]

    def _open(self, market_id: str | None) -> list[Order]:
        if market_id is None:
            return list(self._working.values())
        self._market(market_id)
        return [o for o in self._working.values() if o.intent.market.market_id == market_id]

    def _filled(self, order: Order, fill: Fill) -> None:
        intent = order.intent
        yes, no = self._holdings[intent.market.market_id]
        held = fill.size if intent.side is _BUY else -fill.size
        (yes if intent.outcome is _YES else no).trade(held, fill.price)
        if self._every is not None:
            self._fills.setdefault(order.order_id, []).append(fill)

    def _end(self, order: Order) -> None:
        order_id = order.order_id
        del self._working[order_id]
        ended = self._ended
        ended[order_id] = (order, self._first.pop(order_id, None))
        if len(ended) > 2 * KEPT_ENDED:  # keep the latest (dicts keep insertion order)
            self._ended = dict(list(ended.items())[-KEPT_ENDED:])
        signal = self._ends.pop(order_id, None)
        if signal is not None:
            signal.set(_status(order))

    def _publish(self, market_id: str, interval: int) -> None:
        """The venue publishes the market's book now; it reaches the strategy after the
        feed's latency, never before the one published earlier (one connection)."""
        if self.stopping:
            return
        now = self._scheduler.now
        market = self._markets[market_id]
        bids, asks = self._pipeline.simulators[market.venue].levels(
            market_id, self._config.book_levels
        )
        arrives = max(
            now + self._feed_latency[market.venue].next(), self._feed_last.get(market_id, 0)
        )
        self._feed_last[market_id] = arrives
        book = Book(market_id, now, bids, asks)
        self._scheduler.schedule(arrives, self._book_arrives, (book,), True)
        self._scheduler.schedule(now + interval, self._publish, (market_id, interval), True)

    def _book_arrives(self, book: Book) -> None:
        if self.closed:
            return
        self._books[book.market_id] = book
        if self._on_book is not None:
            self._call("on_book", 0, self._on_book, self, book.market_id, book)
        for stream in self._streams:
            stream.put(book)

    def _timer(self, name: str, token: object, every: int | None) -> None:
        if self._timers.get(name) is not token or self.closed:
            return  # replaced or cancelled
        if every is not None:
            self._scheduler.schedule(self.now + every, self._timer, (name, token, every), True)
        else:
            del self._timers[name]
        self._call("on_timer", 0, self._strategy.on_timer, self, name)
        fired = TimerFired(name, self.now)
        for stream in self._streams:
            stream.put(fired)

    def _stop(self) -> None:
        self.stopping = True
        self.last_at = self._scheduler.now
        self._timers.clear()
        try:
            self._call("on_stop", 0, self._strategy.on_stop, self)
        finally:
            self.closed = True
            for stream in self._streams:
                stream.close()
            for coroutine in self._coroutines:
                coroutine.close()

    def _call(self, name: str, order_id: int, callback: Callable[..., object], *args: Any) -> None:
        try:
            callback(*args)
        except StrategyError:
            raise
        except Exception as exc:
            raise StrategyError(self._where(name, order_id, exc)) from exc

    def _where(self, what: str, order_id: int, exc: BaseException) -> str:
        about = f", order {order_id}" if order_id else ""
        return (
            f"{type(self._strategy).__name__}.{what} raised {type(exc).__name__}: {exc} "
            f"({self._clock} {self.now:,} ns{about})"
        )

    def _coroutine_ended(
        self, coroutine: Coroutine[Any, Any, None]
    ) -> Callable[[BaseException | None], None]:
        def ended(error: BaseException | None) -> None:
            if error is not None and not isinstance(error, GeneratorExit):
                if isinstance(error, StrategyError):
                    raise error
                name = getattr(coroutine, "__qualname__", "a coroutine")
                raise StrategyError(self._where(name, 0, error)) from error

        return ended


_TAKER = Liquidity.TAKER
_FLAT = RunPosition()  # a market the run has not traded yet
