"""Pure-Python twin of orders.pyx: FeeProfile, Market, Intent and Order, and the checks
both share.

A FeeProfile, a Market and an Intent are immutable once built and valid by construction:
bad fields raise an error naming the field, and enums given as names ("buy", "yes",
"ioc", "Kalshi") are stored as the enums. An Order is an intent in flight; its state
moves only through the core transition table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from polyedge._core.definitions import (
    TERMINAL_STATES,
    VENUE_INDEX,
    Liquidity,
    OrderEvent,
    OrderState,
    Outcome,
    Rounding,
    Side,
    TimeInForce,
    Venue,
)
from polyedge._core.fixed_py import SCALE, checked_units, fee, positive_units, to_str
from polyedge._core.transitions_py import apply
from polyedge.errors import InvalidValue

# Enum members looked up once: an attribute of an Enum class is slow to read (hot path).
_GTD = TimeInForce.GTD
_RESTING = (TimeInForce.GTC, TimeInForce.GTD)
_TAKER = Liquidity.TAKER


def checked_fees(fees: FeeProfile) -> Rounding:
    """Check a new fee profile's fields (either implementation's); its rounding as the enum."""
    for name in ("taker_rate", "maker_rate"):
        if checked_units(getattr(fees, name), name) < 0:
            raise InvalidValue(f"{name} must not be negative")
    if fees.exponent not in (1, 2):
        raise InvalidValue(f"exponent must be 1 or 2, got {fees.exponent!r}")
    positive_units(fees.quantum, "quantum")
    return Rounding(fees.rounding)


def checked_market(market: Market) -> Venue:
    """Check a new market's fields (either implementation's); its venue as the enum."""
    venue = Venue(market.venue)
    if not isinstance(market.market_id, str) or not market.market_id.strip():
        raise InvalidValue(f"market_id must be a non-empty string, got {market.market_id!r}")
    tick = positive_units(market.tick_size, "tick_size")
    if tick >= SCALE // 2 or SCALE % tick:
        raise InvalidValue(
            f"tick_size {to_str(tick)} must divide 1 and be below 0.5 "
            "(0.1, 0.01, 0.005, 0.0025, 0.001, 0.0001 are usual)"
        )
    positive_units(market.min_size, "min_size")
    positive_units(market.size_step, "size_step")
    if not isinstance(market.gtd_threshold, int) or market.gtd_threshold < 0:
        raise InvalidValue(
            f"gtd_threshold must be a non-negative int, got {market.gtd_threshold!r}"
        )
    return venue


def checked_price(market: Market, price: object, name: str) -> int:
    """`price` in units if it lies on `market`'s tick within [tick, 1 - tick] (Market's
    check_price, in either implementation)."""
    units = checked_units(price, name)
    if not market.tick_size <= units <= SCALE - market.tick_size:
        raise InvalidValue(
            f"{name} {to_str(units)} is outside ({to_str(market.tick_size)}, "
            f"{to_str(SCALE - market.tick_size)}) for market {market.market_id}"
        )
    if units % market.tick_size:
        raise InvalidValue(
            f"{name} {to_str(units)} is not a multiple of the tick "
            f"{to_str(market.tick_size)} of market {market.market_id}"
        )
    return units


@dataclass(frozen=True, slots=True)
class FeeProfile:
    """A venue's fee curve: fee = size * rate * (p * (1 - p)) ** exponent.

    Rates are units (0.07 -> 70_000). The fee is rounded to a multiple of `quantum` units:
    Polymarket rounds to 0.00001 USDC (10 units), Kalshi up to the cent (10_000, CEIL).
    """

    taker_rate: int = 0
    maker_rate: int = 0
    exponent: int = 1
    quantum: int = 10
    rounding: Rounding = Rounding.HALF_EVEN

    def __post_init__(self) -> None:
        object.__setattr__(self, "rounding", checked_fees(self))

    def fee(self, size: int, price: int, liquidity: Liquidity) -> int:
        """The fee in units for `size` units traded at `price`."""
        rate = self.taker_rate if liquidity is _TAKER else self.maker_rate
        if not rate:
            return 0  # makers, on most venues: no arithmetic needed
        return fee(size, price, rate, self.exponent, self.quantum, self.rounding)


@dataclass(frozen=True, slots=True)
class Market:
    """One tradable binary market on one venue. Tick, minimum size and size step in units."""

    venue: Venue
    market_id: str
    tick_size: int
    min_size: int
    fees: FeeProfile = field(default_factory=FeeProfile)
    size_step: int = SCALE // 100  # sizes are multiples of this (whole contracts on Kalshi)
    # A GTD order expires this many ns before the expiry it carries, which must lie
    # further ahead than that (Polymarket's 60 s security threshold).
    gtd_threshold: int = 0
    # The venue's number in the event log and the store, made from the venue.
    venue_index: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "venue", checked_market(self))
        object.__setattr__(self, "venue_index", VENUE_INDEX[self.venue])

    def check_price(self, price: object, name: str = "price") -> int:
        """`price` in units if it lies on this market's tick within [tick, 1 - tick]."""
        return checked_price(self, price, name)


def checked(intent: Intent) -> tuple[Side, Outcome, TimeInForce] | None:
    """Check a new intent's fields (either implementation's). Returns its side, outcome
    and time in force as enums when any was given by name; None when all three are
    enums already (the hot case)."""
    positive_units(intent.intent_id, "intent_id")
    side, outcome, time_in_force = intent.side, intent.outcome, intent.time_in_force
    enums = type(side) is Side and type(outcome) is Outcome and type(time_in_force) is TimeInForce
    if not enums:
        side, outcome, time_in_force = Side(side), Outcome(outcome), TimeInForce(time_in_force)
    check_price = getattr(intent.market, "check_price", None)
    if check_price is None:  # the compiled Intent's own type check says the same
        raise TypeError(f"market must be a Market, got {intent.market!r}")
    check_price(intent.price)
    positive_units(intent.size, "size")
    if (time_in_force is _GTD) != (intent.expires_at is not None):
        raise InvalidValue("expires_at is required for GTD orders and only for them")
    if intent.post_only and time_in_force not in _RESTING:
        raise InvalidValue(f"post_only needs GTC or GTD, not {time_in_force.name}")
    if intent.max_cost is not None:
        positive_units(intent.max_cost, "max_cost")
        if side is not Side.BUY or time_in_force is not TimeInForce.FOK:
            raise InvalidValue("max_cost is for BUY orders and implies FOK: give both")
    return None if enums else (side, outcome, time_in_force)


@dataclass(frozen=True, slots=True)
class Intent:
    """What a strategy wants: one limit order on one market.

    `intent_id` is unique within a run (the order it becomes carries the same id);
    intents sharing a non-zero `group_id` are the legs of one multi-leg group.
    """

    intent_id: int
    market: Market
    side: Side
    outcome: Outcome
    price: int
    size: int
    time_in_force: TimeInForce = TimeInForce.GTC
    expires_at: int | None = None  # simulated ns, as the venue's field (see Market.gtd_threshold)
    post_only: bool = False
    group_id: int = 0
    # Kalshi's buy_max_cost: a BUY capped at what this many units pay for, fees included;
    # fill-or-kill on that size, the rest of the order expires.
    max_cost: int | None = None

    def __post_init__(self) -> None:
        enums = checked(self)
        if enums is not None:
            for name, value in zip(("side", "outcome", "time_in_force"), enums, strict=True):
                object.__setattr__(self, name, value)

    @staticmethod
    def unchecked(
        intent_id: int,
        market: Market,
        side: Side,
        outcome: Outcome,
        price: int,
        size: int,
        time_in_force: TimeInForce,
        expires_at: int | None = None,
        post_only: bool = False,
        group_id: int = 0,
        max_cost: int | None = None,
    ) -> Intent:
        """An Intent built as given, without the checks: for fields valid by construction
        (the seeded generator's; measured, the checks cost it 4% of a run) and for tests
        that forge what a careless client could send. Enums must be given as enums."""
        intent = object.__new__(Intent)
        given = (intent_id, market, side, outcome, price, size, time_in_force)
        for name, value in zip(
            _FIELDS, (*given, expires_at, post_only, group_id, max_cost), strict=True
        ):
            object.__setattr__(intent, name, value)
        return intent


_FIELDS = tuple(Intent.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class Cancel:
    """A request to cancel the order that intent `target` became."""

    intent_id: int
    target: int

    def __post_init__(self) -> None:
        positive_units(self.intent_id, "intent_id")
        positive_units(self.target, "target")


# Intents packed as rows, as a worker process hands them over (polyedge.intent_worker):
# little-endian, no padding; the compiled core reads them as orders.pxd's PackedIntent. The
# enums as their index in SIDES, OUTCOMES and TIMES_IN_FORCE; None as -1 (no time or size
# is negative). A CANCEL_ROW is a Cancel (intent_id, and its target in `other`); a row of
# another kind is the packer's own (unpack_intents hands back its time, kind, intent_id,
# size and other).
PACKED_INTENT = np.dtype(
    [
        ("time", "<i8"),
        ("intent_id", "<i8"),
        ("price", "<i8"),
        ("size", "<i8"),
        ("expires_at", "<i8"),
        ("group_id", "<i8"),
        ("max_cost", "<i8"),
        ("other", "<i8"),  # the packer's
        ("market", "<u2"),  # index in the markets given to unpack_intents
        ("kind", "u1"),
        ("side", "u1"),
        ("outcome", "u1"),
        ("time_in_force", "u1"),
        ("post_only", "u1"),
    ]
)
INTENT_ROW = 0
CANCEL_ROW = 1
SIDES = tuple(Side)
OUTCOMES = tuple(Outcome)
TIMES_IN_FORCE = tuple(TimeInForce)


Unpacked = tuple[int, Intent] | tuple[int, Cancel] | tuple[int, int, int, int, int]


def routed_order(intent: Intent, lane_seq: int, sent_at: int) -> Order:
    """A new order for `intent` (its id the intent's), with its lane sequence number and
    the time it was routed: what the router makes of every intent."""
    return Order(intent.intent_id, intent, lane_seq, sent_at)


def unpack_intents(packed: bytes, markets: tuple[Market, ...]) -> list[Unpacked]:
    """Each row of `packed` (PACKED_INTENT): an intent as (time, Intent), built unchecked
    (the packer packed valid intents) on `markets`; a cancel as (time, Cancel); the
    packer's own rows as their (time, kind, intent_id, size, other)."""
    if len(packed) % PACKED_INTENT.itemsize:
        raise ValueError(f"{len(packed)} bytes are not a whole number of packed intents")
    rows = np.frombuffer(packed, PACKED_INTENT)
    unpacked: list[Unpacked] = []
    for (
        time,
        intent_id,
        price,
        size,
        expires_at,
        group_id,
        max_cost,
        other,
        market,
        kind,
        side,
        outcome,
        time_in_force,
        post_only,
    ) in rows.tolist():  # each row a tuple of its fields, in PACKED_INTENT's order
        if kind == CANCEL_ROW:
            unpacked.append((time, Cancel(intent_id, other)))
            continue
        if kind != INTENT_ROW:
            unpacked.append((time, kind, intent_id, size, other))
            continue
        if market >= len(markets):
            raise InvalidValue(f"a packed intent names market {market}: no such one")
        if side >= len(SIDES) or outcome >= len(OUTCOMES) or time_in_force >= len(TIMES_IN_FORCE):
            raise InvalidValue(f"packed intent {intent_id} has an enum out of range")
        intent = Intent.unchecked(
            intent_id,
            markets[market],
            SIDES[side],
            OUTCOMES[outcome],
            price,
            size,
            TIMES_IN_FORCE[time_in_force],
            None if expires_at < 0 else expires_at,
            post_only == 1,
            group_id,
            None if max_cost < 0 else max_cost,
        )
        unpacked.append((time, intent))
    return unpacked


def overfill(order_id: int, size: int, remaining: int) -> InvalidValue:
    """The error for a fill larger than what is left of the order (both implementations)."""
    return InvalidValue(
        f"fill of {to_str(size)} exceeds the {to_str(remaining)} remaining on order {order_id}"
    )


@dataclass(slots=True)
class Order:
    """An intent in flight: its lifecycle state and how much of it has filled."""

    order_id: int
    intent: Intent
    # Routing sets these two, positionally: keyword arguments cost the router ~150 ns.
    lane_seq: int = 0  # position in its venue's lane, monotonic per lane
    sent_at: int = 0  # ns the order was sent to the venue
    state: OrderState = OrderState.PENDING
    filled: int = 0
    cancel_sent_at: int = 0  # ns the last cancel request was sent
    answers: int = 0  # events applied to it (the engine's watchdog sees whether any came)
    last_trade: int = 0  # the venue's id of its latest fill (a repeated id is a duplicate)

    @property
    def remaining(self) -> int:
        return self.intent.size - self.filled

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES

    def apply(self, event: OrderEvent) -> OrderState:
        """Move to the state `event` leads to; IllegalTransition (state unchanged) if refused."""
        new = apply(self.state, event, self.order_id)
        if event is OrderEvent.CANCEL_REJECT and self.filled:
            new = OrderState.PARTIAL_FILL  # the table cannot know fills came before the cancel
        self.state = new
        return new

    def fill(self, size: int) -> OrderState:
        """Record `size` units filled: a PARTIAL_FILL or, when it completes the order, FILL."""
        size = positive_units(size, "size")
        remaining = self.intent.size - self.filled
        if size > remaining:
            raise overfill(self.order_id, size, remaining)
        event = OrderEvent.FILL if size == remaining else OrderEvent.PARTIAL_FILL
        new = self.apply(event)
        self.filled += size
        return new
