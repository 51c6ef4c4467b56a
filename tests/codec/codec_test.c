/*
 * codec_test.c — round trips, fault sweeps and compression figures for one generated type.
 *
 * Built once per type with -DNT_TYPE=name -DNT_TYPE_C='"dir/name.c"' (or from a file that defines
 * NT_TYPE and includes the generated source before this one): it includes the generated
 * source itself, so besides the public API it can reach the type's split function to compute the
 * order-0 entropy bound of the coding pair.
 *
 *   codec_test exhaustive            every word (types up to 20 bits), shuffled, then sorted
 *   codec_test random N              N random words: uniform bits, float edge cases, small floats
 *   codec_test faults N              every truncation and every bit flip of an N-word stream
 *   codec_test file PATH[:TENSOR] [MAX_PERCENT_OVER [MIN_RATIO]]
 *                                    every tensor of matching width: round trip, size, bound
 *
 * Prints "PASS ..." or "FAIL ..." lines and exits 1 on any failure.
 */
#ifdef NT_TYPE_C
#include NT_TYPE_C /* else the file including this one has included the generated source */
#endif

#include "nt_tensor_file.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define T(x) CAT(NT_TYPE, x)
typedef T(_word_t) word_t;
#define CODEC CAT(NT_TYPE, _codec)
#define WBITS ((int)(8 * sizeof(word_t)))

static int failures;

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng(void)
{
    /* xorshift64*: deterministic, so failures reproduce */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

/* Encodes and decodes src; reports the first difference. Returns the encoded size or 0. */
static size_t roundtrip(const char *what, const word_t *src, size_t n)
{
    size_t cap = T(_compress_bound)(n), len, got;
    uint8_t *buf = malloc(cap ? cap : 1);
    word_t *back = malloc(sizeof(word_t) * (n ? n : 1));
    if (!buf || !back) {
        printf("FAIL %s: out of memory\n", what);
        failures++;
        free(buf);
        free(back);
        return 0;
    }
    len = T(_encode)(buf, cap, src, n);
    if (T(_is_error)(len)) {
        printf("FAIL %s: encode: %s\n", what, T(_error_name)(len));
        failures++;
        free(buf);
        free(back);
        return 0;
    }
    got = T(_decode)(back, n, buf, len);
    if (T(_is_error)(got) || got != n) {
        printf("FAIL %s: decode: %s (got %zu of %zu words)\n", what,
               T(_is_error)(got) ? T(_error_name)(got) : "short", T(_is_error)(got) ? 0 : got, n);
        failures++;
        free(buf);
        free(back);
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (back[i] != src[i]) {
            printf("FAIL %s: word %zu: wrote 0x%llx, read 0x%llx\n", what, i, (unsigned long long)src[i],
                   (unsigned long long)back[i]);
            failures++;
            free(buf);
            free(back);
            return 0;
        }
    }
    free(buf);
    free(back);
    return len ? len : 1;
}

static void shuffle(word_t *w, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(rng() % i);
        word_t t = w[i - 1];
        w[i - 1] = w[j];
        w[j] = t;
    }
}

static int test_exhaustive(void)
{
    const int bits = CODEC.word_bits;
    size_t n;
    word_t *w;
    if (bits > 20) {
        printf("SKIP exhaustive: %d-bit words\n", bits);
        return 0;
    }
    n = (size_t)1 << bits;
    w = malloc(sizeof(word_t) * n);
    if (!w)
        return 1;
    for (size_t i = 0; i < n; i++)
        w[i] = (word_t)i;
    if (roundtrip("exhaustive sorted", w, n))
        printf("PASS exhaustive sorted: all %zu words\n", n);
    shuffle(w, n);
    if (roundtrip("exhaustive shuffled", w, n))
        printf("PASS exhaustive shuffled: all %zu words\n", n);
    /* every length from 0 to 70: lane tails and tiny streams */
    {
        int ok = 1;
        for (size_t len = 0; len <= 70 && ok; len++)
            ok = roundtrip("short", w + 1000 % n, len < n - 1000 % n ? len : 0) != 0;
        if (ok)
            printf("PASS lengths 0..70\n");
    }
    free(w);
    return 0;
}

/* Float-like edge cases for 16/32/64-bit words: signed zeros, subnormals, infinities, NaN payloads. */
static size_t edge_cases(word_t *w, size_t cap)
{
    size_t n = 0;
    uint64_t top = (uint64_t)1 << (WBITS - 1);
    int ebits = WBITS == 16 ? 8 : WBITS == 32 ? 8 : WBITS == 64 ? 11 : 4;
    uint64_t mant = ((uint64_t)1 << (WBITS - 1 - ebits)) - 1, expo = (((uint64_t)1 << ebits) - 1) << (WBITS - 1 - ebits);
    uint64_t list[] = {0, top, 1, top | 1, mant, top | mant, expo, top | expo, expo | 1, expo | mant,
                       top | expo | 1, top | expo | (mant >> 1), expo - 1, top | (expo - 1), mant + 1, top | (mant + 1)};
    for (size_t i = 0; i < sizeof list / sizeof list[0] && n < cap; i++)
        w[n++] = (word_t)list[i];
    return n;
}

static void test_random(size_t n)
{
    word_t *w = malloc(sizeof(word_t) * (n + 64));
    size_t k = 0;
    if (!w) {
        failures++;
        return;
    }
    k = edge_cases(w, 64);
    for (size_t i = k; i < n + k; i++) {
        uint64_t r = rng();
        switch (r & 3) {
        case 0: /* uniform bits */
            w[i] = (word_t)(r >> 8);
            break;
        case 1: /* an edge case again, in a random place */
            w[i] = w[(r >> 8) % k];
            break;
        default: /* small-magnitude floats: the common case for weights */
            if (WBITS == 32) {
                float f = (float)((double)(int64_t)(r >> 11) / (double)(1ull << 53) * 0.1);
                uint32_t u;
                memcpy(&u, &f, 4);
                w[i] = (word_t)u;
            } else {
                w[i] = (word_t)((r >> 20) & ((WBITS >= 64) ? ~0ull : ((1ull << (WBITS - 2)) - 1)));
            }
        }
    }
    if (CODEC.word_bits < WBITS) {
        const uint64_t mask = ((uint64_t)1 << CODEC.word_bits) - 1;
        for (size_t i = 0; i < n + k; i++)
            w[i] = (word_t)(w[i] & mask);
    }
    if (roundtrip("random", w, n + k))
        printf("PASS random: %zu words (uniform, edge cases, small floats)\n", n + k);
    if (CODEC.word_bits < WBITS) {
        size_t cap = T(_compress_bound)(n + k), r;
        uint8_t *buf = malloc(cap);
        w[n / 2] = (word_t)((uint64_t)1 << CODEC.word_bits);
        r = T(_encode)(buf, cap, w, n + k);
        if (T(_is_error)(r))
            printf("PASS random: a word wider than %d bits is rejected (%s)\n", CODEC.word_bits, T(_error_name)(r));
        else {
            printf("FAIL random: a word wider than %d bits was encoded\n", CODEC.word_bits);
            failures++;
        }
        free(buf);
    }
    free(w);
}

/* Every truncation must be an error; every single-bit flip an error or a wrong answer, never a
 * crash or an out-of-bounds access (the test runs under ASan and UBSan too). */
static void test_faults(size_t n)
{
    word_t *w = malloc(sizeof(word_t) * n), *back = malloc(sizeof(word_t) * n);
    size_t cap = T(_compress_bound)(n), len, trunc_err = 0, flips = 0, flip_err = 0, flip_wrong = 0, flip_same = 0;
    uint8_t *buf = malloc(cap), *bad = malloc(cap);
    if (!w || !back || !buf || !bad) {
        failures++;
        return;
    }
    /* a realistic stream: words drawn around a few common codes, as weights are */
    for (size_t i = 0; i < n; i++) {
        uint64_t r = rng();
        w[i] = (word_t)((i % 7 == 0) ? r : (r & 0x3fff) | 0x3c00);
        if (CODEC.word_bits < WBITS)
            w[i] = (word_t)(w[i] & (((uint64_t)1 << CODEC.word_bits) - 1));
    }
    len = T(_encode)(buf, cap, w, n);
    if (T(_is_error)(len)) {
        printf("FAIL faults: encode: %s\n", T(_error_name)(len));
        failures++;
        return;
    }
    for (size_t cut = 0; cut < len; cut++) {
        size_t r;
        memcpy(bad, buf, cut);
        r = T(_decode)(back, n, bad, cut);
        if (T(_is_error)(r))
            trunc_err++;
        else
            printf("FAIL faults: stream cut to %zu of %zu bytes decoded without error\n", cut, len);
    }
    if (trunc_err != len)
        failures++;
    for (size_t bit = 0; bit < len * 8; bit++) {
        size_t r;
        memcpy(bad, buf, len);
        bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        r = T(_decode)(back, n, bad, len);
        flips++;
        if (T(_is_error)(r))
            flip_err++;
        else if (r != n || memcmp(back, w, n * sizeof(word_t)))
            flip_wrong++;
        else
            flip_same++;
    }
    printf("%s faults: %zu-byte stream: %zu/%zu truncations rejected; %zu bit flips: %zu rejected, %zu decoded "
           "wrong, %zu decoded right\n",
           trunc_err == len ? "PASS" : "FAIL", len, trunc_err, len, flips, flip_err, flip_wrong, flip_same);
    /* A wrong type, a short destination, a bad magic. */
    {
        size_t r = T(_decode)(back, n - 1, buf, len);
        int ok = T(_is_error)(r);
        memcpy(bad, buf, len);
        bad[0] ^= 0xff;
        r = T(_decode)(back, n, bad, len);
        ok &= T(_is_error)(r);
        memcpy(bad, buf, len);
        bad[3] ^= 0x5a;
        r = T(_decode)(back, n, bad, len);
        ok &= T(_is_error)(r);
        printf("%s faults: short destination, bad magic, foreign fingerprint rejected\n", ok ? "PASS" : "FAIL");
        failures += !ok;
    }
    free(w);
    free(back);
    free(buf);
    free(bad);
}

/* Order-0 entropy bound of the coding pair over n words, in bits: n H(code) + sum of raw bits. */
static double bound_bits(const word_t *w, size_t n)
{
    double *count = calloc((size_t)CODEC.ncodes, sizeof(double)), bits = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t raw;
        int code = T(_split)(w[i], &raw);
        count[code] += 1;
        bits += CODEC.raw_bits[code];
    }
    for (int k = 0; k < CODEC.ncodes; k++)
        if (count[k] > 0)
            bits += count[k] * log2((double)n / count[k]);
    free(count);
    return bits;
}

static void test_file(const char *spec, double max_over, double min_ratio)
{
    char path[4096], err[512];
    const char *want = NULL;
    nt_tensor_file f;
    double total_bits = 0, total_raw = 0, total_out = 0, pooled_bits = 0, pooled_n = 0;
    double *pooled = calloc((size_t)CODEC.ncodes, sizeof(double));
    int ntens = 0;
    snprintf(path, sizeof path, "%s", spec);
    {
        FILE *probe = fopen(path, "rb");
        if (!probe) {
            char *colon = strrchr(path, ':');
            if (colon) {
                *colon = 0;
                want = spec + (colon - path) + 1;
            }
        } else {
            fclose(probe);
        }
    }
    if (nt_tensor_file_open(&f, path, 0, err, sizeof err) != 0) {
        printf("FAIL file: %s\n", err);
        failures++;
        return;
    }
    for (int i = 0; i < f.ntensors; i++) {
        const nt_tensor *x = &f.tensors[i];
        word_t *w;
        size_t len;
        double b;
        if ((want && strcmp(x->name, want)) || x->word_bytes != (int)sizeof(word_t) || x->dtype == NT_DT_OTHER)
            continue;
        w = malloc(sizeof(word_t) * (x->count ? x->count : 1));
        memcpy(w, x->data, x->size); /* the mapping need not be aligned */
        len = roundtrip(x->name, w, (size_t)x->count);
        b = bound_bits(w, (size_t)x->count);
        if (getenv("NT_VERBOSE"))
            printf("  %-40s %8llu words %9zu bytes  bound %10.1f  +%.2f%%\n", x->name, (unsigned long long)x->count,
                   len, b / 8, 100.0 * (len * 8.0 - b) / (b > 0 ? b : 1));
        total_bits += b;
        for (size_t k = 0; k < (size_t)x->count; k++) {
            uint64_t raw;
            int code = T(_split)(w[k], &raw);
            pooled[code] += 1;
            pooled_bits += CODEC.raw_bits[code];
        }
        pooled_n += (double)x->count;
        total_raw += (double)x->size;
        total_out += (double)len;
        ntens++;
        free(w);
    }
    nt_tensor_file_close(&f);
    for (int k = 0; k < CODEC.ncodes; k++)
        if (pooled[k] > 0)
            pooled_bits += pooled[k] * log2(pooled_n / pooled[k]);
    free(pooled);
    if (ntens == 0) {
        printf("FAIL file %s: no tensor of %d-byte words\n", spec, (int)sizeof(word_t));
        failures++;
        return;
    }
    {
        double over = 100.0 * (total_out * 8 - total_bits) / total_bits;
        int ok = (max_over < 0 || over <= max_over) && (min_ratio <= 0 || total_raw / total_out >= min_ratio);
        printf("%s file %s: %d tensors, %.0f -> %.0f bytes, ratio %.4f; order-0 bound with a model per tensor "
               "%.0f bytes (ratio %.4f), %.3f%% above it; with one model for the file %.0f bytes (ratio %.4f)\n",
               ok ? "PASS" : "FAIL", spec, ntens, total_raw, total_out, total_raw / total_out, total_bits / 8,
               total_raw * 8 / total_bits, over, pooled_bits / 8, total_raw * 8 / pooled_bits);
        failures += !ok;
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s exhaustive | random N | faults N | file PATH[:TENSOR] [MAX_PERCENT_OVER [MIN_RATIO]]\n", argv[0]);
        return 2;
    }
    if (!strcmp(argv[1], "exhaustive"))
        test_exhaustive();
    else if (!strcmp(argv[1], "random") && argc > 2)
        test_random((size_t)strtoull(argv[2], NULL, 10));
    else if (!strcmp(argv[1], "faults") && argc > 2)
        test_faults((size_t)strtoull(argv[2], NULL, 10));
    else if (!strcmp(argv[1], "file") && argc > 2)
        test_file(argv[2], argc > 3 ? atof(argv[3]) : -1, argc > 4 ? atof(argv[4]) : 0);
    else {
        fprintf(stderr, "%s: unknown mode '%s'\n", argv[0], argv[1]);
        return 2;
    }
    return failures ? 1 : 0;
}
