/*
 * bench.c — encode/decode speed of one generated type next to libzstd, on the same bytes, in
 * the same run (these machines are shared and noisy: only side-by-side ratios mean much).
 *
 * Built with -DNT_TYPE=name -DNT_TYPE_C='"dir/name.c"' -lzstd (or from a file that defines NT_TYPE
 * and includes the generated source first, as tests/bench.sh does).
 *   bench FILE MEGABYTES
 * The words are drawn at random from FILE's own words (all tensors of the type's width), so the
 * data has the real distribution without the repeats a tiled copy would hand to zstd.
 */
#ifdef NT_TYPE_C
#include NT_TYPE_C /* else the including file has included the generated source */
#endif

#include "nt_tensor_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zstd.h>

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define T(x) CAT(NT_TYPE, x)
#define STR2(x) #x
#define STR(x) STR2(x)
#define STR_TYPE STR(NT_TYPE)
typedef T(_word_t) word_t;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

/* Best of several runs (the least disturbed one) of a timed operation. */
#define BEST_OF(reps, secs, stmt)                                                                   \
    do {                                                                                            \
        secs = 1e30;                                                                                \
        for (int r_ = 0; r_ < (reps); r_++) {                                                       \
            double t0_ = now();                                                                     \
            stmt;                                                                                   \
            double t1_ = now() - t0_;                                                               \
            if (t1_ < secs)                                                                         \
                secs = t1_;                                                                         \
        }                                                                                           \
    } while (0)

int main(int argc, char **argv)
{
    nt_tensor_file f;
    char err[512];
    size_t pool_n = 0, n, bytes, cap, len = 0, got = 0;
    word_t *pool, *src, *back;
    uint8_t *buf;
    double mb;
    int reps = 11;
    if (argc < 3) {
        fprintf(stderr, "usage: %s FILE MEGABYTES\n", argv[0]);
        return 2;
    }
    if (nt_tensor_file_open(&f, argv[1], 0, err, sizeof err) != 0) {
        fprintf(stderr, "bench: %s\n", err);
        return 1;
    }
    for (int i = 0; i < f.ntensors; i++)
        if (f.tensors[i].word_bytes == (int)sizeof(word_t) && f.tensors[i].dtype != NT_DT_OTHER)
            pool_n += (size_t)f.tensors[i].count;
    pool = malloc(sizeof(word_t) * (pool_n ? pool_n : 1));
    pool_n = 0;
    for (int i = 0; i < f.ntensors; i++)
        if (f.tensors[i].word_bytes == (int)sizeof(word_t) && f.tensors[i].dtype != NT_DT_OTHER) {
            memcpy(pool + pool_n, f.tensors[i].data, f.tensors[i].size);
            pool_n += (size_t)f.tensors[i].count;
        }
    nt_tensor_file_close(&f);
    if (!pool_n) {
        fprintf(stderr, "bench: no %d-byte words in %s\n", (int)sizeof(word_t), argv[1]);
        return 1;
    }
    bytes = (size_t)(atof(argv[2]) * 1048576.0);
    n = bytes / sizeof(word_t);
    bytes = n * sizeof(word_t);
    mb = (double)bytes / 1e6;
    src = malloc(bytes);
    back = malloc(bytes);
    for (size_t i = 0; i < n; i++)
        src[i] = pool[rng() % pool_n];
    cap = T(_compress_bound)(n);
    if (ZSTD_compressBound(bytes) > cap)
        cap = ZSTD_compressBound(bytes);
    buf = malloc(cap);

    printf("%zu words (%.1f MB) drawn from %s; single thread; MB/s of uncompressed words, best of %d\n", n, mb,
           argv[1], reps);
    printf("%-22s %8s %10s %10s %12s %12s\n", "codec", "ratio", "encode", "decode", "encode/zstd3", "decode/zstd3");

    /* ntc and zstd -3 take turns, rep by rep, so that a slow spell of the machine hits both; each
     * keeps its best time. zstd -19 (slow) is compressed once. */
    {
        uint8_t *zbuf = malloc(cap);
        size_t zl3 = 0, zl19 = 0, zg = 0;
        double te = 1e30, td = 1e30, ze3 = 1e30, zd3 = 1e30, ze19, zd19 = 1e30;
        for (int r = 0; r < reps; r++) {
            double t0 = now(), t1;
            len = T(_encode)(buf, cap, src, n);
            t1 = now();
            te = t1 - t0 < te ? t1 - t0 : te;
            if (T(_is_error)(len)) {
                fprintf(stderr, "bench: encode: %s\n", T(_error_name)(len));
                return 1;
            }
            t0 = now();
            got = T(_decode)(back, n, buf, len);
            t1 = now();
            td = t1 - t0 < td ? t1 - t0 : td;
            if (got != n || memcmp(src, back, bytes)) {
                fprintf(stderr, "bench: decode mismatch\n");
                return 1;
            }
            t0 = now();
            zl3 = ZSTD_compress(zbuf, cap, src, bytes, 3);
            t1 = now();
            ze3 = t1 - t0 < ze3 ? t1 - t0 : ze3;
            t0 = now();
            zg = ZSTD_decompress(back, bytes, zbuf, zl3);
            t1 = now();
            zd3 = t1 - t0 < zd3 ? t1 - t0 : zd3;
            if (ZSTD_isError(zl3) || zg != bytes || memcmp(src, back, bytes)) {
                fprintf(stderr, "bench: zstd round trip failed\n");
                return 1;
            }
        }
        BEST_OF(1, ze19, zl19 = ZSTD_compress(zbuf, cap, src, bytes, 19));
        BEST_OF(reps, zd19, zg = ZSTD_decompress(back, bytes, zbuf, zl19));
        if (ZSTD_isError(zl19) || zg != bytes || memcmp(src, back, bytes)) {
            fprintf(stderr, "bench: zstd -19 round trip failed\n");
            return 1;
        }
        printf("%-22s %8.4f %10.1f %10.1f %12.2f %12.2f\n", "zstd -3", (double)bytes / (double)zl3, mb / ze3, mb / zd3,
               1.0, 1.0);
        printf("%-22s %8.4f %10.1f %10.1f %12.2f %12.2f\n", "zstd -19", (double)bytes / (double)zl19, mb / ze19,
               mb / zd19, ze3 / ze19, zd3 / zd19);
        printf("%-22s %8.4f %10.1f %10.1f %12.2f %12.2f\n", STR_TYPE, (double)bytes / (double)len, mb / te, mb / td,
               ze3 / te, zd3 / td);
        free(zbuf);
    }
    free(pool);
    free(src);
    free(back);
    free(buf);
    return 0;
}
