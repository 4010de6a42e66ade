cdef class Position:
    cdef public object yes, no, cash, fees, winner


cdef class RunMetrics:
    cdef public object intents_refused, orders
    cdef public object fills, submitted_size, filled_size, notional, fees
    cdef public object rejects, illegal, illegal_examples, latency, positions
    cdef public object faults_handled
