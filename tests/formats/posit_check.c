/*
 * posit_check.c — a generated posit type against SoftPosit (the C library inside PyPI's sfpy
 * package, taken from sfpy's source distribution by the Makefile: sfpy's own Python extension
 * does not build on Python 3.11).
 *
 * Built with the generated T.c included first (NT_TYPE; SP_N, SP_ES: the posit), linked with
 * softposit.a. SoftPosit has posit8 (es 0), posit16 (es 1), posit32 (es 2), and posit_2_t (any
 * n <= 32 with es 2, left-aligned in 32 bits), which serves posit(16, 2).
 *   posit_check all          every word both ways: T_to_double, and T_from_double of its value, of
 *                            the midpoints with the next word (arithmetic, and in bit space: the
 *                            (n+1)-bit posit between them) and of the doubles either side of those;
 *                            then 10^6 random doubles
 *   posit_check random N     the same for N random words, and N random doubles
 */
#include "softposit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define T(x) CAT(NT_TYPE, x)
#define STR2(x) #x
#define STR(x) STR2(x)

static uint64_t sp_from_double(double x)
{
#if SP_N == 8 && SP_ES == 0
    return castUI(convertDoubleToP8(x));
#elif SP_N == 16 && SP_ES == 1
    return castUI(convertDoubleToP16(x));
#elif SP_N == 32 && SP_ES == 2
    return castUI(convertDoubleToP32(x));
#elif SP_ES == 2
    return (uint64_t)(castUI(convertDoubleToPX2(x, SP_N)) >> (32 - SP_N));
#else
#error "no SoftPosit flavour for this posit"
#endif
}

static double sp_to_double(uint64_t w)
{
#if SP_N == 8 && SP_ES == 0
    return convertP8ToDouble(castP8((uint8_t)w));
#elif SP_N == 16 && SP_ES == 1
    return convertP16ToDouble(castP16((uint16_t)w));
#elif SP_N == 32 && SP_ES == 2
    return convertP32ToDouble(castP32((uint32_t)w));
#else
    posit_2_t p;
    p.v = (uint32_t)(w << (32 - SP_N));
    return convertPX2ToDouble(p);
#endif
}

/* An independent posit decoder (regime, exponent, fraction), for the (n+1)-bit midpoints. */
static double posit_decode(uint64_t w, int n, int es)
{
    uint64_t mask = (1ull << n) - 1, sign = 1ull << (n - 1);
    int neg = (w & sign) != 0, k, i, e = 0, fb = 0;
    double v, f = 0, scale = 1;
    w &= mask;
    if (w == 0)
        return 0;
    if (neg)
        w = (0 - w) & mask;
    i = n - 2;
    if (w >> i & 1) {
        for (k = -1; i >= 0 && (w >> i & 1); i--)
            k++;
    } else {
        for (k = 0; i >= 0 && !(w >> i & 1); i--)
            k--;
    }
    i--; /* the terminating bit */
    for (int b = 0; b < es; b++, i--)
        e = e << 1 | (i >= 0 ? (int)(w >> i & 1) : 0);
    for (; i >= 0; i--, fb++)
        f = f * 2 + (double)(w >> i & 1);
    while (fb-- > 0)
        f /= 2;
    {
        int ex = k * (1 << es) + e;
        for (; ex > 0; ex--)
            scale *= 2;
        for (; ex < 0; ex++)
            scale /= 2;
    }
    v = scale * (1 + f);
    return neg ? -v : v;
}

static double next_double(double x, int up)
{
    uint64_t b;
    memcpy(&b, &x, 8);
    if (x == 0)
        b = up ? 1 : 0x8000000000000001ull;
    else if ((x > 0) == (up != 0))
        b++;
    else
        b--;
    memcpy(&x, &b, 8);
    return x;
}

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;
static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

static const uint64_t MASK = (1ull << SP_N) - 1;
static const uint64_t NAR = 1ull << (SP_N - 1);
static unsigned long long checked, bad;
static char first_bad[256];

static void same_double(uint64_t w, double ours, double ref)
{
    int ok = (ours == ref && (ours != 0 || memcmp(&ours, &ref, 8) == 0)) || (ours != ours && ref != ref);
    checked++;
    if (!ok && bad++ == 0)
        snprintf(first_bad, sizeof first_bad, "word 0x%llx: %.17g, SoftPosit %.17g", (unsigned long long)w, ours, ref);
}

static void same_word(double x)
{
    uint64_t ours = T(_from_double)(x), ref = sp_from_double(x) & MASK;
    checked++;
    if (ours != ref && bad++ == 0)
        snprintf(first_bad, sizeof first_bad, "%.17g: 0x%llx, SoftPosit 0x%llx", x, (unsigned long long)ours,
                 (unsigned long long)ref);
}

static int report(const char *what)
{
    int r = bad != 0;
    printf("%s %s: %s: %llu checked%s%s\n", bad ? "FAIL" : "PASS", STR(NT_TYPE), what, checked,
           bad ? ", first difference " : "", bad ? first_bad : "");
    checked = bad = 0;
    return r;
}

/* A random double over the whole posit range and past it, either sign. */
static double random_double(void)
{
    uint64_t r = rng();
    int span = (SP_N - 2) << SP_ES;
    int e = (int)(r % (uint64_t)(2 * span + 8)) - span - 4;
    uint64_t bits = (uint64_t)(e + 1023) << 52 | (rng() >> 12);
    double d;
    memcpy(&d, &bits, 8);
    return (r >> 40 & 1) ? -d : d;
}

static void to_double(uint64_t w)
{
    double ref = sp_to_double(w);
    /* NaR: a NaN here; SoftPosit's posit_2_t gives an infinity for it (its p8/p16/p32 a NaN) */
    if (w == NAR && ref - ref != 0)
        ref = ref - ref;
    same_double(w, T(_to_double)((T(_word_t))w), ref);
}

static void from_double(uint64_t w)
{
    double v = T(_to_double)((T(_word_t))w), v1, m;
    if (w == NAR)
        return;
    same_word(v);
    if (((w + 1) & MASK) == NAR)
        return;
    v1 = T(_to_double)((T(_word_t))((w + 1) & MASK));
    m = v / 2 + v1 / 2; /* the arithmetic midpoint */
    same_word(m);
    same_word(next_double(m, 1));
    same_word(next_double(m, 0));
    m = posit_decode(w << 1 | 1, SP_N + 1, SP_ES); /* the midpoint in bit space */
    same_word(m);
    same_word(next_double(m, 1));
    same_word(next_double(m, 0));
}

int main(int argc, char **argv)
{
    int fails = 0, all = argc > 1 && !strcmp(argv[1], "all");
    unsigned long long n = all ? (1ull << SP_N) : (argc > 2 ? strtoull(argv[2], NULL, 10) : 1000000);
    const double specials[] = { 0.0, -0.0, 1e300, -1e300, 5e-324, -5e-324, 1.0 / 0.0, -1.0 / 0.0 };
    for (unsigned long long i = 0; i < n; i++)
        to_double(all ? i : rng() & MASK);
    fails += report(all ? "T_to_double, every word" : "T_to_double, random words");
    for (unsigned long long i = 0; i < n; i++)
        from_double(all ? i : rng() & MASK);
    fails += report(all ? "T_from_double, every value, midpoint and its neighbours"
                        : "T_from_double, values of random words, midpoints and their neighbours");
    for (unsigned long long i = 0; i < (all ? 1000000ull : n); i++)
        same_word(random_double());
    for (size_t i = 0; i < sizeof specials / sizeof specials[0]; i++)
        same_word(specials[i]);
    same_word(specials[0] * (1.0 / 0.0)); /* NaN */
    fails += report("T_from_double, random doubles, zeros, extremes, infinities, NaN");
    return fails ? 1 : 0;
}
