from libc.stdint cimport int64_t, uint8_t, uint16_t

# One row of orders_py.PACKED_INTENT: little-endian, no padding.
cdef packed struct PackedIntent:
    int64_t time
    int64_t intent_id
    int64_t price
    int64_t size
    int64_t expires_at
    int64_t group_id
    int64_t max_cost
    int64_t other
    uint16_t market
    uint8_t kind
    uint8_t side
    uint8_t outcome
    uint8_t time_in_force
    uint8_t post_only


cdef class FeeProfile:
    cdef readonly object taker_rate
    cdef readonly object maker_rate
    cdef readonly object exponent
    cdef readonly object quantum
    cdef readonly object rounding

    cpdef object fee(self, object size, object price, object liquidity)


cdef class Market:
    cdef readonly object venue
    cdef readonly object market_id
    cdef readonly object tick_size
    cdef readonly object min_size
    cdef readonly object fees
    cdef readonly object size_step
    cdef readonly object gtd_threshold
    cdef readonly Py_ssize_t venue_index


cdef class Intent:
    cdef readonly object intent_id
    cdef readonly Market market
    cdef readonly object side
    cdef readonly object outcome
    cdef readonly object price
    cdef readonly object size
    cdef readonly object time_in_force
    cdef readonly object expires_at
    cdef readonly object post_only
    cdef readonly object group_id
    cdef readonly object max_cost


cdef class Cancel:
    cdef readonly object intent_id
    cdef readonly object target


cdef class Order:
    cdef public object order_id
    cdef public Intent intent
    cdef public object lane_seq
    cdef public object sent_at
    cdef public object state
    cdef public object filled
    cdef public object cancel_sent_at
    cdef public object answers
    cdef public object last_trade

    cpdef object apply(self, object event)
    cpdef object fill(self, object size)


cpdef Order routed_order(Intent intent, object lane_seq, object sent_at)
cdef bint is_terminal_state(object state) except -1  # state in TERMINAL_STATES, fast
