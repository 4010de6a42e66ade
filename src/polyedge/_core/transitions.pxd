# The order transition table, as a C lookup other Cython code can cimport.

cpdef int try_apply(int state, int event) noexcept
cpdef object apply(int state, int event, object order_id=*)
