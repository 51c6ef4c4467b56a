/*
 * fuzz_pairs.c — libFuzzer target for the bf16_pairs decoder (runtime/nt_pairs.c) fed arbitrary
 * streams, through its AVX-512, AVX2 and scalar loops. The word count is the stream's own (its leading
 * varint), as the container passes the segment's. The loops must agree (an error, or the same
 * words), never read or write out of bounds, never hang; when a stream is accepted, encoding its
 * words must give a stream that decodes to them again.
 */
#include "nt_pairs.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    enum { CAP = 1 << 16 };
    static uint16_t out[CAP], out2[CAP], again[CAP];
    static uint8_t buf[3 * CAP + 300000];
    uint64_t n = 0;
    size_t got, got2;
    for (size_t i = 0; i < size && i < 9; i++) {
        n |= (uint64_t)(data[i] & 0x7f) << (7 * i);
        if (!(data[i] & 0x80))
            break;
    }
    if (n > CAP)
        n = CAP;
    nt_pairs_use_simd(2);
    got = nt_pairs_decode(out, (size_t)n, data, size);
    for (int level = 1; level >= 0; level--) {
        nt_pairs_use_simd(level);
        got2 = nt_pairs_decode(out2, (size_t)n, data, size);
        if (nt_pairs_is_error(got) != nt_pairs_is_error(got2) ||
            (!nt_pairs_is_error(got) && (got2 != got || memcmp(out, out2, got * 2))))
            abort();
    }
    nt_pairs_use_simd(2);
    if (!nt_pairs_is_error(got)) {
        size_t cap = nt_pairs_compress_bound(got), len, back;
        if (got != n || cap > sizeof buf)
            abort();
        len = nt_pairs_encode(buf, cap, out, got);
        if (nt_pairs_is_error(len))
            abort();
        back = nt_pairs_decode(again, got, buf, len);
        if (back != got || memcmp(out, again, got * 2))
            abort();
    }
    return 0;
}
