# cython: freethreading_compatible = True
"""FeeProfile, Market, Intent, Cancel and Order as Cython dataclasses (see orders_py.py for
the contract).

An Intent and an Order are built once per intent and Order is touched by every event: a
frozen Python dataclass sets each field through object.__setattr__ (building an Intent
costs more than twice this class's), and Order's moves call the transition table in C
here. A Market and its FeeProfile are read by every event: compiled code typed with them
reads their fields as C fields and calls fee() in C, where a slotted dataclass's field
costs an attribute lookup. The checks and error messages are orders_py's, shared. Fields
stay Python objects, so a bad value gets the same error from both implementations.
"""

import sys

cimport cython
from cpython.object cimport PyObject
from libc.stdint cimport int64_t, uint64_t
from libc.string cimport memset
from cython.dataclasses cimport dataclass, field

from polyedge._core.fixed cimport fee as fee_curve, positive_units_c
from polyedge._core.transitions cimport apply

from polyedge._core.definitions import (
    TERMINAL_STATES,
    VENUE_INDEX,
    Liquidity,
    OrderEvent,
    OrderState,
    Rounding,
    TimeInForce,
)
from polyedge._core.fixed_py import SCALE
from polyedge._core.orders_py import (
    CANCEL_ROW,
    INTENT_ROW,
    OUTCOMES,
    PACKED_INTENT,
    SIDES,
    TIMES_IN_FORCE,
    checked,
    checked_fees,
    checked_market,
    checked_price,
    overfill,
)
from polyedge.errors import InvalidValue

cdef frozenset _TERMINAL = TERMINAL_STATES
cdef object _TAKER = Liquidity.TAKER
cdef object _FILL = OrderEvent.FILL
cdef object _PARTIAL_FILL = OrderEvent.PARTIAL_FILL
cdef object _CANCEL_REJECT = OrderEvent.CANCEL_REJECT
cdef object _PARTIALLY_FILLED = OrderState.PARTIAL_FILL
cdef unsigned char _INTENT_ROW = INTENT_ROW, _CANCEL_ROW = CANCEL_ROW
cdef tuple _SIDES = SIDES
cdef tuple _OUTCOMES = OUTCOMES
cdef tuple _TIMES_IN_FORCE = TIMES_IN_FORCE
cdef object _FILLED = OrderState.FILLED
cdef object _PENDING = OrderState.PENDING
cdef object _CANCELLED = OrderState.CANCELLED
cdef object _REJECTED = OrderState.REJECTED
cdef object _EXPIRED = OrderState.EXPIRED


cdef bint is_terminal_state(object state) except -1:
    """`state in TERMINAL_STATES`: by identity for the transition table's own members,
    without hashing into the frozenset (the tracker asks on every event)."""
    if state is _FILLED or state is _CANCELLED or state is _REJECTED or state is _EXPIRED:
        return True
    return type(state) is not OrderState and state in _TERMINAL

if sizeof(PackedIntent) != PACKED_INTENT.itemsize or sys.byteorder != "little":
    raise ImportError("the compiled core needs a little-endian machine")  # the twin works


@dataclass(frozen=True)
cdef class FeeProfile:
    """A venue's fee curve: fee = size * rate * (p * (1 - p)) ** exponent.

    Rates are units (0.07 -> 70_000). The fee is rounded to a multiple of `quantum` units:
    Polymarket rounds to 0.00001 USDC (10 units), Kalshi up to the cent (10_000, CEIL).
    """

    taker_rate: object = 0
    maker_rate: object = 0
    exponent: object = 1
    quantum: object = 10
    rounding: object = Rounding.HALF_EVEN

    def __post_init__(self):
        self.rounding = checked_fees(self)

    cpdef object fee(self, object size, object price, object liquidity):
        """The fee in units for `size` units traded at `price`."""
        rate = self.taker_rate if liquidity is _TAKER else self.maker_rate
        if not rate:
            return 0  # makers, on most venues: no arithmetic needed
        return fee_curve(size, price, rate, self.exponent, self.quantum, self.rounding)


# Market, Intent, Cancel and Order are no_gc: their fields are ints, enums, strings and
# the records below them, so none can be part of a reference cycle, and the collector
# need not track them (cheaper to make and free, and less for it to traverse).
@dataclass(frozen=True)
@cython.no_gc
cdef class Market:
    """One tradable binary market on one venue. Tick, minimum size and size step in units."""

    venue: object
    market_id: object
    tick_size: object
    min_size: object
    fees: object = field(default_factory=FeeProfile)
    size_step: object = SCALE // 100  # sizes are multiples of this (whole contracts on Kalshi)
    # A GTD order expires this many ns before the expiry it carries, which must lie
    # further ahead than that (Polymarket's 60 s security threshold).
    gtd_threshold: object = 0
    # The venue's number in the event log, made from the venue; a C field, which the
    # tracker reads for every event (a dict lookup cost 140 instructions an event).
    venue_index: cython.Py_ssize_t = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        self.venue = checked_market(self)
        self.venue_index = VENUE_INDEX[self.venue]

    def check_price(self, price, name="price"):
        """`price` in units if it lies on this market's tick within [tick, 1 - tick]."""
        return checked_price(self, price, name)


@dataclass(frozen=True)
@cython.no_gc
cdef class Intent:
    """What a strategy wants: one limit order on one market.

    `intent_id` is unique within a run (the order it becomes carries the same id);
    intents sharing a non-zero `group_id` are the legs of one multi-leg group.
    """

    intent_id: object
    market: Market  # typed: the order path reads its fields as C
    side: object
    outcome: object
    price: object
    size: object
    time_in_force: object = TimeInForce.GTC
    expires_at: object = None
    post_only: object = False
    group_id: object = 0
    max_cost: object = None

    def __post_init__(self):
        enums = checked(self)
        if enums is not None:
            self.side, self.outcome, self.time_in_force = enums

    @staticmethod
    def unchecked(
        intent_id, market, side, outcome, price, size, time_in_force, expires_at=None,
        post_only=False, group_id=0, max_cost=None,
    ):
        """An Intent built without the checks (see orders_py.Intent.unchecked)."""
        cdef Intent intent = Intent.__new__(Intent)
        intent.intent_id = intent_id
        intent.market = market
        intent.side = side
        intent.outcome = outcome
        intent.price = price
        intent.size = size
        intent.time_in_force = time_in_force
        intent.expires_at = expires_at
        intent.post_only = post_only
        intent.group_id = group_id
        intent.max_cost = max_cost
        return intent


@dataclass(frozen=True)
@cython.no_gc
cdef class Cancel:
    """A request to cancel the order that intent `target` became."""

    intent_id: object
    target: object

    def __post_init__(self):
        positive_units_c(self.intent_id, "intent_id")
        positive_units_c(self.target, "target")


@dataclass
@cython.no_gc
cdef class Order:
    """An intent in flight: its lifecycle state and how much of it has filled."""

    order_id: object
    intent: Intent
    lane_seq: object = 0  # position in its venue's lane, monotonic per lane
    sent_at: object = 0  # ns the order was sent to the venue
    state: object = OrderState.PENDING
    filled: object = 0
    cancel_sent_at: object = 0  # ns the last cancel request was sent
    answers: object = 0  # events applied to it (the engine's watchdog sees whether any came)
    last_trade: object = 0  # the venue's id of its latest fill (a repeated id is a duplicate)

    @property
    def remaining(self):
        return self.intent.size - self.filled

    @property
    def is_terminal(self):
        return is_terminal_state(self.state)

    cpdef object apply(self, object event):
        """Move to the state `event` leads to; IllegalTransition (state unchanged) if refused."""
        new = apply(self.state, event, self.order_id)
        if event is _CANCEL_REJECT and self.filled:
            new = _PARTIALLY_FILLED  # the table cannot know fills came before the cancel
        self.state = new
        return new

    cpdef object fill(self, object size):
        """Record `size` units filled: a PARTIAL_FILL or, when it completes the order, FILL."""
        # In C: sizes are units, which fit 64 bits (so does what is filled, never above
        # the order's size); one Python int made, where the sum and difference made two.
        cdef int64_t units = positive_units_c(size, "size")
        cdef int64_t filled = self.filled
        cdef int64_t total = self.intent.size
        if units > total - filled:
            raise overfill(self.order_id, units, total - filled)
        new = self.apply(_FILL if units == total - filled else _PARTIAL_FILL)
        self.filled = filled + units
        return new


cpdef Order routed_order(Intent intent, object lane_seq, object sent_at):
    """A new order for `intent` (see orders_py.routed_order), its fields set in C: calling
    Order parses nine arguments (measured: 170 instructions an intent more)."""
    cdef Order order = Order.__new__(Order)
    order.order_id = intent.intent_id
    order.intent = intent
    order.lane_seq = lane_seq
    order.sent_at = sent_at
    order.state = _PENDING
    order.filled = 0
    order.cancel_sent_at = 0
    order.answers = 0
    order.last_trade = 0
    return order


cdef enum:
    SHARED_BITS = 10  # a batch's ints shared by value: 2**SHARED_BITS slots


cdef struct SharedInt:
    int64_t value
    PyObject *boxed  # borrowed: an intent unpacked in this call holds it


cdef inline object _shared(SharedInt *table, int64_t value):
    """`value` as a Python int: the one already made for it in this batch, where its slot
    still holds it. Prices sit on a tick grid and sizes on a size step, so they repeat;
    each made anew was an allocation and, later, its free (measured: 160 instructions an
    intent)."""
    cdef SharedInt *slot = &table[(<uint64_t>value * 0x9E3779B97F4A7C15ULL) >> (64 - SHARED_BITS)]
    if slot.boxed != NULL and slot.value == value:
        return <object>slot.boxed
    cdef object boxed = value
    slot.value = value
    slot.boxed = <PyObject *>boxed
    return boxed


def unpack_intents(const unsigned char[::1] packed not None, tuple markets not None):
    """Each row (see orders_py.unpack_intents), read as a C struct."""
    cdef SharedInt shared[1 << SHARED_BITS]
    memset(shared, 0, sizeof(shared))
    cdef Py_ssize_t count = packed.shape[0] // sizeof(PackedIntent)
    if count * <Py_ssize_t>sizeof(PackedIntent) != packed.shape[0]:
        raise ValueError(f"{packed.shape[0]} bytes are not a whole number of packed intents")
    cdef const PackedIntent *rows = <const PackedIntent *>&packed[0] if count else NULL
    cdef const PackedIntent *row
    cdef list unpacked = []
    cdef Intent intent
    cdef Cancel cancel
    cdef Py_ssize_t i
    for i in range(count):
        row = &rows[i]
        if row.kind == _CANCEL_ROW:  # a third of a default run: built here, in C
            cancel = Cancel.__new__(Cancel)
            cancel.intent_id = row.intent_id
            cancel.target = row.other
            unpacked.append((row.time, cancel))
            continue
        if row.kind != _INTENT_ROW:
            unpacked.append((row.time, row.kind, row.intent_id, row.size, row.other))
            continue
        if row.market >= len(markets):
            raise InvalidValue(f"a packed intent names market {row.market}: no such one")
        if row.side >= len(_SIDES) or row.outcome >= len(_OUTCOMES) or (
            row.time_in_force >= len(_TIMES_IN_FORCE)
        ):
            raise InvalidValue(f"packed intent {row.intent_id} has an enum out of range")
        intent = Intent.__new__(Intent)
        intent.intent_id = row.intent_id
        intent.market = markets[row.market]
        intent.side = _SIDES[row.side]
        intent.outcome = _OUTCOMES[row.outcome]
        intent.price = _shared(shared, row.price)
        intent.size = _shared(shared, row.size)
        intent.time_in_force = _TIMES_IN_FORCE[row.time_in_force]
        intent.expires_at = None if row.expires_at < 0 else row.expires_at
        intent.post_only = row.post_only == 1
        intent.group_id = row.group_id
        intent.max_cost = None if row.max_cost < 0 else row.max_cost
        unpacked.append((row.time, intent))
    return unpacked
