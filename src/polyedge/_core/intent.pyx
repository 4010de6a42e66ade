# cython: freethreading_compatible = True
"""Intent as a frozen Cython dataclass (see intent_py.py for the contract).

Building one is on the generator's hot path: a frozen Python dataclass sets each field
through object.__setattr__, about five times the cost of this class's C initialiser.
The checks are intent_py's, shared. Fields stay Python objects, so a bad value gets the
same error from both implementations.
"""

from cython.dataclasses cimport dataclass

from polyedge._core.definitions import TimeInForce

from polyedge._core.intent_py import checked


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
