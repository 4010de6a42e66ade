# cython: freethreading_compatible = True
"""EventLog: every order event of a run, packed, digested and handed on in batches (see
eventlog_py.py for the contract).

Rows are written as C structs straight into the batch's buffer, laid out byte for byte as
the twin's struct packs them, so both feed the digest and the subscribers the same bytes.

The log belongs to one engine thread. Shared across threads on free-threaded Python it
stays memory-safe (rows may be lost, never written outside the buffer): the buffer is
written only inside a critical section that calls no Python API.
"""

import sys

cimport cython
from cpython.bytearray cimport PyByteArray_AS_STRING
from cpython.bytes cimport PyBytes_FromStringAndSize

from polyedge._core.eventlog_py import FLUSH_ROWS, ROW, RunDigest, handed, row_error

# A C copy: compared with the Python int, every append boxed its count twice (measured:
# 30% of an append).
cdef Py_ssize_t _FLUSH_ROWS = FLUSH_ROWS

if sizeof(Row) != ROW.size or sys.byteorder != "little":
    raise ImportError("the compiled event log needs a little-endian machine")  # the twin works


@cython.final
cdef class EventLog:
    """The events of one run, in order; a digest of them; batches for the subscribers."""

    def __init__(self, run_id):
        self.run_id = run_id
        self.count = 0
        self._rows = bytearray(_FLUSH_ROWS * sizeof(Row))
        self._used = 0
        self._orders = []
        self._digest = RunDigest(run_id.bytes)
        self._subscribers = []
        self._checks = {}

    def subscribe(self, consumer):
        """Have `consumer` receive, batch by batch, the orders created and the event rows."""
        self._subscribers.append(consumer)

    def at_count(self, count, check):
        """Run `check` right after event `count` is logged (and flushed)."""
        self._checks[count] = check

    cpdef order(self, order):
        """Note a new order; it reaches subscribers (if any) with the next batch of events."""
        if self._subscribers:
            self._orders.append(order)

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
    ) except -1:
        """Record one event; returns its sequence number (from 1). OverflowError, and
        nothing recorded, when a field does not fit its column."""
        if not (
            0 <= venue <= 0xFF
            and 0 <= event <= 0xFF
            and -0x80 <= from_state <= 0x7F
            and -0x80 <= to_state <= 0x7F
            and 0 <= reason <= 0xFFFF
        ):
            raise row_error((self.count + 1, order_id, lane_seq, venue, event, from_state,
                             to_state, price, size, fee, reason, time))
        cdef Row *row
        cdef int64_t seq = 0
        cdef bint full = False
        with cython.critical_section(self):
            if self._used < _FLUSH_ROWS:  # always, unless threads share the log
                row = (<Row *>PyByteArray_AS_STRING(self._rows)) + self._used
                self.count += 1
                seq = self.count
                row.seq = seq
                row.order_id = order_id
                row.lane_seq = lane_seq
                row.venue = <uint8_t>venue
                row.event = <uint8_t>event
                row.from_state = <int8_t>from_state
                row.to_state = <int8_t>to_state
                row.price = price
                row.size = size
                row.fee = fee
                row.reason = <uint16_t>reason
                row.time = time
                self._used += 1
                full = self._used == _FLUSH_ROWS
        if not seq:
            raise RuntimeError("the event log is full: two threads are appending to it")
        if full:
            self.flush()
        if self._checks and seq in self._checks:
            self.flush()
            self._checks.pop(seq)()
        return seq

    cpdef flush(self):
        """Digest the rows logged since the last flush and hand them on."""
        cdef Py_ssize_t used
        with cython.critical_section(self):
            used = self._used
            self._used = 0
        # Copied after the section: allocating may run other code. Rows appended meanwhile
        # by another thread would be lost, but nothing is written outside the buffer.
        rows = PyBytes_FromStringAndSize(PyByteArray_AS_STRING(self._rows), used * sizeof(Row))
        orders, self._orders = self._orders, []
        handed(self._digest, self._subscribers, orders, rows)

    def digest(self):
        """The hex digest of every event so far."""
        self.flush()
        return self._digest.hexdigest()
