"""Pure-Python twin of transitions.pyx: the order transition table."""

from __future__ import annotations

from polyedge._core.definitions import (
    ILLEGAL,
    TRANSITIONS,
    OrderEvent,
    OrderState,
    transition_error,
)

_STATES = tuple(OrderState)
_N_STATES = len(OrderState)
_N_EVENTS = len(OrderEvent)
_TABLE = tuple(
    TRANSITIONS.get((state, event), ILLEGAL) for state in _STATES for event in OrderEvent
)


def try_apply(state: int, event: int) -> int:
    """The state `event` moves `state` to, or ILLEGAL (-1); never raises."""
    if 0 <= state < _N_STATES and 0 <= event < _N_EVENTS:
        return _TABLE[state * _N_EVENTS + event]
    return ILLEGAL


def apply(state: int, event: int, order_id: object = None) -> OrderState:
    """The state `event` moves `state` to; raises IllegalTransition for a refused move."""
    new = try_apply(state, event)
    if new == ILLEGAL:
        raise transition_error(state, event, order_id)
    return _STATES[new]
