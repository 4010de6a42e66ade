"""The vocabulary both core implementations are built from.

Rounding modes, order states, order events, the legal transitions, sides, outcomes,
times in force, liquidity (maker or taker), venues and the engine's own reject reasons
live here once, as plain Python data; the compiled and the pure-Python core each build
their lookup from it, so the two can never disagree. The numeric values (and the order
of the venues) are part of the stored format (they are written to the event log and the
database): never renumber, only append.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

from polyedge.errors import UnknownVenue


class Rounding(IntEnum):
    """How a result that falls between two representable values is rounded."""

    FLOOR = 0  # towards negative infinity
    CEIL = 1  # towards positive infinity
    HALF_EVEN = 2  # to nearest, ties to the even neighbour (banker's rounding)
    TOWARD_ZERO = 3  # truncation


class OrderState(IntEnum):
    PENDING = 0  # created locally, not yet sent
    SUBMITTED = 1  # sent to the venue (acknowledged or not), nothing filled
    PARTIAL_FILL = 2
    FILLED = 3
    CANCELLED = 4
    REJECTED = 5
    PENDING_CANCEL = 6  # a cancel request is in flight
    EXPIRED = 7  # GTD expiry, or the unfilled rest of an IOC/FAK order


class OrderEvent(IntEnum):
    SUBMIT = 0
    ACK = 1
    REJECT = 2
    PARTIAL_FILL = 3
    FILL = 4  # the fill that completes the order
    CANCEL_REQUEST = 5
    CANCEL_ACK = 6
    CANCEL_REJECT = 7
    EXPIRE = 8
    VENUE_CANCEL = 9  # the venue cancelled the order itself (its market closed)


TERMINAL_STATES = frozenset(
    {OrderState.FILLED, OrderState.CANCELLED, OrderState.REJECTED, OrderState.EXPIRED}
)

_S = OrderState
_E = OrderEvent

# Every legal move; any (state, event) pair not listed is illegal.
TRANSITIONS: dict[tuple[OrderState, OrderEvent], OrderState] = {
    (_S.PENDING, _E.SUBMIT): _S.SUBMITTED,
    (_S.PENDING, _E.REJECT): _S.REJECTED,  # refused before it left (backpressure, risk)
    (_S.PENDING, _E.CANCEL_REQUEST): _S.CANCELLED,  # never sent, nothing to ask the venue
    (_S.SUBMITTED, _E.ACK): _S.SUBMITTED,
    (_S.SUBMITTED, _E.REJECT): _S.REJECTED,
    (_S.SUBMITTED, _E.PARTIAL_FILL): _S.PARTIAL_FILL,
    (_S.SUBMITTED, _E.FILL): _S.FILLED,
    (_S.SUBMITTED, _E.CANCEL_REQUEST): _S.PENDING_CANCEL,
    (_S.SUBMITTED, _E.EXPIRE): _S.EXPIRED,
    (_S.PARTIAL_FILL, _E.ACK): _S.PARTIAL_FILL,  # the ack overtaken by a fill
    (_S.PARTIAL_FILL, _E.PARTIAL_FILL): _S.PARTIAL_FILL,
    (_S.PARTIAL_FILL, _E.FILL): _S.FILLED,
    (_S.PARTIAL_FILL, _E.CANCEL_REQUEST): _S.PENDING_CANCEL,
    (_S.PARTIAL_FILL, _E.EXPIRE): _S.EXPIRED,
    (_S.PENDING_CANCEL, _E.ACK): _S.PENDING_CANCEL,  # cancel sent before the ack came back
    (_S.PENDING_CANCEL, _E.REJECT): _S.REJECTED,  # the order itself was refused meanwhile
    # The late-fill race: fills that were already on the wire when we asked to cancel.
    (_S.PENDING_CANCEL, _E.PARTIAL_FILL): _S.PENDING_CANCEL,
    (_S.PENDING_CANCEL, _E.FILL): _S.FILLED,
    (_S.PENDING_CANCEL, _E.CANCEL_ACK): _S.CANCELLED,
    # The table cannot remember whether the order had fills before the cancel request;
    # the order (types.Order) restores PARTIAL_FILL when it has.
    (_S.PENDING_CANCEL, _E.CANCEL_REJECT): _S.SUBMITTED,
    (_S.PENDING_CANCEL, _E.EXPIRE): _S.EXPIRED,
    (_S.SUBMITTED, _E.VENUE_CANCEL): _S.CANCELLED,
    (_S.PARTIAL_FILL, _E.VENUE_CANCEL): _S.CANCELLED,
    (_S.PENDING_CANCEL, _E.VENUE_CANCEL): _S.CANCELLED,
}

ILLEGAL = -1  # what try_apply returns for a refused move


def transition_error(state: int, event: int, order_id: object) -> Exception:
    """The error for a refused move: the cold path shared by both implementations."""
    from polyedge.errors import IllegalTransition

    if state not in OrderState._value2member_map_:
        return ValueError(f"unknown order state {state!r}")
    if event not in OrderEvent._value2member_map_:
        return ValueError(f"unknown order event {event!r}")
    return IllegalTransition(OrderState(state), OrderEvent(event), order_id)


class LenientEnum(StrEnum):
    """A StrEnum that also accepts its members' names in any case ("ioc", "Polymarket")."""

    @classmethod
    def _missing_(cls, value: object) -> LenientEnum | None:
        if isinstance(value, str):
            key = value.strip().upper()
            member = cls.__members__.get(key)
            if member is not None:
                return member
            for member in cls:
                if member.value.upper() == key:
                    return member
        return None


class Side(LenientEnum):
    BUY = "buy"
    SELL = "sell"


class Outcome(LenientEnum):
    YES = "yes"
    NO = "no"


class TimeInForce(LenientEnum):
    GTC = "GTC"  # good till cancelled
    GTD = "GTD"  # good till a date
    FOK = "FOK"  # fill or kill: all at once or nothing
    FAK = "FAK"  # fill and kill: what fills now, the rest expires
    IOC = "FAK"  # immediate or cancel is Kalshi's name for FAK


class Liquidity(LenientEnum):
    MAKER = "maker"
    TAKER = "taker"


class Venue(LenientEnum):
    POLYMARKET = "polymarket"
    KALSHI = "kalshi"

    @classmethod
    def _missing_(cls, value: object) -> Venue:
        member = super()._missing_(value)
        if member is None:
            known = ", ".join(v.value for v in cls)
            raise UnknownVenue(f"unknown venue {value!r}; known venues: {known}")
        return Venue(member)


# A venue's number in the event log (stored format: only append).
VENUE_INDEX = {venue: index for index, venue in enumerate(Venue)}

# Reasons the engine itself gives, before an order reaches a venue.
LANE_FULL = "LANE_FULL"  # the venue's lane was full and the policy is to reject
NOT_WORKING = "ORDER_NOT_WORKING"  # a cancel for an order that is unknown or already done
DUPLICATE_INTENT = "DUPLICATE_INTENT"  # an intent id seen before in this run
DUPLICATE_TRADE = "DUPLICATE_TRADE"  # a fill whose trade id the order already had
LOCAL_REASONS = (LANE_FULL, NOT_WORKING, DUPLICATE_INTENT, DUPLICATE_TRADE)
