/*
 * fuzz_pairs.c — libFuzzer target for the bf16_pairs and f16_pairs decoders (runtime/nt_pairs.c)
 * fed arbitrary streams (each input to both), through their AVX-512, AVX2 and scalar loops (and
 * bf16_pairs' decoding as F32 high halves). The word count is the stream's own (its leading
 * varint), as the container passes the segment's. The loops must agree (an error, or the same
 * words), never read or write out of bounds, never hang; when a stream is accepted, encoding its
 * words must give a stream that decodes to them again.
 */
#include "nt_pairs.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    size_t (*bound)(size_t n);
    size_t (*encode)(void *dst, size_t cap, const void *src, size_t n);
    size_t (*decode)(void *dst, size_t n, const void *src, size_t size);
    int f32; /* bf16_pairs: decoding as F32 high halves must agree */
} codec;

static void one(const codec *c, const uint8_t *data, size_t size, uint64_t n)
{
    enum { CAP = 1 << 16 };
    static uint16_t out[CAP], out2[CAP], again[CAP];
    static uint32_t f32[CAP];
    static uint8_t buf[3 * CAP + 300000], lo[2 * CAP];
    size_t got, got2;
    nt_pairs_use_simd(2);
    got = c->decode(out, (size_t)n, data, size);
    for (int level = 1; level >= 0; level--) {
        nt_pairs_use_simd(level);
        got2 = c->decode(out2, (size_t)n, data, size);
        if (nt_pairs_is_error(got) != nt_pairs_is_error(got2) ||
            (!nt_pairs_is_error(got) && (got2 != got || memcmp(out, out2, got * 2))))
            abort();
    }
    nt_pairs_use_simd(2);
    if (c->f32) {
        /* zero low planes: each F32 word is the decoded word << 16 */
        got2 = nt_pairs_decode_f32(f32, (size_t)n, data, size, lo);
        if (nt_pairs_is_error(got) != nt_pairs_is_error(got2))
            abort();
        for (size_t i = 0; !nt_pairs_is_error(got) && i < got; i++)
            if (f32[i] != (uint32_t)out[i] << 16)
                abort();
    }
    if (!nt_pairs_is_error(got)) {
        size_t cap = c->bound(got), len, back;
        if (got != n || cap > sizeof buf)
            abort();
        len = c->encode(buf, cap, out, got);
        if (nt_pairs_is_error(len))
            abort();
        back = c->decode(again, got, buf, len);
        if (back != got || memcmp(out, again, got * 2))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const codec codecs[2] = {{nt_pairs_compress_bound, nt_pairs_encode, nt_pairs_decode, 1},
                                    {nt_pairs_f16_compress_bound, nt_pairs_f16_encode, nt_pairs_f16_decode, 0}};
    uint64_t n = 0;
    for (size_t i = 0; i < size && i < 9; i++) {
        n |= (uint64_t)(data[i] & 0x7f) << (7 * i);
        if (!(data[i] & 0x80))
            break;
    }
    if (n > 1 << 16)
        n = 1 << 16;
    one(&codecs[0], data, size, n);
    one(&codecs[1], data, size, n);
    return 0;
}
