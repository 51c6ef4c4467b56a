/*
 * nt_value.h — the value meaning of an ntc code table: storage word <-> double, and the bridge
 * outputs (fp32 bits, saturating fixed point) that a compute engine takes.
 *
 * Header-only, C99, libc only (no libm: powers of two and signs are made from bit patterns),
 * every symbol static. Like nt_ans.h, the compiler writes this file verbatim into every
 * generated T.c of a type with value meaning, and `ntc quantize` includes it as it is: one
 * source of truth for what a word means and how a real number rounds to one.
 *
 * A type is described by tables the compiler builds from its code table (nt_vtype):
 *   - per code (nt_vcode): what its raw bits mean. RANGE: value = sign (lo + raw step).
 *     EXACT: lo. NAN, INF. BINADES (posits): raw = e (ebits) then f (the other bits),
 *     value = sign 2^(scale + e << eshift) (1 + f / 2^fbits); rev: raw counts down (the negative
 *     half of a two's complement format, where magnitude falls as the word rises).
 *   - the finite codes sorted by value (nt_vseg), for rounding;
 *   - the words of the specials (NaN, infinity and zero of each sign) and the overflow rule.
 *
 * Rounding (nt_value_from_double) is to nearest, ties to the even storage word — for floats and
 * two's complement formats that is "ties to even" as IEEE 754 and the posit standard mean it.
 * Posits round in the bit space of the encoding (the midpoint between two posits is the value of
 * the (n+1)-bit posit between them, which near maxpos is not the arithmetic mean), never to zero
 * and never to NaR; they are encoded directly by nt_posit_from_double.
 */
#ifndef NT_VALUE_H
#define NT_VALUE_H

#include <stdint.h>
#include <string.h>

#if defined(__GNUC__)
#define NT_VFN static __attribute__((unused))
#else
#define NT_VFN static
#endif

enum { NT_VK_NONE, NT_VK_RANGE, NT_VK_EXACT, NT_VK_NAN, NT_VK_INF, NT_VK_BINADES };
enum { NT_OVF_SATURATE, NT_OVF_INF, NT_OVF_NAN };

typedef struct {
    uint8_t kind;       /* NT_VK_* */
    uint8_t neg;        /* 1: the value is negated */
    uint8_t rbits;      /* raw bits of the code */
    uint8_t ebits;      /* BINADES: exponent bits at the top of the raw bits */
    uint8_t eshift;     /* BINADES: weight of those bits (posits whose exponent is cut short: es - ebits) */
    uint8_t rev;        /* BINADES: the raw bits count down */
    int16_t scale;      /* BINADES: exponent of raw 0 */
    double lo, step;    /* RANGE: value = lo + raw * step (before the sign); EXACT: lo */
} nt_vcode;

typedef struct {
    double vmin, vmax;  /* smallest and largest value of the code */
    int code;
} nt_vseg;

typedef int (*nt_value_split_fn)(uint64_t word, uint64_t *raw);
typedef uint64_t (*nt_value_join_fn)(int code, uint64_t raw);

typedef struct nt_vtype {
    int word_bits;
    int ncodes;
    const nt_vcode *codes;
    int nsegs;
    const nt_vseg *segs;        /* the finite codes, by value */
    int overflow;               /* NT_OVF_*: what a finite value beyond the largest becomes */
    int posit_n, posit_es;      /* a posit(n, es): encoded in bit space; posit_n = 0 otherwise */
    int has_nan[2], has_inf[2], has_zero[2];    /* [0]: positive, [1]: negative */
    uint64_t nan_word[2], inf_word[2], zero_word[2];
    nt_value_split_fn split;
    nt_value_join_fn join;
} nt_vtype;

/* ------------------------------------------------------------------ bits of doubles */

NT_VFN double nt_value_from_bits(uint64_t b)
{
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}

NT_VFN uint64_t nt_value_bits(double d)
{
    uint64_t b;
    memcpy(&b, &d, sizeof b);
    return b;
}

NT_VFN int nt_value_signbit(double d) { return (int)(nt_value_bits(d) >> 63); }

/* 2^e, exactly (subnormal, zero or infinity outside the normal range). */
NT_VFN double nt_value_pow2(int e)
{
    if (e > 1023)
        return nt_value_from_bits(0x7ff0000000000000ull);
    if (e >= -1022)
        return nt_value_from_bits((uint64_t)(e + 1023) << 52);
    if (e >= -1074)
        return nt_value_from_bits((uint64_t)1 << (e + 1074));
    return 0.0;
}

/* Round a >= 0 (below 2^63) to an integer, ties to even. Exact: no dependence on the FPU mode. */
NT_VFN uint64_t nt_value_rne(double a)
{
    uint64_t i = (uint64_t)a; /* truncates */
    double f = a - (double)i; /* exact below 2^52; above, a is an integer already */
    if (f > 0.5 || (f == 0.5 && (i & 1)))
        i++;
    return i;
}

/* ------------------------------------------------------------------ word -> value */

NT_VFN double nt_value_code_double(const nt_vcode *c, uint64_t raw)
{
    double v;
    switch (c->kind) {
    case NT_VK_RANGE:
        v = c->lo + (double)raw * c->step;
        break;
    case NT_VK_EXACT:
        return c->lo;
    case NT_VK_INF:
        v = nt_value_from_bits(0x7ff0000000000000ull);
        break;
    case NT_VK_BINADES: {
        uint64_t r = c->rev ? ((((uint64_t)1 << c->rbits) - 1) - raw) : raw;
        int fb = c->rbits - c->ebits;
        uint64_t e = r >> fb, f = r & (((uint64_t)1 << fb) - 1);
        /* (2^fb + f) 2^(exponent - fb): an integer below 2^53 times a power of two, exact */
        v = (double)(((uint64_t)1 << fb) + f) * nt_value_pow2(c->scale + (int)(e << c->eshift) - fb);
        break;
    }
    case NT_VK_NAN:
        return nt_value_from_bits(c->neg ? 0xfff8000000000000ull : 0x7ff8000000000000ull);
    default:
        return 0.0;
    }
    return c->neg ? -v : v;
}

NT_VFN double nt_value_to_double(const nt_vtype *t, uint64_t word)
{
    uint64_t raw;
    int code = t->split(word, &raw);
    return nt_value_code_double(&t->codes[code], raw);
}

/* fp32 bits of the value, rounded to nearest even (the values of every 8- and 16-bit type here
 * are exact in fp32). */
NT_VFN uint32_t nt_value_to_fp32(const nt_vtype *t, uint64_t word)
{
    float f = (float)nt_value_to_double(t, word);
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* round(value * 2^frac) in a width-bit two's complement integer, ties to even, saturating; NaN is 0. */
NT_VFN int64_t nt_value_to_fixed(const nt_vtype *t, uint64_t word, int width, int frac)
{
    double v = nt_value_to_double(t, word);
    double lim = nt_value_pow2(width - 1); /* 2^(width-1) */
    int neg;
    uint64_t m;
    if (v != v)
        return 0;
    v = v * nt_value_pow2(frac);
    neg = v < 0;
    if (neg)
        v = -v;
    if (v >= lim) /* beyond every integer of the width: saturate */
        return neg ? (int64_t)(-(lim - 1)) - 1 : (int64_t)(lim - 1);
    m = nt_value_rne(v);
    if (!neg && (double)m >= lim)
        m = (uint64_t)(lim - 1);
    return neg ? -(int64_t)m : (int64_t)m;
}

/* ------------------------------------------------------------------ value -> word */

/* A posit(n, es), n <= 32, es <= 4, from a double: the bit string of the exact value (regime, es
 * exponent bits, the 52 fraction bits of the double) cut after n - 1 bits and rounded to nearest
 * even on the guard and sticky bits; beyond maxpos is maxpos, below minpos is minpos. */
NT_VFN uint64_t nt_posit_from_double(double x, int n, int es)
{
    const uint64_t nar = (uint64_t)1 << (n - 1), mask = ((uint64_t)1 << n) - 1;
    uint64_t b, mag, frac;
    int neg, E;
    if (x != x || x - x != 0)
        return nar; /* NaN and infinities */
    if (x == 0)
        return 0;
    neg = x < 0;
    b = nt_value_bits(neg ? -x : x);
    E = (int)(b >> 52) - 1023;
    frac = b & 0xfffffffffffffull;
    if (E >= (n - 2) << es)
        mag = nar - 1; /* maxpos */
    else if ((b >> 52) == 0 || E < -((n - 2) << es))
        mag = 1; /* minpos */
    else {
        int k = E >= 0 ? E >> es : -((-E + (1 << es) - 1) >> es);
        uint64_t e = (uint64_t)(E - k * (1 << es)), head, window, lost = 0;
        int hlen, drop = 64 - n; /* window bits below the n - 1 kept and the guard */
        if (k >= 0) {
            head = (((uint64_t)1 << (k + 1)) - 1) << 1; /* k + 1 ones, a zero */
            hlen = k + 2;
        } else {
            head = 1; /* -k zeros, a one */
            hlen = -k + 1;
        }
        head = head << es | e;
        hlen += es;
        /* head then the 52 fraction bits, left-aligned in 64 bits; what falls off is sticky */
        if (hlen >= 12) {
            window = head << (64 - hlen) | frac >> (hlen - 12);
            lost = frac & (((uint64_t)1 << (hlen - 12)) - 1);
        } else {
            window = head << (64 - hlen) | frac << (12 - hlen);
        }
        mag = window >> (drop + 1);
        if ((window >> drop & 1) && ((window & (((uint64_t)1 << drop) - 1)) || lost || (mag & 1)))
            mag++;
        if (mag >= nar)
            mag = nar - 1;
        if (mag == 0)
            mag = 1;
    }
    return neg ? (0 - mag) & mask : mag;
}

/* The word of a segment's smallest / largest value. */
NT_VFN uint64_t nt_value_seg_word(const nt_vtype *t, const nt_vseg *s, int at_max)
{
    const nt_vcode *c = &t->codes[s->code];
    uint64_t last = c->kind == NT_VK_RANGE ? ((uint64_t)1 << c->rbits) - 1 : 0;
    return t->join(s->code, (at_max != c->neg) ? last : 0);
}

/* Nearest value of a RANGE or EXACT code to x (x between its smallest and largest value). */
NT_VFN uint64_t nt_value_round_in(const nt_vtype *t, int code, double x)
{
    const nt_vcode *c = &t->codes[code];
    uint64_t j, last;
    double u;
    if (c->kind != NT_VK_RANGE)
        return t->join(code, 0);
    last = ((uint64_t)1 << c->rbits) - 1;
    u = (c->neg ? -x : x) - c->lo;
    u = u > 0 ? u / c->step : 0;
    if (u >= (double)last)
        return t->join(code, last);
    j = (uint64_t)u;
    u -= (double)j;
    if (u > 0.5 || (u == 0.5 && (t->join(code, j) & 1)))
        j++;
    return t->join(code, j);
}

/* The word for an out-of-range x beyond the segment at the end (top: x above every value). */
NT_VFN uint64_t nt_value_overflow(const nt_vtype *t, double x, int top)
{
    const nt_vseg *s = &t->segs[top ? t->nsegs - 1 : 0];
    const nt_vcode *c = &t->codes[s->code];
    int sg = nt_value_signbit(x);
    uint64_t edge = nt_value_seg_word(t, s, top), ovf;
    double limit = top ? s->vmax : s->vmin, half;
    if (t->overflow == NT_OVF_INF && t->has_inf[sg])
        ovf = t->inf_word[sg];
    else if (t->overflow == NT_OVF_NAN && (t->has_nan[sg] || t->has_nan[!sg]))
        ovf = t->has_nan[sg] ? t->nan_word[sg] : t->nan_word[!sg];
    else
        return edge; /* saturate */
    if (x - x != 0)
        return ovf; /* an infinity */
    /* IEEE: rounding with an unbounded exponent, a value past the largest by half a step or more
     * (a tie only if the largest word is odd) overflows */
    half = c->kind == NT_VK_RANGE ? c->step / 2 : 0;
    if (top ? x < limit + half : x > limit - half)
        return edge;
    if (top ? x == limit + half : x == limit - half)
        return (edge & 1) ? ovf : edge;
    return ovf;
}

NT_VFN uint64_t nt_value_from_double(const nt_vtype *t, double x)
{
    int sg = nt_value_signbit(x), lo, hi;
    uint64_t w;
    if (x != x) {
        if (t->has_nan[sg] || t->has_nan[!sg])
            return t->has_nan[sg] ? t->nan_word[sg] : t->nan_word[!sg];
        if (t->has_zero[sg] || t->has_zero[!sg])
            return t->has_zero[sg] ? t->zero_word[sg] : t->zero_word[!sg];
        return 0;
    }
    if (t->posit_n)
        return nt_posit_from_double(x, t->posit_n, t->posit_es);
    if (t->nsegs == 0)
        return 0;
    if (x > t->segs[t->nsegs - 1].vmax)
        return nt_value_overflow(t, x, 1);
    if (x < t->segs[0].vmin)
        return nt_value_overflow(t, x, 0);
    lo = 0;
    hi = t->nsegs - 1;
    while (lo < hi) { /* the last segment starting at or below x */
        int mid = (lo + hi + 1) / 2;
        if (t->segs[mid].vmin <= x)
            lo = mid;
        else
            hi = mid - 1;
    }
    if (x <= t->segs[lo].vmax) {
        w = nt_value_round_in(t, t->segs[lo].code, x);
    } else { /* between two codes: the nearer end, ties to the even word */
        const nt_vseg *a = &t->segs[lo], *b = &t->segs[lo + 1];
        uint64_t wa = nt_value_seg_word(t, a, 1), wb = nt_value_seg_word(t, b, 0);
        double da = x - a->vmax, db = b->vmin - x;
        w = da < db ? wa : db < da ? wb : (wa & 1) ? wb : wa;
    }
    /* a zero keeps the sign of x where the type has both */
    if (t->has_zero[!sg] && w == t->zero_word[!sg] && t->has_zero[sg])
        w = t->zero_word[sg];
    return w;
}

#endif /* NT_VALUE_H */
