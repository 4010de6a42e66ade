"""One error hierarchy, rooted at PolyedgeError.

Each error also derives from the builtin a caller would naturally catch (ValueError,
TypeError, OverflowError), so code that does not know polyedge still handles it sensibly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from polyedge._core.definitions import OrderEvent, OrderState


class PolyedgeError(Exception):
    """Root of every error polyedge raises on purpose."""


class InvalidValue(PolyedgeError, ValueError):
    """A value that is the right type but not acceptable (off the tick, non-positive, ...)."""


class UnknownVenue(InvalidValue):
    """A venue name polyedge has no profile for."""


class FloatRefused(PolyedgeError, TypeError):
    """A binary float handed to a financial API; prices, sizes and fees are integers."""

    def __init__(self, name: str, value: object) -> None:
        super().__init__(
            f"{name}={value!r} is a float; amounts are exact integers of units "
            "(polyedge.fixedpoint.to_units parses a str or Decimal)"
        )
        self.name = name


class PrecisionError(InvalidValue):
    """A decimal value with more digits than the fixed-point scale holds."""


class FixedPointOverflow(PolyedgeError, OverflowError):
    """A fixed-point result outside the signed 64-bit range."""


class SequenceExhausted(PolyedgeError, OverflowError):
    """A sequence asked for values past the signed 64-bit range."""


class QueueFull(PolyedgeError):
    """A push into a bounded queue that has no free slot."""


class QueueEmpty(PolyedgeError):
    """A pop from a queue that holds nothing."""


class IllegalTransition(PolyedgeError):
    """An order event that the order's current state does not allow."""

    def __init__(self, state: OrderState, event: OrderEvent, order_id: object = None) -> None:
        who = "order" if order_id is None else f"order {order_id}"
        super().__init__(f"illegal transition for {who}: {state.name} does not accept {event.name}")
        self.state = state
        self.event = event
        self.order_id = order_id
