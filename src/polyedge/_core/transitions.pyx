# cython: freethreading_compatible = True
"""The order transition table as a C array, built at import from definitions.TRANSITIONS."""

from polyedge._core.definitions import ILLEGAL, TRANSITIONS, OrderEvent, OrderState
from polyedge._core.definitions import transition_error


cdef enum:
    MAX_KINDS = 16

cdef signed char _TABLE[MAX_KINDS][MAX_KINDS]
cdef int _N_STATES = len(OrderState)
cdef int _N_EVENTS = len(OrderEvent)
cdef tuple _STATES = tuple(OrderState)
cdef int _ILLEGAL = ILLEGAL

if _N_STATES > MAX_KINDS or _N_EVENTS > MAX_KINDS:
    raise ImportError("transitions.pyx: raise MAX_KINDS to hold every state and event")
for _state in range(MAX_KINDS):
    for _event in range(MAX_KINDS):
        _TABLE[_state][_event] = TRANSITIONS.get((_state, _event), _ILLEGAL)


cpdef int try_apply(int state, int event) noexcept:
    """The state `event` moves `state` to, or ILLEGAL (-1); never raises."""
    if 0 <= state < _N_STATES and 0 <= event < _N_EVENTS:
        return _TABLE[state][event]
    return _ILLEGAL


cpdef object apply(int state, int event, object order_id=None):
    """The state `event` moves `state` to; raises IllegalTransition for a refused move."""
    cdef int new = try_apply(state, event)
    if new == _ILLEGAL:
        raise transition_error(state, event, order_id)
    return _STATES[new]
