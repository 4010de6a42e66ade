cimport cython


@cython.final
cdef class Draws:
    cdef object _draw, _values

    cpdef next(self)
