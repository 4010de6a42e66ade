# cython: freethreading_compatible = True
"""Limit order book with price-time priority, in C arrays (see book_py.py for the contract).

Orders sit in a pool of slots (grown by doubling, reused through a free list), each linked
into the FIFO of its level; per-level head, tail and total make add, cancel and a fill
O(1). The best bid and ask move by a scan to the next non-empty level only when their
level empties. Order ids map to slots through an open-addressing hash table.

Errors are reported by the pure-Python twin's helpers, so both fail with the same words.
Public methods lock the book on free-threaded Python (a no-op with the GIL) so that
sharing one across threads cannot corrupt its memory.
"""

cimport cython
from cpython.long cimport PyLong_AsLongLongAndOverflow, PyLong_CheckExact
from libc.stdint cimport INT64_MAX, int64_t, uint64_t
from libc.stdlib cimport calloc, free, malloc, realloc

from polyedge._core.book_py import (
    checked_fills,
    checked_int,
    checked_levels,
    checked_ops,
    cross_error,
    depth_error,
    duplicate_error,
    level_error,
    not_resting,
    op_error,
    order_id_error,
    size_error,
)

cdef enum:
    FIRST_SLOTS = 1024  # order pool slots at first, slot 0 included
    FIRST_ENTRIES = 2048  # index entries at first: a power of two, twice FIRST_SLOTS
    FIRST_SHIFT = 53  # 64 - log2(FIRST_ENTRIES)
    OP_ADD = 0
    OP_CANCEL = 1
    OP_MATCH = 2


cdef inline int64_t _int(object value, str name) except? -1:
    cdef int overflow = 0
    cdef long long number
    if PyLong_CheckExact(value):
        number = PyLong_AsLongLongAndOverflow(value, &overflow)
        if not overflow:
            return number
    return checked_int(value, name)  # numpy ints; raises for the rest


cdef inline int64_t _home(const Index *index, int64_t order_id) noexcept:
    # Fibonacci hashing: the top bits of the product mix every bit of the id.
    return <int64_t>((<uint64_t>order_id * 0x9E3779B97F4A7C15ULL) >> index.shift)


cdef inline int64_t _find(const Index *index, int64_t order_id) noexcept:
    """The entry holding `order_id`, or the empty entry where it would go."""
    cdef int64_t i = _home(index, order_id)
    while index.entries[i].order_id != 0 and index.entries[i].order_id != order_id:
        i = (i + 1) & index.mask
    return i


cdef inline void _erase(Index *index, int64_t i) noexcept:
    # Backward-shift deletion: pull later entries of the probe run into the hole, so
    # lookups never need tombstones.
    cdef int64_t j = (i + 1) & index.mask
    cdef int64_t home
    while index.entries[j].order_id != 0:
        home = _home(index, index.entries[j].order_id)
        if ((j - home) & index.mask) >= ((j - i) & index.mask):
            index.entries[i] = index.entries[j]
            i = j
        j = (j + 1) & index.mask
    index.entries[i] = Entry(0, 0)  # an empty entry maps to slot 0: not resting


cdef int _grow_index(Index *index) except -1:
    cdef int64_t size = (index.mask + 1) * 2
    cdef Entry *old = index.entries
    cdef Entry *entries = <Entry *>calloc(size, sizeof(Entry))
    if entries == NULL:
        raise MemoryError()
    index.entries = entries
    index.mask = size - 1
    index.shift -= 1
    cdef int64_t i
    for i in range(size // 2):
        if old[i].order_id != 0:
            index.entries[_find(index, old[i].order_id)] = old[i]
    free(old)
    return 0


@cython.final
cdef class OrderBook:
    """A limit order book for one binary market, in YES terms, with price-time priority."""

    def __cinit__(self, levels):
        self.levels = checked_levels(levels)
        self._best_ask = self.levels
        self._bids = <Level *>calloc(self.levels + 1, sizeof(Level))
        self._asks = <Level *>calloc(self.levels + 1, sizeof(Level))
        self._orders = <Order *>malloc(FIRST_SLOTS * sizeof(Order))
        self._index.entries = <Entry *>calloc(FIRST_ENTRIES, sizeof(Entry))
        if not (self._bids and self._asks and self._orders and self._index.entries):
            raise MemoryError()  # __dealloc__ frees what was allocated
        self._capacity = FIRST_SLOTS
        self._used = 1
        self._index.mask = FIRST_ENTRIES - 1
        self._index.shift = FIRST_SHIFT

    def __dealloc__(self):
        free(self._bids)
        free(self._asks)
        free(self._orders)
        free(self._index.entries)

    def __len__(self):
        return self._count

    @cython.critical_section
    def __contains__(self, order_id):
        try:
            return self.slot_of(_int(order_id, "order_id")) != 0
        except (TypeError, ValueError):
            return False  # not an order id at all

    def __repr__(self):
        return (
            f"OrderBook(levels={self.levels}, orders={self._count}, "
            f"best_bid={self._best_bid}, best_ask={self._best_ask})"
        )

    cpdef int64_t best_bid(self) noexcept:
        """The highest bid level; 0 when there are no bids."""
        return self._best_bid

    cpdef int64_t best_ask(self) noexcept:
        """The lowest ask level; `levels` when there are no asks."""
        return self._best_ask

    @cython.critical_section
    cpdef add(self, order_id, bint buy, level, size):
        """Rest an order at the back of the queue at `level`; it must not cross the book."""
        self.add_c(_int(order_id, "order_id"), buy, _int(level, "level"), _int(size, "size"))

    @cython.critical_section
    cpdef match(self, bint buy, limit, size, fills):
        """Take up to `size` from the other side at levels no worse than `limit`, best
        price first and oldest first; appends (maker_id, level, size) per maker touched
        to `fills` and returns the total filled."""
        cdef int64_t count = 0
        if type(fills) is not list:
            checked_fills(fills)  # raises, naming the type
        return self.match_c(buy, _int(limit, "limit"), _int(size, "size"), fills, &count)

    @cython.critical_section
    cpdef available(self, bint buy, limit, size):
        """What match() would fill now, capped at `size`, changing nothing (for FOK)."""
        return self.available_c(buy, _int(limit, "limit"), _int(size, "size"))

    @cython.critical_section
    cpdef cancel(self, order_id):
        """Remove a resting order; returns its remaining size, 0 if it was not resting."""
        return self.cancel_c(_int(order_id, "order_id"))

    @cython.critical_section
    def reduce(self, order_id, size):
        """Lower a resting order's size by up to `size`, keeping its place; returns what is
        left (0 = removed, or it was not resting)."""
        return self.reduce_c(_int(order_id, "order_id"), _int(size, "size"))

    @cython.critical_section
    cpdef remaining(self, order_id):
        """The size still resting; 0 if the order is not resting."""
        cdef int64_t slot = self.slot_of(_int(order_id, "order_id"))
        return self._orders[slot].size if slot else 0

    @cython.critical_section
    def queue_ahead(self, order_id):
        """The total size queued ahead of a resting order at its level (0 if first)."""
        cdef int64_t c_id = _int(order_id, "order_id")
        cdef int64_t slot = self.slot_of(c_id)
        if slot == 0:
            raise not_resting(c_id)
        cdef int64_t ahead = 0
        slot = self._orders[slot].prev
        while slot:
            ahead += self._orders[slot].size
            slot = self._orders[slot].prev
        return ahead

    @cython.critical_section
    def depth(self, bint buy, level):
        """The total size resting at `level` on the bid (buy) or ask side."""
        cdef int64_t c_level = _int(level, "level")
        if not 0 < c_level < self.levels:
            raise level_error(c_level, self.levels)
        return self._level(buy, c_level).total

    @cython.critical_section
    def run(self, ops):
        """Apply rows (op, order_id, buy, level, size): op 0 adds, 1 cancels, 2 matches
        (level is the limit; fills are counted, not kept). Returns the number of fills."""
        checked_ops(ops)
        cdef const int64_t[:, :] rows = ops
        cdef int64_t op, count = 0
        cdef Py_ssize_t row
        for row in range(rows.shape[0]):
            op = rows[row, 0]
            if op == OP_ADD:
                self.add_c(rows[row, 1], rows[row, 2] != 0, rows[row, 3], rows[row, 4])
            elif op == OP_CANCEL:
                self.cancel_c(rows[row, 1])
            elif op == OP_MATCH:
                self.match_c(rows[row, 2] != 0, rows[row, 3], rows[row, 4], None, &count)
            else:
                raise op_error(op, row)
        return count

    cdef int add_c(self, int64_t order_id, bint buy, int64_t level, int64_t size) except -1:
        if order_id == 0:
            raise order_id_error()
        if not 0 < level < self.levels:
            raise level_error(level, self.levels)
        if size <= 0:
            raise size_error(size)
        if self.slot_of(order_id):
            raise duplicate_error(order_id)
        if buy and level >= self._best_ask:
            raise cross_error(buy, level, self._best_ask)
        if not buy and level <= self._best_bid:
            raise cross_error(buy, level, self._best_bid)
        cdef Level *queue = self._level(buy, level)
        if size > INT64_MAX - queue.total:
            raise depth_error(level, size)
        self._reserve()  # the last step that can fail: nothing has changed yet

        cdef int64_t slot = self._free
        if slot:
            self._free = self._orders[slot].next
        else:
            slot = self._used
            self._used += 1
        self._orders[slot] = Order(order_id, size, level, queue.tail, 0, buy)
        if queue.tail:
            self._orders[queue.tail].next = slot
        else:
            queue.head = slot
        queue.tail = slot
        queue.total += size
        self._index.entries[_find(&self._index, order_id)] = Entry(order_id, slot)
        self._count += 1
        if buy and level > self._best_bid:
            self._best_bid = level
        if not buy and level < self._best_ask:
            self._best_ask = level
        return 0

    cdef int64_t match_c(
        self, bint buy, int64_t limit, int64_t size, list fills, int64_t *count
    ) except -1:
        """As match(); `fills` may be None to count fills in `count` without keeping them."""
        if size <= 0:
            raise size_error(size)
        cdef int64_t left = size
        cdef int64_t level, slot, taken
        cdef Level *queue
        cdef Order *maker
        while left:
            if buy:
                level = self._best_ask
                if level > limit or level == self.levels:
                    break
            else:
                level = self._best_bid
                if level < limit or level == 0:
                    break
            queue = self._level(not buy, level)
            slot = queue.head
            maker = &self._orders[slot]
            taken = min(maker.size, left)
            if fills is not None:
                fills.append((maker.order_id, level, taken))
            count[0] += 1
            left -= taken
            if taken == maker.size:
                self._remove(slot)
            else:
                maker.size -= taken  # a partly filled maker keeps its place
                queue.total -= taken
        return size - left

    cdef int64_t available_c(self, bint buy, int64_t limit, int64_t size) except -1:
        if size <= 0:
            raise size_error(size)
        cdef int64_t total = 0
        cdef int64_t level
        if buy:
            level = self._best_ask
            while total < size and level <= limit and level < self.levels:
                total += min(self._asks[level].total, size - total)
                level += 1
        else:
            level = self._best_bid
            while total < size and level >= limit and level > 0:
                total += min(self._bids[level].total, size - total)
                level -= 1
        return total

    cdef int64_t cancel_c(self, int64_t order_id) noexcept:
        cdef int64_t slot = self.slot_of(order_id)
        if slot == 0:
            return 0
        cdef int64_t size = self._orders[slot].size
        self._remove(slot)
        return size

    cdef int64_t reduce_c(self, int64_t order_id, int64_t size) except -1:
        if size <= 0:
            raise size_error(size)
        cdef int64_t slot = self.slot_of(order_id)
        if slot == 0:
            return 0
        cdef Order *order = &self._orders[slot]
        if size >= order.size:
            self._remove(slot)
            return 0
        order.size -= size  # in place: the order keeps its place
        self._level(order.buy, order.level).total -= size
        return order.size

    cdef int64_t slot_of(self, int64_t order_id) noexcept:
        """The slot of a resting order; 0 when it is not resting."""
        return self._index.entries[_find(&self._index, order_id)].slot

    cdef inline Level *_level(self, bint buy, int64_t level) noexcept:
        return &self._bids[level] if buy else &self._asks[level]

    cdef int _reserve(self) except -1:
        """Room for one more order in the pool and the index; MemoryError changes nothing."""
        cdef Order *orders
        if self._free == 0 and self._used == self._capacity:
            orders = <Order *>realloc(self._orders, 2 * self._capacity * sizeof(Order))
            if orders == NULL:
                raise MemoryError()
            self._orders = orders
            self._capacity *= 2
        if 2 * (self._count + 1) > self._index.mask + 1:
            _grow_index(&self._index)
        return 0

    cdef void _remove(self, int64_t slot) noexcept:
        """Unlink a resting order, free its slot and move the best price if its level emptied."""
        cdef Order *order = &self._orders[slot]
        cdef Level *queue = self._level(order.buy, order.level)
        if order.prev:
            self._orders[order.prev].next = order.next
        else:
            queue.head = order.next
        if order.next:
            self._orders[order.next].prev = order.prev
        else:
            queue.tail = order.prev
        queue.total -= order.size
        _erase(&self._index, _find(&self._index, order.order_id))
        order.next = self._free
        self._free = slot
        self._count -= 1
        if order.buy:
            while self._best_bid and self._bids[self._best_bid].head == 0:
                self._best_bid -= 1
        else:
            while self._best_ask < self.levels and self._asks[self._best_ask].head == 0:
                self._best_ask += 1
