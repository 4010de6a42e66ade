from libc.stdint cimport int8_t, int64_t, uint8_t, uint16_t

# One event as eventlog_py.ROW packs it: little-endian, no padding.
cdef packed struct Row:
    int64_t seq
    int64_t order_id
    int64_t lane_seq
    uint8_t venue
    uint8_t event
    int8_t from_state
    int8_t to_state
    int64_t price
    int64_t size
    int64_t fee
    uint16_t reason
    int64_t time

cdef class EventLog:
    cdef readonly object run_id
    cdef readonly int64_t count
    cdef bytearray _rows  # room for FLUSH_ROWS rows
    cdef Py_ssize_t _used  # rows in it
    cdef object _digest
    cdef list _orders
    cdef list _subscribers
    cdef dict _checks

    cpdef int64_t append(
        self,
        int64_t order_id,
        int64_t lane_seq,
        int64_t venue,
        int64_t event,
        int64_t from_state,
        int64_t to_state,
        int64_t price,
        int64_t size,
        int64_t fee,
        int64_t reason,
        int64_t time,
    ) except -1
    cpdef order(self, order)
    cpdef flush(self)
