# Compiles randomness.py's classes as extension types (setup.py's ORDER_PATH): C attributes,
# and C calls to the methods declared cpdef. The .py stays the pure-Python twin.

cimport cython


@cython.final
cdef class Draws:
    cdef object _draw, _values

    cpdef next(self)
