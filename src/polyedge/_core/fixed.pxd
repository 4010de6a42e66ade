from libc.stdint cimport int64_t

# C-level entry points for other Cython code; each raises like its Python twin.
cdef int64_t add_c(int64_t a, int64_t b) except? -1
cdef int64_t sub_c(int64_t a, int64_t b) except? -1
cdef int64_t mul_div_c(int64_t a, int64_t b, int64_t c, int rounding) except? -1
cdef object positive_units_c(object value, str name)
cpdef object fee(object size, object price, object rate, object exponent, object quantum,
                 object rounding)
