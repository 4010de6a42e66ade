"""OrderBook: price-time priority, model-checked against a naive matcher written here."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polyedge import _core
from polyedge.errors import FloatRefused

INT64_MAX = 2**63 - 1
Fill = tuple[int, int, int]

needs_extensions = pytest.mark.skipif(
    not _core.extensions_built(), reason="the compiled core is not built (pip install -e .)"
)


def asks(book: Any, *orders: tuple[int, int, int]) -> None:
    for order_id, level, size in orders:
        book.add(order_id, False, level, size)


def bids(book: Any, *orders: tuple[int, int, int]) -> None:
    for order_id, level, size in orders:
        book.add(order_id, True, level, size)


def match(book: Any, buy: bool, limit: int, size: int) -> tuple[int, list[Fill]]:
    fills: list[Fill] = []
    return book.match(buy, limit, size, fills), fills


# --- construction and the empty book ---------------------------------------------------------


def test_empty_book(book: ModuleType) -> None:
    empty = book.OrderBook(100)
    assert empty.levels == 100 and len(empty) == 0
    assert empty.best_bid() == 0 and empty.best_ask() == 100
    assert match(empty, True, 100, 5) == (0, []) and match(empty, False, 0, 5) == (0, [])
    assert empty.available(True, 100, 5) == 0
    assert repr(empty) == "OrderBook(levels=100, orders=0, best_bid=0, best_ask=100)"


@pytest.mark.parametrize(
    ("levels", "error"),
    [(1, ValueError), (0, ValueError), (-3, ValueError), ((1 << 20) + 1, ValueError),
     (2**64, ValueError), (100.0, TypeError), (True, TypeError), ("100", TypeError)],
)  # fmt: skip
def test_bad_levels_are_refused(book: ModuleType, levels: Any, error: type) -> None:
    with pytest.raises(error, match="levels"):
        book.OrderBook(levels)


def test_levels_is_read_only(book: ModuleType) -> None:
    with pytest.raises(AttributeError):
        book.OrderBook(10).levels = 20


def test_two_levels_hold_one_price(book: ModuleType) -> None:
    tiny = book.OrderBook(2)
    tiny.add(1, True, 1, 5)
    with pytest.raises(ValueError, match="cross"):
        tiny.add(2, False, 1, 5)
    assert match(tiny, False, 1, 9) == (5, [(1, 1, 5)])


# --- add ---------------------------------------------------------------------------------------


def test_add_rests_at_the_back_of_its_level(book: ModuleType) -> None:
    b = book.OrderBook(100)
    bids(b, (1, 40, 10), (2, 40, 5), (3, 38, 7))
    asks(b, (-1, 45, 4))
    assert len(b) == 4 and 2 in b and -1 in b and 9 not in b
    assert b.best_bid() == 40 and b.best_ask() == 45
    assert b.depth(True, 40) == 15 and b.depth(True, 38) == 7 and b.depth(False, 40) == 0
    assert [b.queue_ahead(i) for i in (1, 2, 3, -1)] == [0, 10, 0, 0]
    assert [b.remaining(i) for i in (1, 2, 3, -1, 9)] == [10, 5, 7, 4, 0]
    assert repr(b) == "OrderBook(levels=100, orders=4, best_bid=40, best_ask=45)"


def test_numpy_ints_are_accepted(book: ModuleType) -> None:
    b = book.OrderBook(100)
    b.add(np.int64(7), np.bool_(True), np.int64(40), np.int32(3))
    assert b.remaining(7) == 3 and np.int64(7) in b


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ((1, True, 40, 1), "order 1 is already resting"),
        ((0, True, 30, 1), "order_id must be nonzero"),
        ((5, True, 0, 1), "level must be between 1 and 99, got 0"),
        ((5, False, 100, 1), "level must be between 1 and 99, got 100"),
        ((5, True, -1, 1), "level must be between 1 and 99, got -1"),
        ((5, True, 30, 0), "size must be > 0, got 0"),
        ((5, True, 30, -4), "size must be > 0, got -4"),
        ((5, True, 50, 1), "a buy at level 50 would cross the best ask 50; match first"),
        ((5, True, 60, 1), "a buy at level 60 would cross the best ask 50"),
        ((5, False, 40, 1), "a sell at level 40 would cross the best bid 40"),
        ((5, False, 2, 1), "a sell at level 2 would cross the best bid 40"),
        ((2**63, True, 30, 1), "order_id=9223372036854775808 is outside the signed 64-bit"),
        ((5, True, 30, 2**64), "size=18446744073709551616 is outside the signed 64-bit"),
    ],
)
def test_bad_add_is_refused_and_changes_nothing(
    book: ModuleType, args: tuple[Any, ...], words: str
) -> None:
    b = book.OrderBook(100)
    bids(b, (1, 40, 10))
    asks(b, (2, 50, 10))
    with pytest.raises(ValueError, match=words):
        b.add(*args)
    assert len(b) == 2 and (b.best_bid(), b.best_ask()) == (40, 50)
    assert b.depth(True, 40) == 10 and b.depth(True, 30) == 0 and b.remaining(5) == 0


@pytest.mark.parametrize(
    ("args", "name", "error"),
    [
        ((1.0, True, 40, 1), "order_id", FloatRefused),
        ((1, True, 40.0, 1), "level", FloatRefused),
        ((1, True, 40, 1.5), "size", FloatRefused),
        ((1, True, 40, True), "size", TypeError),
        (("1", True, 40, 1), "order_id", TypeError),
        ((1, True, None, 1), "level", TypeError),
    ],
)
def test_non_int_add_is_a_type_error(
    book: ModuleType, args: tuple[Any, ...], name: str, error: type
) -> None:
    b = book.OrderBook(100)
    with pytest.raises(error, match=name):
        b.add(*args)
    assert len(b) == 0


def test_depth_that_would_overflow_is_refused(book: ModuleType) -> None:
    b = book.OrderBook(100)
    bids(b, (1, 40, INT64_MAX))
    with pytest.raises(ValueError, match="overflows the 64-bit depth"):
        b.add(2, True, 40, 1)
    bids(b, (2, 39, INT64_MAX))
    assert b.available(False, 0, INT64_MAX) == INT64_MAX
    assert match(b, False, 0, INT64_MAX) == (INT64_MAX, [(1, 40, INT64_MAX)])


# --- match: price-time priority ------------------------------------------------------------------


def test_best_price_first_then_oldest_first(book: ModuleType) -> None:
    b = book.OrderBook(100)
    asks(b, (1, 50, 5), (2, 50, 5), (3, 49, 5), (4, 51, 5))
    assert match(b, True, 50, 12) == (12, [(3, 49, 5), (1, 50, 5), (2, 50, 2)])
    assert b.remaining(2) == 3 and b.queue_ahead(2) == 0 and b.best_ask() == 50
    asks(b, (5, 50, 1))
    assert b.queue_ahead(5) == 3
    assert match(b, True, 99, 100) == (9, [(2, 50, 3), (5, 50, 1), (4, 51, 5)])
    assert len(b) == 0 and b.best_ask() == 100


def test_sells_take_the_highest_bids_first(book: ModuleType) -> None:
    b = book.OrderBook(100)
    bids(b, (1, 40, 5), (2, 42, 5), (3, 42, 5))
    assert match(b, False, 41, 100) == (10, [(2, 42, 5), (3, 42, 5)])
    assert b.best_bid() == 40 and b.remaining(1) == 5


def test_fills_are_at_the_makers_levels_not_the_limit(book: ModuleType) -> None:
    b = book.OrderBook(100)
    asks(b, (1, 50, 5), (2, 52, 5))
    bids(b, (3, 30, 5))
    assert match(b, True, 90, 7) == (7, [(1, 50, 5), (2, 52, 2)])
    assert match(b, False, 1, 2) == (2, [(3, 30, 2)])


def test_limit_stops_the_walk(book: ModuleType) -> None:
    b = book.OrderBook(100)
    asks(b, (1, 50, 5), (2, 52, 5))
    assert match(b, True, 51, 100) == (5, [(1, 50, 5)])
    assert match(b, True, 49, 100) == (0, [])
    assert b.best_ask() == 52 and b.remaining(2) == 5


@pytest.mark.parametrize("limit", [100, 10**6, INT64_MAX])
def test_a_limit_past_the_last_level_sweeps_every_ask(book: ModuleType, limit: int) -> None:
    b = book.OrderBook(100)
    asks(b, (1, 99, 5), (2, 1, 5))
    assert match(b, True, limit, 100) == (10, [(2, 1, 5), (1, 99, 5)])


@pytest.mark.parametrize("limit", [0, -(10**6), -(2**63)])
def test_a_limit_below_the_first_level_sweeps_every_bid(book: ModuleType, limit: int) -> None:
    b = book.OrderBook(100)
    bids(b, (1, 1, 5), (2, 99, 5))
    assert match(b, False, limit, 100) == (10, [(2, 99, 5), (1, 1, 5)])


def test_a_partly_filled_maker_keeps_its_place(book: ModuleType) -> None:
    b = book.OrderBook(100)
    asks(b, (1, 50, 10), (2, 50, 10))
    assert match(b, True, 50, 4) == (4, [(1, 50, 4)])
    assert b.remaining(1) == 6 and b.queue_ahead(2) == 6 and b.depth(False, 50) == 16
    assert match(b, True, 50, 8) == (8, [(1, 50, 6), (2, 50, 2)])
    assert 1 not in b and b.queue_ahead(2) == 0


def test_match_appends_to_the_fills_it_is_given(book: ModuleType) -> None:
    b = book.OrderBook(100)
    asks(b, (1, 50, 5))
    fills: list[Fill] = [(0, 0, 0)]
    assert b.match(True, 50, 2, fills) == 2
    assert fills == [(0, 0, 0), (1, 50, 2)]


@pytest.mark.parametrize(
    ("args", "error", "words"),
    [
        ((True, 50, 0, []), ValueError, "size must be > 0, got 0"),
        ((True, 50, 5, ()), TypeError, "fills must be a list, not tuple"),
        ((True, 50, 5, None), TypeError, "fills must be a list, not NoneType"),
        ((True, 50.0, 5, []), FloatRefused, "limit"),
        ((True, 2**63, 5, []), ValueError, "limit=9223372036854775808 is outside"),
    ],
)
def test_bad_match_is_refused_and_changes_nothing(
    book: ModuleType, args: tuple[Any, ...], error: type, words: str
) -> None:
    b = book.OrderBook(100)
    asks(b, (1, 50, 5))
    with pytest.raises(error, match=words):
        b.match(*args)
    assert b.remaining(1) == 5


# --- available -----------------------------------------------------------------------------------


def test_available_is_what_match_would_fill(book: ModuleType) -> None:
    b = book.OrderBook(100)
    asks(b, (1, 50, 5), (2, 52, 5), (3, 60, 5))
    bids(b, (4, 40, 3), (5, 20, 3))
    assert b.available(True, 49, 100) == 0
    assert b.available(True, 52, 100) == 10
    assert b.available(True, 52, 7) == 7
    assert b.available(True, 100, 100) == 15
    assert b.available(False, 30, 100) == 3 and b.available(False, 0, 100) == 6
    assert len(b) == 5 and b.remaining(1) == 5
    assert b.available(True, 52, 100) == match(b, True, 52, 100)[0]
    with pytest.raises(ValueError, match="size must be > 0"):
        b.available(True, 52, 0)


# --- cancel, reduce, remaining, queue_ahead, depth -----------------------------------------------


def test_cancel_returns_the_remaining_size_once(book: ModuleType) -> None:
    b = book.OrderBook(100)
    bids(b, (1, 40, 10), (2, 40, 5))
    match(b, False, 40, 3)
    assert b.cancel(1) == 7 and b.cancel(1) == 0 and b.cancel(99) == 0 and b.cancel(0) == 0
    assert len(b) == 1 and b.queue_ahead(2) == 0 and b.depth(True, 40) == 5
    with pytest.raises(FloatRefused, match="order_id"):
        b.cancel(2.0)


def test_emptied_best_levels_move_the_best_price(book: ModuleType) -> None:
    b = book.OrderBook(100)
    bids(b, (1, 10, 1), (2, 20, 1), (3, 30, 1))
    asks(b, (4, 70, 1), (5, 80, 1))
    b.cancel(2)  # not the best: nothing moves
    assert b.best_bid() == 30
    b.cancel(3)
    assert b.best_bid() == 10
    b.cancel(1)
    assert b.best_bid() == 0
    b.cancel(4)
    assert b.best_ask() == 80
    b.cancel(5)
    assert b.best_ask() == 100
    bids(b, (6, 99, 1))  # the whole range is open again
    assert b.best_bid() == 99


def test_reduce_keeps_the_place_in_the_queue(book: ModuleType) -> None:
    b = book.OrderBook(100)
    asks(b, (1, 50, 10), (2, 50, 10))
    assert b.reduce(1, 3) == 7
    assert b.queue_ahead(2) == 7 and b.depth(False, 50) == 17
    assert match(b, True, 50, 8) == (8, [(1, 50, 7), (2, 50, 1)])


def test_reduce_to_nothing_removes_the_order(book: ModuleType) -> None:
    b = book.OrderBook(100)
    asks(b, (1, 50, 10), (2, 51, 10))
    assert b.reduce(1, 10) == 0 and 1 not in b and b.best_ask() == 51
    assert b.reduce(2, 50) == 0 and len(b) == 0 and b.best_ask() == 100
    assert b.reduce(2, 1) == 0
    with pytest.raises(ValueError, match="size must be > 0, got 0"):
        b.reduce(2, 0)


def test_queue_ahead_of_an_order_not_resting_is_a_key_error(book: ModuleType) -> None:
    b = book.OrderBook(100)
    with pytest.raises(KeyError, match="order 3 is not resting"):
        b.queue_ahead(3)


def test_depth_of_a_level_out_of_range_is_refused(book: ModuleType) -> None:
    b = book.OrderBook(100)
    assert b.depth(True, 99) == 0
    with pytest.raises(ValueError, match="level must be between 1 and 99, got 100"):
        b.depth(False, 100)


@pytest.mark.parametrize("other", ["1", 1.0, True, None, 2**64, -(2**64), (1,)])
def test_contains_is_false_for_what_cannot_be_an_id(book: ModuleType, other: object) -> None:
    b = book.OrderBook(100)
    bids(b, (1, 40, 1))
    assert 1 in b and other not in b


def test_extreme_ids_and_many_orders(book: ModuleType) -> None:
    """Past the first allocations: ids spread over the int64 range, slots reused."""
    b = book.OrderBook(1000)
    # alternating signs, and multiples of 2**50 that share all their low bits
    ids = [-(2**63), INT64_MAX, *((-1) ** i * i * 1_000_003 for i in range(1, 4000))]
    ids += [i << 50 for i in range(1, 2000)]
    for n, order_id in enumerate(ids):
        b.add(order_id, n % 2 == 0, 1 + n % 400 if n % 2 == 0 else 600 + n % 400, 1 + n % 7)
    assert len(b) == len(ids)
    for order_id in ids[::2]:
        assert b.cancel(order_id) > 0
    kept = ids[1::2]
    assert len(b) == len(kept) and all(order_id in b for order_id in kept)
    assert not any(order_id in b for order_id in ids[::2])
    for round_ in range(3):  # add and remove again through the free slots
        for order_id in ids[::2]:
            b.add(order_id, True, 1 + round_, 1)
        for order_id in ids[::2]:
            assert b.cancel(order_id) == 1
    total = sum(b.remaining(order_id) for order_id in kept)
    filled, fills = match(b, True, 1000, 10**9)
    assert filled == total and len(fills) == len(kept) and len(b) == 0
    assert [level for _, level, _ in fills] == sorted(level for _, level, _ in fills)


# --- the model: a naive matcher, scanned in priority order -------------------------------------


class Reference:
    """The book as a plain list of resting [order_id, buy, level, size], oldest first."""

    def __init__(self, levels: int) -> None:
        self.levels = levels
        self.orders: list[list[Any]] = []

    def _find(self, order_id: int) -> list[Any] | None:
        return next((order for order in self.orders if order[0] == order_id), None)

    def __len__(self) -> int:
        return len(self.orders)

    def __contains__(self, order_id: int) -> bool:
        return self._find(order_id) is not None

    def best_bid(self) -> int:
        return max((order[2] for order in self.orders if order[1]), default=0)

    def best_ask(self) -> int:
        return min((order[2] for order in self.orders if not order[1]), default=self.levels)

    def add(self, order_id: int, buy: bool, level: int, size: int) -> None:
        crosses = level >= self.best_ask() if buy else level <= self.best_bid()
        if order_id in self or not 0 < level < self.levels or crosses:
            raise ValueError
        self.orders.append([order_id, buy, level, size])

    def _makers(self, buy: bool, limit: int) -> list[list[Any]]:
        reachable = [
            order
            for order in self.orders
            if order[1] != buy and (order[2] <= limit if buy else order[2] >= limit)
        ]
        return sorted(reachable, key=lambda order: order[2] if buy else -order[2])  # stable

    def match(self, buy: bool, limit: int, size: int, fills: list[Fill]) -> int:
        left = size
        for maker in self._makers(buy, limit):
            taken = min(left, maker[3])
            if not taken:
                break
            fills.append((maker[0], maker[2], taken))
            self._shrink(maker, taken)
            left -= taken
        return size - left

    def available(self, buy: bool, limit: int, size: int) -> int:
        return min(size, sum(order[3] for order in self._makers(buy, limit)))

    def _shrink(self, order: list[Any], by: int) -> int:
        order[3] -= by
        if not order[3]:
            self.orders.remove(order)
        return int(order[3])

    def cancel(self, order_id: int) -> int:
        order = self._find(order_id)
        return 0 if order is None else order[3] - self._shrink(order, order[3])

    def reduce(self, order_id: int, size: int) -> int:
        order = self._find(order_id)
        return 0 if order is None else self._shrink(order, min(size, order[3]))

    def remaining(self, order_id: int) -> int:
        order = self._find(order_id)
        return 0 if order is None else int(order[3])

    def queue_ahead(self, order_id: int) -> int:
        me = self._find(order_id)
        assert me is not None
        ahead = [o for o in self.orders[: self.orders.index(me)] if o[1:3] == me[1:3]]
        return sum(order[3] for order in ahead)

    def depth(self, buy: bool, level: int) -> int:
        return sum(order[3] for order in self.orders if order[1] == buy and order[2] == level)


LEVELS = 12
IDS = [*range(-4, 0), *range(1, 13)]
ids = st.sampled_from(IDS)
sizes = st.integers(1, 20)
limits = st.integers(-1, LEVELS + 1)
OPS = {
    "add": st.tuples(st.just("add"), ids, st.booleans(), st.integers(0, LEVELS), sizes),
    "match": st.tuples(st.just("match"), st.booleans(), limits, st.integers(1, 40)),
    "cancel": st.tuples(st.just("cancel"), ids),
    "available": st.tuples(st.just("available"), st.booleans(), limits, st.integers(1, 40)),
    "reduce": st.tuples(st.just("reduce"), ids, sizes),
}


def streams(*kinds: str) -> st.SearchStrategy[list[tuple[Any, ...]]]:
    """Lists of ops drawn from `kinds` (a kind named twice comes twice as often)."""
    return st.lists(st.sampled_from(kinds).flatmap(OPS.__getitem__), min_size=20, max_size=100)


# Adds come most often, so that there is resting liquidity to match against.
stream_ops = streams("add", "add", "add", "add", "match", "cancel", "available", "reduce")


def outcome(book: Any, op: tuple[Any, ...], words: bool = True) -> tuple[Any, ...]:
    """What one op returns (with the fills of a match), or that it raised ValueError."""
    kind, *args = op
    fills: list[Fill] = []
    try:
        result = book.match(*args, fills) if kind == "match" else getattr(book, kind)(*args)
    except ValueError as error:
        return "ValueError", str(error) if words else ""
    return result, fills


def snapshot(book: Any) -> tuple[Any, ...]:
    """Everything the book shows: counts, best prices, every depth, every order's place."""
    return (
        len(book),
        book.best_bid(),
        book.best_ask(),
        [book.depth(buy, level) for buy in (True, False) for level in range(1, LEVELS)],
        [(book.remaining(i), book.queue_ahead(i) if i in book else None) for i in IDS],
    )


@settings(max_examples=300)
@given(ops=stream_ops)
def test_book_matches_the_naive_reference(book: ModuleType, ops: list[tuple[Any, ...]]) -> None:
    real, model = book.OrderBook(LEVELS), Reference(LEVELS)
    for op in ops:
        assert outcome(real, op, words=False) == outcome(model, op, words=False), op
        assert snapshot(real) == snapshot(model), op


@needs_extensions
@given(ops=stream_ops)
def test_compiled_and_twin_agree_on_every_stream(ops: list[tuple[Any, ...]]) -> None:
    compiled = _core.load("book", compiled=True).OrderBook(LEVELS)
    twin = _core.load("book", compiled=False).OrderBook(LEVELS)
    for op in ops:
        assert outcome(compiled, op) == outcome(twin, op), op
        assert snapshot(compiled) == snapshot(twin), op


@needs_extensions
@pytest.mark.parametrize(
    "call",
    [
        lambda b: b.add(1.5, True, 1, 1),
        lambda b: b.add(1, True, "1", 1),
        lambda b: b.add(1, True, 1, False),
        lambda b: b.add(2**63, True, 1, 1),
        lambda b: b.add(0, True, 1, 1),
        lambda b: b.add(1, True, 9, 1),
        lambda b: b.add(1, True, 1, -1),
        lambda b: b.match(True, 1, 1, ()),
        lambda b: b.available(False, 1, 0),
        lambda b: b.reduce(1, 0),
        lambda b: b.queue_ahead(7),
        lambda b: b.depth(True, 0),
        lambda b: b.cancel(None),
        lambda b: b.run(np.zeros((2, 4), dtype=np.int64)),
        lambda b: b.run(np.array([[3, 0, 0, 0, 0]])),
    ],
)
def test_compiled_and_twin_fail_with_the_same_words(call: Any) -> None:
    errors = []
    for compiled in (True, False):
        with pytest.raises((TypeError, ValueError, KeyError)) as caught:
            call(_core.load("book", compiled=compiled).OrderBook(5))
        errors.append((type(caught.value), str(caught.value)))
    assert errors[0] == errors[1]


# --- run -----------------------------------------------------------------------------------------


def rows(ops: list[tuple[Any, ...]]) -> np.ndarray[Any, np.dtype[np.int64]]:
    """add/cancel/match ops as run()'s rows (op, order_id, buy, level, size)."""
    table = {
        "add": lambda order_id, buy, level, size: (0, order_id, buy, level, size),
        "cancel": lambda order_id: (1, order_id, 0, 0, 0),
        "match": lambda buy, limit, size: (2, 0, buy, limit, size),
    }
    return np.array([table[kind](*args) for kind, *args in ops], dtype=np.int64).reshape(-1, 5)


@given(ops=streams("add", "add", "add", "match", "cancel"))
def test_run_is_the_method_calls_in_a_loop(book: ModuleType, ops: list[tuple[Any, ...]]) -> None:
    by_run, by_calls = book.OrderBook(LEVELS), book.OrderBook(LEVELS)
    try:
        ran: tuple[Any, ...] = (by_run.run(rows(ops)),)
    except ValueError as error:
        ran = ("ValueError", str(error))
    called: tuple[Any, ...] = (0,)
    for op in ops:
        result = outcome(by_calls, op)
        if result[0] == "ValueError":
            called = result
            break
        called = (called[0] + (len(result[1]) if op[0] == "match" else 0),)
    assert ran == called
    assert snapshot(by_run) == snapshot(by_calls)


def test_run_counts_fills_and_discards_them(book: ModuleType) -> None:
    b = book.OrderBook(100)
    ops = np.array(
        [[0, 1, 0, 50, 5], [0, 2, 0, 51, 5], [0, 3, 1, 40, 5], [2, 0, 1, 51, 7], [1, 3, 0, 0, 0]],
        dtype=np.int64,
    )
    assert b.run(ops) == 2
    assert len(b) == 1 and b.remaining(2) == 3 and b.best_bid() == 0
    assert b.run(ops[:0]) == 0


def test_run_takes_strided_and_read_only_arrays(book: ModuleType) -> None:
    table = np.zeros((4, 10), dtype=np.int64)
    table[:, :5] = [[0, 1, 0, 50, 5], [0, 2, 0, 51, 5], [2, 0, 1, 99, 6], [1, 2, 0, 0, 0]]
    table.setflags(write=False)
    b = book.OrderBook(100)
    assert b.run(table[:, :5]) == 2 and len(b) == 0
    b = book.OrderBook(100)
    assert b.run(table[::2, :5]) == 1 and b.remaining(2) == 0 and len(b) == 0


@pytest.mark.parametrize(
    "ops",
    [
        [[0, 1, 0, 50, 5]],
        np.array([0, 1, 0, 50, 5], dtype=np.int64),
        np.array([[0, 1, 0, 50, 5]], dtype=np.float64),
        np.array([[0, 1, 0, 50, 5]], dtype=np.int32),
        np.array([[0, 1, 0, 50]], dtype=np.int64),
    ],
)
def test_run_refuses_anything_but_int64_rows_of_five(book: ModuleType, ops: Any) -> None:
    b = book.OrderBook(100)
    with pytest.raises(TypeError, match="ops must be a 2-D int64 array"):
        b.run(ops)
    assert len(b) == 0


def test_a_bad_row_raises_after_the_rows_before_it(book: ModuleType) -> None:
    b = book.OrderBook(100)
    ops = np.array([[0, 1, 0, 50, 5], [7, 0, 0, 0, 0], [0, 2, 0, 50, 5]], dtype=np.int64)
    with pytest.raises(ValueError, match=r"ops row 1: unknown op 7"):
        b.run(ops)
    assert 1 in b and 2 not in b
    with pytest.raises(ValueError, match="a sell at level 40 would cross the best bid 40"):
        b.run(np.array([[0, 3, 1, 40, 1], [0, 4, 0, 40, 1]], dtype=np.int64))
    assert 3 in b and 4 not in b
