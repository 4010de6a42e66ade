# cython: freethreading_compatible = True
"""OrderTracker compiled (see tracker_py.py for the contract).

Every event of a run passes apply(). Here the order and the event log are C types:
reading the order, moving it through the transition table, adding to the run's figures
(RunMetrics and Position are the compiled core's too) and appending the log row are C
calls, where the twin makes a Python call or attribute lookup for each.
"""

cimport cython

from polyedge._core.eventlog cimport EventLog
from polyedge._core.histogram cimport LatencyHistogram
from polyedge._core.metrics cimport Position, RunMetrics
from polyedge._core.orders cimport Intent, Market, Order, is_terminal_state
from polyedge._core.timeline cimport now_of

from polyedge._core.definitions import (
    DUPLICATE_TRADE,
    VENUE_INDEX,
    OrderEvent,
    OrderState,
    Outcome,
    Side,
)
from polyedge._core.tracker_py import (
    LATENCY_KINDS,
    REFUSED,
    NoGroups,
    by_name,
    unfinished,
)
from polyedge.errors import IllegalTransition, InvalidValue

cdef tuple _LATENCY_KINDS = LATENCY_KINDS
cdef enum:
    SUBMIT_ACK = 0  # indexes of LATENCY_KINDS
    FILL_LATENCY = 1
    CANCEL_ACK = 2

cdef object _FILL = OrderEvent.FILL
cdef object _PARTIAL_FILL = OrderEvent.PARTIAL_FILL
cdef object _ACK = OrderEvent.ACK
cdef object _REJECT = OrderEvent.REJECT
cdef object _CANCEL_ACK = OrderEvent.CANCEL_ACK
cdef object _BUY = Side.BUY
cdef object _YES = Outcome.YES


@cython.final
cdef class OrderTracker:
    """The in-flight order table; apply() is where every order event goes."""

    def __init__(
        self, EventLog log not None, RunMetrics metrics not None, scheduler, dict reasons not None
    ):
        self._log = log
        self._metrics = metrics
        self._scheduler = scheduler
        self._reasons = reasons  # reject code -> its number in the log (0: no reason)
        self.in_flight = {}
        # Orders ended, by their final state's value, counted in C: a dict's += by state
        # name cost 410 instructions an order, a list's still made and freed an int.
        if len(OrderState) != STATES:
            raise RuntimeError(f"tracker.pxd counts {STATES} states, there are {len(OrderState)}")
        self._histograms = [None] * (len(VENUE_INDEX) * len(_LATENCY_KINDS))
        self.groups = NoGroups()  # the coordinator, wired in by the engine
        self.listener = None  # a strategy's context, wired in by the engine

    cpdef bint register(self, Order order) except -1:
        """Add a new order; False if its id is already in flight."""
        in_flight = self.in_flight
        known = len(in_flight)
        in_flight.setdefault(order.order_id, order)  # one lookup, where `in` and a set took two
        if len(in_flight) == known:  # the id was there (its order, or this one again)
            return False
        self._metrics.registered(order.intent.size)
        self._log.order(order)
        return True

    cpdef bint apply(
        self,
        Order order,
        object event,
        object price=0,
        object size=0,
        object fee=0,
        str reason="",
        object trade_id=0,
        object liquidity=None,
    ) except -1:
        """Apply `event` (for fills: FILL, with the size filled, the venue's trade id and
        whether the order made or took liquidity) to `order` now; False, with the refusal
        recorded, when the move is illegal. Then the listener, if any, hears of it."""
        cdef int64_t now = now_of(self._scheduler)  # a C int: no Python int made an event
        before = order.state
        cdef bint first_fill = order.filled == 0
        cdef Intent intent = order.intent
        try:
            if event is _FILL:
                # One connection delivers an order's fills in order: a trade id not above
                # the last one seen is a fill delivered twice.
                if trade_id and trade_id <= order.last_trade:
                    self.handled("duplicate_fill_refused")
                    self._refuse(order, event, price, size, fee, DUPLICATE_TRADE, now, False)
                    if self.listener is not None:
                        self.listener.message(
                            order, event, price, size, fee, reason, trade_id, liquidity, False
                        )
                    return False
                order.fill(size)
                order.last_trade = trade_id
                if order.filled < intent.size:
                    event = _PARTIAL_FILL
            else:
                order.apply(event)
        except (IllegalTransition, InvalidValue):
            # An ack overtaken by the fills that finished the order says nothing new.
            late_ack = event is _ACK and is_terminal_state(order.state)
            if late_ack:
                self.handled("late_ack_ignored")
            self._refuse(order, event, price, size, fee, reason, now, not late_ack)
            if self.listener is not None:
                self.listener.message(
                    order, event, price, size, fee, reason, trade_id, liquidity, False
                )
            return False

        order.answers += 1
        cdef RunMetrics metrics = self._metrics
        cdef Position position
        cdef int64_t held
        cdef Market market = intent.market
        venue = market.venue
        cdef Py_ssize_t venue_index = market.venue_index
        if size:
            metrics.filled(price, size, fee)
            position = metrics.positions[market.market_id]
            held = size  # C, and so is its negation
            if intent.side is not _BUY:
                held = -held
            position.trade(intent.outcome is _YES, held, price, fee)
            if first_fill:
                self._record_latency(venue, venue_index, FILL_LATENCY, order.sent_at, now)
        elif event is _REJECT:
            metrics.rejects[venue][reason] += 1
        elif event is _ACK:
            self._record_latency(venue, venue_index, SUBMIT_ACK, order.sent_at, now)
        elif event is _CANCEL_ACK:
            self._record_latency(venue, venue_index, CANCEL_ACK, order.cancel_sent_at, now)
        cdef bint terminal = is_terminal_state(order.state)
        if terminal:
            del self.in_flight[order.order_id]
            self._ended[<Py_ssize_t>order.state] += 1  # a state's value: below STATES
        self._log.append(
            order.order_id,
            order.lane_seq,
            venue_index,
            event,
            before,
            order.state,
            price,
            size,
            fee,
            self._reasons.get(reason, 0) if reason else 0,
            now,
        )
        # The group reacts after the event is logged: cause before effect in the log, and
        # at every event the orders in flight are as the events so far leave them.
        if intent.group_id:
            if size:
                self.groups.filled(order, price, size, fee)
            if terminal:
                self.groups.order_ended(order)
        if self.listener is not None:
            self.listener.message(order, event, price, size, fee, reason, trade_id, liquidity, True)
        return True

    cdef int _record_latency(
        self, venue, Py_ssize_t venue_index, Py_ssize_t kind, int64_t start, int64_t now
    ) except -1:
        """Record `now - start` in metrics.latency[venue][LATENCY_KINDS[kind]].

        The histogram is made there when first used and kept here by index: two dict
        lookups an event fewer (measured). The times are C ints: a Python subtraction made
        and freed an int for each latency.
        """
        cdef Py_ssize_t slot = venue_index * len(_LATENCY_KINDS) + kind
        cdef LatencyHistogram histogram = self._histograms[slot]
        if histogram is None:
            histogram = self._metrics.latency[venue][_LATENCY_KINDS[kind]]
            self._histograms[slot] = histogram
        histogram.record(now - start)
        return 0

    cdef int _refuse(
        self,
        Order order,
        object event,
        object price,
        object size,
        object fee,
        str reason,
        object now,
        bint illegal,
    ) except -1:
        """Log a refused event; `illegal` ones (not a handled fault) are counted as such."""
        if illegal:
            self._metrics.illegal_move(order.order_id, order.state.name, event.name, now)
        self._log.append(
            order.order_id,
            order.lane_seq,
            order.intent.market.venue_index,
            event,
            order.state,
            REFUSED,
            price,
            size,
            fee,
            self._reasons.get(reason, 0) if reason else 0,
            now,
        )
        return 0

    def handled(self, fault):
        """Count a venue fault the engine noticed and coped with."""
        self._metrics.faults_handled[fault] += 1

    def ended(self):
        """Orders ended so far, by final state name."""
        return by_name([self._ended[state] for state in range(STATES)])

    def unfinished(self):
        """States of the orders still in flight, by name."""
        return unfinished(self.in_flight.values())
