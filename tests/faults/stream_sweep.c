/*
 * stream_sweep.c — fault sweeps of bare compressed streams of one generated type (built by
 * tests/faults/run.sh from a file that defines NT_TYPE and includes the generated source first,
 * with ASan and UBSan). For streams of 0, 1, 5 and 1500 words (and 3 blocks when the type has a
 * block size below that):
 *   - every truncation must be rejected (a bare stream knows its length: words, final states);
 *   - every single-bit flip must be rejected or decode to some words (a bare stream carries no
 *     checksum: a flip in raw bits is a wrong answer, not an error), never crash or hang;
 *   - a header claiming 2^40 words must be refused for a small buffer, before any allocation;
 *   - decoding into a buffer one word short must be refused.
 * Prints "PASS/FAIL stream T: ..." lines with the counts; exits 1 on a failure. A hang (10 s per
 * stream) ends the program with SIGALRM.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define T(x) CAT(NT_TYPE, x)
#define STR2(x) #x
#define STR(x) STR2(x)
typedef T(_word_t) word_t;
#define CODEC CAT(NT_TYPE, _codec)

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

static int failures;
static uint64_t all_cuts, all_cut_rejected, all_flips, all_rejected, all_wrong, all_same;

static void sweep(size_t n)
{
    word_t *w = malloc(sizeof(word_t) * (n + 1)), *back = malloc(sizeof(word_t) * (n + 1));
    size_t cap = T(_compress_bound)(n), len, cut_err = 0, flip_err = 0, flip_wrong = 0, flip_same = 0;
    uint8_t *buf = malloc(cap), *bad = malloc(cap + 16);
    int before = failures;
    if (!w || !back || !buf || !bad) {
        printf("FAIL stream %s: out of memory\n", STR(NT_TYPE));
        failures++;
        return;
    }
    /* weight-like words: a few common codes, now and then anything */
    for (size_t i = 0; i < n; i++) {
        uint64_t r = rng();
        uint64_t v = (i % 7 == 0) ? r : sizeof(word_t) >= 2 ? ((r & 0x3fff) | 0x3c00) << (8 * sizeof(word_t) - 16) : r % 5;
        if (CODEC.word_bits < 64)
            v &= ((uint64_t)1 << CODEC.word_bits) - 1;
        w[i] = (word_t)v;
    }
    len = T(_encode)(buf, cap, w, n);
    if (T(_is_error)(len)) {
        printf("FAIL stream %s, %zu words: encode: %s\n", STR(NT_TYPE), n, T(_error_name)(len));
        failures++;
        return;
    }
    alarm(10);
    for (size_t cut = 0; cut < len; cut++) {
        size_t r;
        memcpy(bad, buf, cut);
        r = T(_decode)(back, n, bad, cut);
        if (T(_is_error)(r))
            cut_err++;
        else {
            printf("FAIL stream %s, %zu words: cut to %zu of %zu bytes decoded without error\n", STR(NT_TYPE), n,
                   cut, len);
            failures++;
        }
    }
    for (size_t bit = 0; bit < len * 8; bit++) {
        size_t r;
        memcpy(bad, buf, len);
        bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        r = T(_decode)(back, n, bad, len);
        if (T(_is_error)(r))
            flip_err++;
        else if (r > n) {
            printf("FAIL stream %s: bit %zu: %zu words decoded into room for %zu\n", STR(NT_TYPE), bit, r, n);
            failures++;
        } else if (r != n || memcmp(back, w, n * sizeof(word_t)))
            flip_wrong++;
        else
            flip_same++;
    }
    /* a header claiming 2^40 words, the rest of the stream as it was: refused for n words of room */
    {
        uint8_t h[NT_ANS_HEADER_MAX];
        uint64_t count;
        size_t hl = nt_ans_header_write(h, sizeof h, &CODEC, (uint64_t)1 << 40), old, r;
        old = nt_ans_header_read(buf, len, &CODEC, &count);
        if (nt_ans_is_error(hl) || nt_ans_is_error(old)) {
            printf("FAIL stream %s: header\n", STR(NT_TYPE));
            failures++;
        } else {
            memcpy(bad, h, hl);
            memcpy(bad + hl, buf + old, len - old);
            r = T(_decode)(back, n, bad, hl + len - old);
            if (!T(_is_error)(r)) {
                printf("FAIL stream %s: a header claiming 2^40 words decoded (%zu words)\n", STR(NT_TYPE), r);
                failures++;
            }
        }
        if (n > 0 && !T(_is_error)(T(_decode)(back, n - 1, buf, len))) {
            printf("FAIL stream %s: decoded into a buffer one word short\n", STR(NT_TYPE));
            failures++;
        }
    }
    alarm(0);
    printf("%s stream %s, %zu words, %zu bytes: %zu truncations (%zu rejected); %zu bit flips (%zu rejected, %zu "
           "decoded wrong, %zu decoded identical)\n",
           failures == before ? "PASS" : "FAIL", STR(NT_TYPE), n, len, len, cut_err, len * 8, flip_err, flip_wrong,
           flip_same);
    all_cuts += len;
    all_cut_rejected += cut_err;
    all_flips += len * 8;
    all_rejected += flip_err;
    all_wrong += flip_wrong;
    all_same += flip_same;
    free(w);
    free(back);
    free(buf);
    free(bad);
}

int main(void)
{
    static const size_t lens[] = {0, 1, 5, 1500};
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++)
        sweep(lens[k]);
    if (CODEC.block && CODEC.block < 1500)
        sweep((size_t)CODEC.block * 3 - 1);
    printf("stream %s total: %llu truncations (%llu rejected); %llu bit flips (%llu rejected, %llu decoded wrong, "
           "%llu decoded identical)\n",
           STR(NT_TYPE), (unsigned long long)all_cuts, (unsigned long long)all_cut_rejected, (unsigned long long)all_flips,
           (unsigned long long)all_rejected, (unsigned long long)all_wrong, (unsigned long long)all_same);
    return failures ? 1 : 0;
}
