"""Pure-Python twin of book.pyx: a limit order book with price-time priority.

One book holds one binary market in YES terms (the caller maps NO orders onto it: BUY NO
at q is SELL YES at 1 - q). Prices are integer levels 1..levels-1; sizes are positive
ints; order ids are nonzero ints. A resting book is never crossed: callers match first.

This module also holds the argument checks and error reports the compiled module calls,
so both implementations fail with the same words.
"""

from __future__ import annotations

import bisect
import operator
from typing import TYPE_CHECKING

from polyedge.errors import FloatRefused, InvalidValue

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
MAX_LEVELS = 1 << 20  # the compiled book keeps two arrays of `levels` entries
ADD, CANCEL, MATCH = 0, 1, 2  # the op column of run()'s rows

Fill = tuple[int, int, int]  # (maker_id, level, size_filled)


def checked_int(value: object, name: str) -> int:
    """`value` as a signed 64-bit int, or a TypeError / ValueError naming `name`."""
    if type(value) is int and INT64_MIN <= value <= INT64_MAX:  # the common case, first
        return value
    if isinstance(value, float):
        raise FloatRefused(name, value)
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an int, not bool")
    try:
        number = operator.index(value)  # type: ignore[arg-type]  # int, numpy.int64, ...
    except TypeError:
        raise TypeError(f"{name} must be an int, not {type(value).__name__}") from None
    if not INT64_MIN <= number <= INT64_MAX:
        raise InvalidValue(f"{name}={number} is outside the signed 64-bit range")
    return number


def checked_levels(levels: object) -> int:
    count = checked_int(levels, "levels")
    if not 2 <= count <= MAX_LEVELS:
        raise InvalidValue(f"levels must be between 2 and {MAX_LEVELS}, got {count}")
    return count


def checked_fills(fills: object) -> list[Fill]:
    if type(fills) is not list:
        raise TypeError(f"fills must be a list, not {type(fills).__name__}")
    return fills


def checked_ops(ops: object) -> None:
    """Refuse anything but a 2-D int64 array of 5-column rows, before any row is applied."""
    import numpy as np  # only run() needs numpy: keep it off the import path

    if isinstance(ops, np.ndarray):
        if ops.dtype == np.int64 and ops.ndim == 2 and ops.shape[1] == 5:
            return
        what = f"a {ops.dtype} array of shape {ops.shape}"
    else:
        what = type(ops).__name__
    raise TypeError(
        f"ops must be a 2-D int64 array of rows (op, order_id, buy, level, size), not {what}"
    )


def order_id_error() -> InvalidValue:
    return InvalidValue("order_id must be nonzero")


def level_error(level: int, levels: int) -> InvalidValue:
    return InvalidValue(f"level must be between 1 and {levels - 1}, got {level}")


def size_error(size: int) -> InvalidValue:
    return InvalidValue(f"size must be > 0, got {size}")


def duplicate_error(order_id: int) -> InvalidValue:
    return InvalidValue(f"order {order_id} is already resting")


def cross_error(buy: bool, level: int, best: int) -> InvalidValue:
    side, other = ("buy", "ask") if buy else ("sell", "bid")
    return InvalidValue(
        f"a {side} at level {level} would cross the best {other} {best}; match first"
    )


def depth_error(level: int, size: int) -> InvalidValue:
    return InvalidValue(f"adding size {size} at level {level} overflows the 64-bit depth there")


def not_resting(order_id: int) -> KeyError:
    return KeyError(f"order {order_id} is not resting")


def op_error(op: int, row: int) -> InvalidValue:
    return InvalidValue(f"ops row {row}: unknown op {op} (0 add, 1 cancel, 2 match)")


class _Side:
    """One side of the book: a FIFO of {order_id: size} per level, and the levels in use."""

    __slots__ = ("depth", "prices", "queues")

    def __init__(self) -> None:
        self.queues: dict[int, dict[int, int]] = {}  # level -> {order_id: size}, oldest first
        self.depth: dict[int, int] = {}  # level -> total size resting there
        self.prices: list[int] = []  # the levels in `queues`, ascending

    def push(self, level: int, order_id: int, size: int) -> None:
        queue = self.queues.get(level)
        if queue is None:
            queue = self.queues[level] = {}
            self.depth[level] = 0
            bisect.insort(self.prices, level)
        queue[order_id] = size  # a dict keeps insertion order: the back of the queue
        self.depth[level] += size

    def shrink(self, level: int, order_id: int, by: int) -> int:
        """Take `by` off the order in place; returns what is left, removing it at 0."""
        queue = self.queues[level]
        left = queue[order_id] - by
        self.depth[level] -= by
        if left:
            queue[order_id] = left  # an existing key keeps its place
            return left
        del queue[order_id]
        if not queue:
            del self.queues[level], self.depth[level]
            del self.prices[bisect.bisect_left(self.prices, level)]
        return 0


class OrderBook:
    """A limit order book for one binary market, in YES terms, with price-time priority.

    Not thread-safe: one owner drives it (the compiled book locks itself on free-threaded
    Python only to keep its C memory intact).
    """

    __slots__ = ("_asks", "_bids", "_levels", "_where")

    def __init__(self, levels: int) -> None:
        self._levels = checked_levels(levels)
        self._bids = _Side()
        self._asks = _Side()
        self._where: dict[int, tuple[bool, int]] = {}  # resting order_id -> (buy, level)

    @property
    def levels(self) -> int:
        return self._levels

    def __len__(self) -> int:
        return len(self._where)

    def __contains__(self, order_id: object) -> bool:
        try:
            return checked_int(order_id, "order_id") in self._where
        except (TypeError, ValueError):
            return False  # not an order id at all

    def __repr__(self) -> str:
        return (
            f"OrderBook(levels={self._levels}, orders={len(self)}, "
            f"best_bid={self.best_bid()}, best_ask={self.best_ask()})"
        )

    def best_bid(self) -> int:
        """The highest bid level; 0 when there are no bids."""
        prices = self._bids.prices
        return prices[-1] if prices else 0

    def best_ask(self) -> int:
        """The lowest ask level; `levels` when there are no asks."""
        prices = self._asks.prices
        return prices[0] if prices else self._levels

    def add(self, order_id: int, buy: bool, level: int, size: int) -> None:
        """Rest an order at the back of the queue at `level`; it must not cross the book."""
        buy = bool(buy)
        order_id = checked_int(order_id, "order_id")
        level = checked_int(level, "level")
        size = checked_int(size, "size")
        if order_id == 0:
            raise order_id_error()
        if not 0 < level < self._levels:
            raise level_error(level, self._levels)
        if size <= 0:
            raise size_error(size)
        if order_id in self._where:
            raise duplicate_error(order_id)
        if buy and level >= self.best_ask():
            raise cross_error(buy, level, self.best_ask())
        if not buy and level <= self.best_bid():
            raise cross_error(buy, level, self.best_bid())
        side = self._bids if buy else self._asks
        if size > INT64_MAX - side.depth.get(level, 0):
            raise depth_error(level, size)
        side.push(level, order_id, size)
        self._where[order_id] = (buy, level)

    def match(self, buy: bool, limit: int, size: int, fills: list[Fill]) -> int:
        """Take up to `size` from the other side at levels no worse than `limit`, best
        price first and oldest first; appends (maker_id, level, size) per maker touched
        to `fills` and returns the total filled."""
        buy = bool(buy)
        limit = checked_int(limit, "limit")
        size = checked_int(size, "size")
        checked_fills(fills)
        if size <= 0:
            raise size_error(size)
        side = self._asks if buy else self._bids
        left = size
        while left and side.prices:
            level = side.prices[0] if buy else side.prices[-1]
            if (level > limit) if buy else (level < limit):
                break
            maker_id, maker_size = next(iter(side.queues[level].items()))
            taken = min(maker_size, left)
            fills.append((maker_id, level, taken))
            left -= taken
            if not side.shrink(level, maker_id, taken):
                del self._where[maker_id]
        return size - left

    def available(self, buy: bool, limit: int, size: int) -> int:
        """What match() would fill now, capped at `size`, changing nothing (for FOK)."""
        buy = bool(buy)
        limit = checked_int(limit, "limit")
        size = checked_int(size, "size")
        if size <= 0:
            raise size_error(size)
        if buy:
            prices = self._asks.prices
            reachable = prices[: bisect.bisect_right(prices, limit)]
            depth = self._asks.depth
        else:
            prices = self._bids.prices
            reachable = prices[bisect.bisect_left(prices, limit) :][::-1]
            depth = self._bids.depth
        total = 0
        for level in reachable:
            total += depth[level]
            if total >= size:
                return size
        return total

    def cancel(self, order_id: int) -> int:
        """Remove a resting order; returns its remaining size, 0 if it was not resting."""
        left = self.remaining(order_id)
        if left:
            self._shrink(order_id, left)
        return left

    def reduce(self, order_id: int, size: int) -> int:
        """Lower a resting order's size by up to `size`, keeping its place; returns what is
        left (0 = removed, or it was not resting)."""
        order_id = checked_int(order_id, "order_id")
        size = checked_int(size, "size")
        if size <= 0:
            raise size_error(size)
        left = self.remaining(order_id)
        return self._shrink(order_id, min(size, left)) if left else 0

    def remaining(self, order_id: int) -> int:
        """The size still resting; 0 if the order is not resting."""
        order_id = checked_int(order_id, "order_id")
        where = self._where.get(order_id)
        if where is None:
            return 0
        buy, level = where
        return (self._bids if buy else self._asks).queues[level][order_id]

    def queue_ahead(self, order_id: int) -> int:
        """The total size queued ahead of a resting order at its level (0 if first)."""
        order_id = checked_int(order_id, "order_id")
        where = self._where.get(order_id)
        if where is None:
            raise not_resting(order_id)
        buy, level = where
        ahead = 0
        for other, size in (self._bids if buy else self._asks).queues[level].items():
            if other == order_id:
                break
            ahead += size
        return ahead

    def depth(self, buy: bool, level: int) -> int:
        """The total size resting at `level` on the bid (buy) or ask side."""
        buy = bool(buy)
        level = checked_int(level, "level")
        if not 0 < level < self._levels:
            raise level_error(level, self._levels)
        return (self._bids if buy else self._asks).depth.get(level, 0)

    def run(self, ops: npt.NDArray[np.int64]) -> int:
        """Apply rows (op, order_id, buy, level, size): op 0 adds, 1 cancels, 2 matches
        (level is the limit; fills are counted, not kept). Returns the number of fills."""
        checked_ops(ops)
        fills: list[Fill] = []
        count = 0
        for row, (op, order_id, buy, level, size) in enumerate(ops.tolist()):
            if op == ADD:
                self.add(order_id, buy, level, size)
            elif op == CANCEL:
                self.cancel(order_id)
            elif op == MATCH:
                self.match(buy, level, size, fills)
                count += len(fills)
                fills.clear()
            else:
                raise op_error(op, row)
        return count

    def _shrink(self, order_id: int, by: int) -> int:
        buy, level = self._where[order_id]
        left = (self._bids if buy else self._asks).shrink(level, order_id, by)
        if not left:
            del self._where[order_id]
        return left
