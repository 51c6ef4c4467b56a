/*
 * pairs_check.c — the bf16_pairs and f16_pairs codecs (runtime/nt_pairs.c): round trips through
 * their AVX-512, AVX2 and scalar loops (each vector loop only where the processor has it), on the
 * data of the safetensors files given (as 16-bit words) and on drawn words of every length that
 * ends a round differently (bf16_pairs also as the high halves of F32 words); streams they must refuse; every truncation of a stream and single-bit
 * flips, which must give an error or n words, never a crash (run under ASan by SANITIZE=1). For
 * tests/run.sh:
 *     pairs_check [FILE.safetensors ...]
 * prints a line per failure and ends with "pairs: N passed, N failed".
 */
#include "nt_pairs.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the codec under test */
typedef struct {
    const char *name;
    size_t (*bound)(size_t n);
    size_t (*encode)(void *dst, size_t cap, const void *src, size_t n);
    size_t (*decode)(void *dst, size_t n, const void *src, size_t size);
} codec;
static const codec codecs[2] = {
    {"bf16_pairs", nt_pairs_compress_bound, nt_pairs_encode, nt_pairs_decode},
    {"f16_pairs", nt_pairs_f16_compress_bound, nt_pairs_f16_encode, nt_pairs_f16_decode},
};
static const codec *cd = &codecs[0];

static int passed, failed;
static uint64_t rng = 0x2545f4914f6cdd1du;

static uint64_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void check(int ok, const char *what, size_t n)
{
    if (ok)
        passed++;
    else {
        failed++;
        printf("FAIL %s: %s (n = %zu)\n", cd->name, what, n);
    }
}

/* Encodes n words and decodes them both ways; 1 when the codec refused them (too many exponents). */
static int round_trip(const uint16_t *w, size_t n, const char *what)
{
    const size_t cap = cd->bound(n);
    uint8_t *z = malloc(cap);
    uint16_t *out = malloc(n * 2 + 2);
    size_t zs, r;
    int refused = 0;
    if (!z || !out) {
        check(0, "out of memory", n);
        free(z);
        free(out);
        return 0;
    }
    zs = cd->encode(z, cap, w, n);
    if (nt_pairs_is_error(zs)) {
        refused = 1;
    } else {
        for (int simd = 2; simd >= 0; simd--) {
            static const char *const loop[3] = {" (scalar)", " (AVX2)", ""};
            char label[160];
            nt_pairs_use_simd(simd);
            memset(out, 0xa5, n * 2 + 2);
            r = cd->decode(out, n, z, zs);
            snprintf(label, sizeof label, "%s: round trip%s", what, loop[simd]);
            check(r == n && memcmp(out, w, n * 2) == 0 && out[n] == 0xa5a5, label, n);
        }
        nt_pairs_use_simd(2);
        /* into a buffer at an odd address: the words as bytes */
        {
            uint8_t *odd = malloc(n * 2 + 1);
            if (odd) {
                r = cd->decode(odd + 1, n, z, zs);
                check(r == n && memcmp(odd + 1, w, n * 2) == 0, "decode to an unaligned buffer", n);
                free(odd);
            }
        }
        /* bf16_pairs as the high halves of F32 words (fp32_planes), through every loop, and into an
         * unaligned buffer */
        if (cd == &codecs[0]) {
            uint8_t *lo = malloc(2 * n + 1), *f = malloc(4 * n + 5);
            uint32_t *want = malloc(4 * n + 4);
            if (lo && f && want) {
                for (size_t i = 0; i < 2 * n; i++)
                    lo[i] = (uint8_t)next_random();
                for (size_t i = 0; i < n; i++)
                    want[i] = (uint32_t)w[i] << 16 | (uint32_t)lo[n + i] << 8 | lo[i];
                for (int simd = 2; simd >= 0; simd--) {
                    static const char *const loop[3] = {" (scalar)", " (AVX2)", ""};
                    char label[160];
                    nt_pairs_use_simd(simd);
                    memset(f, 0xa5, 4 * n + 4);
                    r = nt_pairs_decode_f32(f, n, z, zs, lo);
                    snprintf(label, sizeof label, "%s: as F32 high halves%s", what, loop[simd]);
                    check(r == n && memcmp(f, want, 4 * n) == 0 && f[4 * n] == 0xa5, label, n);
                }
                nt_pairs_use_simd(2);
                r = nt_pairs_decode_f32(f + 1, n, z, zs, lo);
                check(r == n && memcmp(f + 1, want, 4 * n) == 0, "as F32 high halves, to an unaligned buffer", n);
            }
            free(lo);
            free(f);
            free(want);
        }
        /* a word count other than the stream's */
        check(nt_pairs_is_error(cd->decode(out, n + 1, z, zs)), "a stream decoded for n + 1 words", n);
    }
    free(z);
    free(out);
    return refused;
}

/* words of the codec's format drawn from about a normal distribution of scale 2^-s: spread
 * exponents, any sign and mantissa */
static void draw(uint16_t *w, size_t n, int spread)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t r = next_random();
        int e = (cd == &codecs[0] ? 120 : 12) - (int)__builtin_ctzll(r | (1ull << (spread > 0 ? spread : 1)));
        w[i] = cd == &codecs[0] ? (uint16_t)((r >> 40 & 0x8000) | (uint16_t)(e & 0xff) << 7 | (r >> 20 & 0x7f))
                                : (uint16_t)((r >> 40 & 0x8000) | (uint16_t)(e & 0x1f) << 10 | (r >> 20 & 0x3ff));
    }
}

/* Every truncation must fail; flipped bits must fail or give n words (bf16_pairs: half of them
 * decoded as F32 high halves). */
static void damage(const uint16_t *w, size_t n)
{
    const size_t cap = cd->bound(n);
    uint8_t *z = malloc(cap), *bad, *lo = calloc(2 * n + 1, 1);
    uint16_t *out = malloc(n * 2);
    uint32_t *f32 = malloc(n * 4 + 4); /* bf16_pairs: every other trial decodes as F32 high halves */
    size_t zs, ok = 1;
    if (!z || !out || !lo || !f32)
        goto out;
    zs = cd->encode(z, cap, w, n);
    if (nt_pairs_is_error(zs)) {
        check(0, "damage: the stream to damage", n);
        goto out;
    }
    for (size_t len = 0; len < zs; len++) {
        bad = malloc(len ? len : 1); /* exactly len bytes, so that ASan sees any read past them */
        if (!bad)
            break;
        memcpy(bad, z, len);
        if (!nt_pairs_is_error(cd == &codecs[0] && len % 2 ? nt_pairs_decode_f32(f32, n, bad, len, lo)
                                                             : cd->decode(out, n, bad, len)))
            ok = 0;
        free(bad);
    }
    check(ok, "every truncation is an error", n);
    bad = malloc(zs);
    if (bad) {
        size_t undetected = 0, trials = 3000;
        for (size_t t = 0; t < trials; t++) {
            size_t r, bit = (size_t)(next_random() % (zs * 8));
            memcpy(bad, z, zs);
            bad[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
            nt_pairs_use_simd((int)(t % 3));
            r = cd == &codecs[0] && t % 2 ? nt_pairs_decode_f32(f32, n, bad, zs, lo) : cd->decode(out, n, bad, zs);
            if (!nt_pairs_is_error(r) && r != n)
                ok = 0;
            undetected += !nt_pairs_is_error(r);
        }
        nt_pairs_use_simd(2);
        printf("  %zu of %zu single-bit flips decode without an error (a flipped raw byte cannot be seen)\n",
               undetected, trials);
        check(ok, "flipped bits: an error or n words", n);
        free(bad);
    }
out:
    free(z);
    free(out);
    free(lo);
    free(f32);
}

/* The 16-bit words of a safetensors file's data, as one stream and in slices of 4096 words and
 * 65536 (the words of another dtype are words too; a stream the codec refuses is not a failure). */
static void real_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    long len = 0;
    uint64_t hlen = 0;
    if (!f) {
        check(0, path, 0);
        return;
    }
    if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) > 8 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)len)) != NULL && fread(buf, 1, (size_t)len, f) == (size_t)len) {
        for (int i = 7; i >= 0; i--)
            hlen = hlen << 8 | buf[i];
    }
    fclose(f);
    if (!buf || hlen > (uint64_t)len - 8) {
        check(0, path, 0);
        free(buf);
        return;
    }
    {
        const size_t n = ((size_t)len - 8 - (size_t)hlen) / 2;
        uint16_t *w = malloc(n * 2 + 2);
        if (!w) {
            free(buf);
            return;
        }
        memcpy(w, buf + 8 + hlen, n * 2);
        round_trip(w, n, path);
        for (size_t step = 4096; step <= 65536; step *= 16)
            for (size_t i = 0; i < n; i += step)
                round_trip(w + i, n - i < step ? n - i : step, path);
        free(w);
    }
    free(buf);
}

/* the checks of bf16_pairs (f16 = 0) or f16_pairs (f16 = 1) */
static void check_codec(int f16, uint16_t *w, int nfiles, char **files)
{
    static const size_t lengths[] = {0, 1, 2, 3, 63, 64, 127, 128, 129, 130, 255, 256, 257, 1000, 4095, 4096, 4097, 65536, 100001};
    cd = &codecs[f16];
    for (size_t k = 0; k < sizeof lengths / sizeof *lengths; k++)
        for (int spread = 2; spread <= 8; spread += 3) {
            draw(w, lengths[k], spread);
            if (round_trip(w, lengths[k], "drawn words"))
                check(0, "drawn words refused", lengths[k]);
        }
    /* one exponent only, and a word alone */
    for (size_t i = 0; i < 5000; i++)
        w[i] = (uint16_t)(f16 ? 0x3c00 | (next_random() & 0x83ff) : 0x3f80 | (next_random() & 0x807f));
    round_trip(w, 5000, "one exponent");
    if (!f16) {
        /* 65 exponents: refused */
        for (size_t i = 0; i < 2000; i++)
            w[i] = (uint16_t)((i % 65) << 7 | (i & 0x7f));
        check(round_trip(w, 2000, "65 exponents"), "65 exponents refused", 2000);
        /* 64 exponents, all pairs present in 2^12 cells' worth (4096 pairs): coded */
        for (size_t i = 0; i < 8192; i++)
            w[i] = (uint16_t)((i / 2 % 64 * (i % 2 ? 1 : 0) + (i % 2 ? 0 : i / 128 % 64)) << 7);
        check(!round_trip(w, 8192, "every pair of 64 exponents"), "every pair of 64 exponents coded", 8192);
    } else {
        /* every 16-bit word (all 32 exponents, every sign and mantissa), and every pair of exponents */
        for (size_t i = 0; i < 65536; i++)
            w[i] = (uint16_t)i;
        check(!round_trip(w, 65536, "every word"), "every word coded", 65536);
        for (size_t i = 0; i < 2048; i++)
            w[i] = (uint16_t)((i % 2 ? i / 2 % 32 : i / 64 % 32) << 10 | (next_random() & 0x83ff));
        check(!round_trip(w, 2048, "every pair of 32 exponents"), "every pair of 32 exponents coded", 2048);
    }
    draw(w, 3001, 4);
    damage(w, 3001);
    draw(w, 20000, 3);
    damage(w, 300);
    for (int i = 0; i < nfiles; i++)
        real_file(files[i]);
}

int main(int argc, char **argv)
{
    uint16_t *w = malloc(100001 * 2 + 2);
    if (!w)
        return 1;
    check_codec(0, w, argc - 1, argv + 1);
    check_codec(1, w, argc - 1, argv + 1);
    free(w);
    printf("pairs: %d passed, %d failed\n", passed, failed);
    return failed != 0;
}
