from libc.stdint cimport int64_t

# Orders live in a pool of slots linked into one FIFO per level. Slot 0 is never used, so
# 0 is the null link and zeroed memory is an empty level.
cdef struct Order:
    int64_t order_id
    int64_t size
    int64_t level
    int64_t prev  # the slot ahead at this level; 0 at the head
    int64_t next  # the slot behind; 0 at the tail. On the free list: the next free slot
    bint buy

cdef struct Level:
    int64_t head
    int64_t tail
    int64_t total  # the sum of the sizes queued here

cdef struct Entry:
    int64_t order_id  # 0 marks an empty entry (order ids are nonzero)
    int64_t slot

cdef struct Index:
    # order id -> slot: open addressing, linear probing, at most half full
    Entry *entries
    int64_t mask
    int shift  # a hash keeps the top log2(capacity) bits of a multiplicative mix

cdef class OrderBook:
    cdef readonly int64_t levels
    cdef Level *_bids  # levels + 1 entries; 0 and `levels` stay empty
    cdef Level *_asks
    cdef int64_t _best_bid  # 0 when there are no bids
    cdef int64_t _best_ask  # `levels` when there are no asks
    cdef Order *_orders
    cdef int64_t _capacity  # slots allocated
    cdef int64_t _used  # slots ever handed out, slot 0 included
    cdef int64_t _free  # the first free slot, 0 when none
    cdef int64_t _count  # resting orders
    cdef Index _index

    # Its Python API, as C calls for compiled callers (venues.liquidity).
    cpdef int64_t best_bid(self) noexcept
    cpdef int64_t best_ask(self) noexcept
    cpdef add(self, order_id, bint buy, level, size)
    cpdef match(self, bint buy, limit, size, fills)
    cpdef available(self, bint buy, limit, size)
    cpdef cancel(self, order_id)
    cpdef remaining(self, order_id)

    # The C-level book for other Cython code: arguments already int64, the caller holds
    # the book (one thread at a time). Each raises like its Python method.
    cdef int add_c(self, int64_t order_id, bint buy, int64_t level, int64_t size) except -1
    cdef int64_t match_c(
        self, bint buy, int64_t limit, int64_t size, list fills, int64_t *count
    ) except -1
    cdef int64_t available_c(self, bint buy, int64_t limit, int64_t size) except -1
    cdef int64_t cancel_c(self, int64_t order_id) noexcept
    cdef int64_t reduce_c(self, int64_t order_id, int64_t size) except -1
    cdef int64_t slot_of(self, int64_t order_id) noexcept
    cdef int _reserve(self) except -1
    cdef void _remove(self, int64_t slot) noexcept
    cdef Level *_level(self, bint buy, int64_t level) noexcept
