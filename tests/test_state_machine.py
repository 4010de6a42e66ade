"""The order transition table, checked exhaustively: every (state, event) pair."""

from __future__ import annotations

import itertools
from types import ModuleType

import pytest

from polyedge._core import ILLEGAL, TERMINAL_STATES, TRANSITIONS, OrderEvent, OrderState
from polyedge.errors import IllegalTransition, PolyedgeError

S, E = OrderState, OrderEvent

# The lifecycle written out by hand, independently of polyedge._core.definitions.
# Columns: SUBMIT ACK REJECT PARTIAL_FILL FILL CANCEL_REQUEST CANCEL_ACK CANCEL_REJECT EXPIRE
#          VENUE_CANCEL
# Cells: the state moved to, or "." for a refused move.
_ABBREVIATIONS = {
    "PEN": S.PENDING,
    "SUB": S.SUBMITTED,
    "PF": S.PARTIAL_FILL,
    "FIL": S.FILLED,
    "CAN": S.CANCELLED,
    "REJ": S.REJECTED,
    "PC": S.PENDING_CANCEL,
    "EXP": S.EXPIRED,
}
_MATRIX = """
PENDING         SUB .   REJ .   .   CAN .   .   .   .
SUBMITTED       .   SUB REJ PF  FIL PC  .   .   EXP CAN
PARTIAL_FILL    .   PF  .   PF  FIL PC  .   .   EXP CAN
FILLED          .   .   .   .   .   .   .   .   .   .
CANCELLED       .   .   .   .   .   .   .   .   .   .
REJECTED        .   .   .   .   .   .   .   .   .   .
PENDING_CANCEL  .   PC  REJ PC  FIL .   CAN SUB EXP CAN
EXPIRED         .   .   .   .   .   .   .   .   .   .
"""


def _expected() -> dict[tuple[OrderState, OrderEvent], OrderState | None]:
    table: dict[tuple[OrderState, OrderEvent], OrderState | None] = {}
    for line in _MATRIX.strip().splitlines():
        state, *cells = line.split()
        assert len(cells) == len(OrderEvent)
        for event, cell in zip(OrderEvent, cells, strict=True):
            table[S[state], event] = None if cell == "." else _ABBREVIATIONS[cell]
    return table


EXPECTED = _expected()
ALL_PAIRS = list(itertools.product(OrderState, OrderEvent))


def test_matrix_covers_every_pair() -> None:
    assert set(EXPECTED) == set(ALL_PAIRS)


@pytest.mark.parametrize(("state", "event"), ALL_PAIRS, ids=lambda x: x.name)
def test_every_pair(transitions: ModuleType, state: OrderState, event: OrderEvent) -> None:
    expected = EXPECTED[state, event]
    if expected is None:
        assert transitions.try_apply(state, event) == ILLEGAL
        with pytest.raises(IllegalTransition) as refused:
            transitions.apply(state, event, "order-7")
        assert (refused.value.state, refused.value.event) == (state, event)
        assert refused.value.order_id == "order-7"
        assert f"order order-7: {state.name} does not accept {event.name}" in str(refused.value)
    else:
        assert transitions.try_apply(state, event) == expected
        result = transitions.apply(state, event)
        assert result == expected and isinstance(result, OrderState)


def test_the_definitions_are_the_written_lifecycle() -> None:
    legal = {pair: target for pair, target in EXPECTED.items() if target is not None}
    assert legal == TRANSITIONS


def test_terminal_states_accept_nothing() -> None:
    assert {S.FILLED, S.CANCELLED, S.REJECTED, S.EXPIRED} == TERMINAL_STATES
    for state in TERMINAL_STATES:
        assert all(EXPECTED[state, event] is None for event in OrderEvent)


def test_late_fill_while_cancel_pending_is_legal(transitions: ModuleType) -> None:
    state = transitions.apply(S.PENDING, E.SUBMIT)
    state = transitions.apply(state, E.CANCEL_REQUEST)
    assert transitions.apply(state, E.PARTIAL_FILL) == S.PENDING_CANCEL
    assert transitions.apply(state, E.FILL) == S.FILLED


def test_every_state_is_reachable_and_can_end() -> None:
    reachable = {S.PENDING}
    frontier = [S.PENDING]
    while frontier:
        state = frontier.pop()
        for event in OrderEvent:
            target = EXPECTED[state, event]
            if target is not None and target not in reachable:
                reachable.add(target)
                frontier.append(target)
    assert reachable == set(OrderState)
    for state in set(OrderState) - TERMINAL_STATES:
        assert any(EXPECTED[state, event] in TERMINAL_STATES for event in OrderEvent)


@pytest.mark.parametrize(("state", "event"), [(-1, 0), (8, 0), (0, 10), (0, -1), (99, 99)])
def test_unknown_values(transitions: ModuleType, state: int, event: int) -> None:
    assert transitions.try_apply(state, event) == ILLEGAL
    with pytest.raises(ValueError, match=r"unknown order (state|event)"):
        transitions.apply(state, event)


def test_illegal_transition_is_a_polyedge_error() -> None:
    assert issubclass(IllegalTransition, PolyedgeError)
