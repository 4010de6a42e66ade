/* Rounded a * b / c on signed 64-bit integers through a 128-bit intermediate.
 *
 * The rounding values mirror definitions.Rounding. Where the compiler has no 128-bit
 * integer (MSVC), pe_mul_div answers PE_NO_INT128 and the caller takes the exact
 * Python-integer path instead, so results are the same everywhere. */
#ifndef POLYEDGE_FIXED_H
#define POLYEDGE_FIXED_H

#include <stdint.h>

enum { PE_FLOOR = 0, PE_CEIL = 1, PE_HALF_EVEN = 2, PE_TOWARD_ZERO = 3 };
enum { PE_OK = 0, PE_OVERFLOW, PE_ZERO_DIVISION, PE_BAD_ROUNDING, PE_NO_INT128 };

#if defined(__SIZEOF_INT128__)
static inline int pe_mul_div(int64_t a, int64_t b, int64_t c, int rounding, int64_t *out) {
    if (rounding < PE_FLOOR || rounding > PE_TOWARD_ZERO) return PE_BAD_ROUNDING;
    if (c == 0) return PE_ZERO_DIVISION;
    __int128 num = (__int128)a * b;
    __int128 q = num / c; /* truncated towards zero */
    __int128 r = num % c; /* same sign as num */
    if (r != 0) {
        int negative = (r < 0) != (c < 0); /* the exact quotient lies below zero */
        __int128 twice_r = r < 0 ? -2 * r : 2 * r;
        __int128 abs_c = c < 0 ? -(__int128)c : (__int128)c;
        int away = 0; /* move one step away from zero? */
        switch (rounding) {
        case PE_FLOOR: away = negative; break;
        case PE_CEIL: away = !negative; break;
        case PE_HALF_EVEN: away = twice_r > abs_c || (twice_r == abs_c && (q & 1)); break;
        default: break; /* PE_TOWARD_ZERO keeps the truncated quotient */
        }
        if (away) q += negative ? -1 : 1;
    }
    if (q > INT64_MAX || q < INT64_MIN) return PE_OVERFLOW;
    *out = (int64_t)q;
    return PE_OK;
}
#else
static inline int pe_mul_div(int64_t a, int64_t b, int64_t c, int rounding, int64_t *out) {
    (void)a; (void)b; (void)c; (void)rounding; (void)out;
    return PE_NO_INT128;
}
#endif

#endif /* POLYEDGE_FIXED_H */
