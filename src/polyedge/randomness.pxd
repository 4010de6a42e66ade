# Compiles randomness.py's classes as extension types (setup.py's ORDER_PATH): C attributes,
# and C calls to the methods declared cpdef. The .py stays the pure-Python twin.

cimport cython


@cython.final
cdef class Draws:
    cdef object _draw
    cdef list _values
    cdef Py_ssize_t _next

    cpdef next(self)
