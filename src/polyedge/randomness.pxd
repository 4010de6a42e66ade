# Compiles randomness.py's classes as extension types (setup.py's ORDER_PATH): C attributes,
# and C calls to the methods declared cpdef. The .py stays the pure-Python twin.

cimport cython
from libc.stdint cimport int64_t


@cython.final
cdef class Draws:
    cdef object _draw
    cdef const double[::1] _values
    cdef Py_ssize_t _next

    cpdef double next(self) except? -1.0


@cython.final
cdef class IntDraws:
    cdef object _draw
    cdef const int64_t[::1] _values
    cdef Py_ssize_t _next

    cpdef int64_t next(self) except? -1
