/* Rounded a * b / c on signed 64-bit integers, and fee steps, through 128-bit
 * intermediates.
 *
 * The rounding values mirror definitions.Rounding. Where the compiler has no 128-bit
 * integer (MSVC), both answer PE_NO_INT128 and the caller takes the exact Python-integer
 * path instead, so results are the same everywhere. */
#ifndef POLYEDGE_FIXED_H
#define POLYEDGE_FIXED_H

#include <stdint.h>

enum { PE_FLOOR = 0, PE_CEIL = 1, PE_HALF_EVEN = 2, PE_TOWARD_ZERO = 3 };
enum { PE_OK = 0, PE_OVERFLOW, PE_ZERO_DIVISION, PE_BAD_ROUNDING, PE_NO_INT128 };

#if defined(__SIZEOF_INT128__)
/* num / den (den != 0) rounded as asked; PE_OVERFLOW when it does not fit 64 bits. */
static inline int pe_round_div(__int128 num, __int128 den, int rounding, int64_t *out) {
    if (rounding < PE_FLOOR || rounding > PE_TOWARD_ZERO) return PE_BAD_ROUNDING;
    __int128 q = num / den; /* truncated towards zero */
    __int128 r = num % den; /* same sign as num */
    if (r != 0) {
        int negative = (r < 0) != (den < 0); /* the exact quotient lies below zero */
        __int128 twice_r = r < 0 ? -2 * r : 2 * r;
        __int128 abs_den = den < 0 ? -den : den;
        int away = 0; /* move one step away from zero? */
        switch (rounding) {
        case PE_FLOOR: away = negative; break;
        case PE_CEIL: away = !negative; break;
        case PE_HALF_EVEN: away = twice_r > abs_den || (twice_r == abs_den && (q & 1)); break;
        default: break; /* PE_TOWARD_ZERO keeps the truncated quotient */
        }
        if (away) q += negative ? -1 : 1;
    }
    if (q > INT64_MAX || q < INT64_MIN) return PE_OVERFLOW;
    *out = (int64_t)q;
    return PE_OK;
}

static inline int pe_mul_div(int64_t a, int64_t b, int64_t c, int rounding, int64_t *out) {
    if (c == 0) return PE_ZERO_DIVISION;
    return pe_round_div((__int128)a * b, c, rounding, out);
}

/* The steps of `quantum` units in size * rate * (price * (scale - price)) ** exponent
 * / scale ** (1 + 2 * exponent), rounded as asked (exponent 1 or 2, quantum > 0).
 * PE_OVERFLOW when an intermediate leaves 128 bits: the caller computes exactly. */
static inline int pe_fee_steps(int64_t size, int64_t price, int64_t rate, int exponent,
                               int64_t quantum, int64_t scale, int rounding, int64_t *out) {
    if (quantum == 0) return PE_ZERO_DIVISION;
    __int128 variance = (__int128)price * ((__int128)scale - price); /* fits: |.| < 2**127 */
    __int128 num = (__int128)size * rate, den = (__int128)scale * quantum;
    for (int i = 0; i < exponent; i++) {
        if (__builtin_mul_overflow(num, variance, &num) ||
            __builtin_mul_overflow(den, (__int128)scale * scale, &den))
            return PE_OVERFLOW;
    }
    return pe_round_div(num, den, rounding, out);
}
#else
static inline int pe_mul_div(int64_t a, int64_t b, int64_t c, int rounding, int64_t *out) {
    (void)a; (void)b; (void)c; (void)rounding; (void)out;
    return PE_NO_INT128;
}

static inline int pe_fee_steps(int64_t size, int64_t price, int64_t rate, int exponent,
                               int64_t quantum, int64_t scale, int rounding, int64_t *out) {
    (void)size; (void)price; (void)rate; (void)exponent; (void)quantum; (void)scale;
    (void)rounding; (void)out;
    return PE_NO_INT128;
}
#endif

#endif /* POLYEDGE_FIXED_H */
