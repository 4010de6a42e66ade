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
