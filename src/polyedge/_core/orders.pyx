# cython: freethreading_compatible = True
"""Intent and Order as Cython dataclasses (see orders_py.py for the contract).

Both are built once per intent and Order is touched by every event: a frozen Python
dataclass sets each field through object.__setattr__ (building an Intent costs more than
twice this class's), and Order's moves call the transition table in C here. The checks
and error messages are orders_py's, shared. Fields stay Python objects, so a bad value
gets the same error from both implementations.
"""

from cython.dataclasses cimport dataclass

from polyedge._core.transitions cimport apply

from polyedge._core.definitions import TERMINAL_STATES, OrderEvent, OrderState, TimeInForce
from polyedge._core.fixed_py import positive_units
from polyedge._core.orders_py import checked, overfill

cdef frozenset _TERMINAL = TERMINAL_STATES
cdef object _FILL = OrderEvent.FILL
cdef object _PARTIAL_FILL = OrderEvent.PARTIAL_FILL
cdef object _CANCEL_REJECT = OrderEvent.CANCEL_REJECT
cdef object _PARTIALLY_FILLED = OrderState.PARTIAL_FILL


@dataclass(frozen=True)
cdef class Intent:
    """What a strategy wants: one limit order on one market.

    `intent_id` is unique within a run (the order it becomes carries the same id);
    intents sharing a non-zero `group_id` are the legs of one multi-leg group.
    """

    intent_id: object
    market: object
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


@dataclass
cdef class Order:
    """An intent in flight: its lifecycle state and how much of it has filled."""

    order_id: object
    intent: object
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
        return self.state in _TERMINAL

    cpdef object apply(self, object event):
        """Move to the state `event` leads to; IllegalTransition (state unchanged) if refused."""
        new = apply(self.state, event, self.order_id)
        if event is _CANCEL_REJECT and self.filled:
            new = _PARTIALLY_FILLED  # the table cannot know fills came before the cancel
        self.state = new
        return new

    cpdef object fill(self, object size):
        """Record `size` units filled: a PARTIAL_FILL or, when it completes the order, FILL."""
        size = positive_units(size, "size")
        remaining = self.intent.size - self.filled
        if size > remaining:
            raise overfill(self.order_id, size, remaining)
        new = self.apply(_FILL if size == remaining else _PARTIAL_FILL)
        self.filled += size
        return new
