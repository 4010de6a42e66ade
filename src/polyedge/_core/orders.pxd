cdef class Intent:
    cdef readonly object intent_id
    cdef readonly object market
    cdef readonly object side
    cdef readonly object outcome
    cdef readonly object price
    cdef readonly object size
    cdef readonly object time_in_force
    cdef readonly object expires_at
    cdef readonly object post_only
    cdef readonly object group_id
    cdef readonly object max_cost


cdef class Order:
    cdef public object order_id
    cdef public object intent
    cdef public object lane_seq
    cdef public object sent_at
    cdef public object state
    cdef public object filled
    cdef public object cancel_sent_at
    cdef public object answers
    cdef public object last_trade

    cpdef object apply(self, object event)
    cpdef object fill(self, object size)
