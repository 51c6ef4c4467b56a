/*
 * seed_streams.c — writes seed streams for fuzz_decode: a type's encodings of a few word arrays
 * (empty, tiny, weight-like, every word). Built like fuzz_decode, with a main.
 *   seed_streams DIR
 */
#include <stdio.h>
#include <stdlib.h>

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define T(x) CAT(NT_TYPE, x)
typedef T(_word_t) word_t;

int main(int argc, char **argv)
{
    static const size_t lens[] = {0, 1, 7, 100, 3000};
    uint64_t s = 0x9E3779B97F4A7C15ull;
    const uint64_t mask = CODEC_MASK;
    if (argc < 2)
        return 2;
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        size_t n = lens[k], cap = T(_compress_bound)(n), len;
        word_t *w = malloc(sizeof(word_t) * (n + 1));
        unsigned char *buf = malloc(cap);
        char path[512];
        FILE *f;
        for (size_t i = 0; i < n; i++) {
            s ^= s >> 12;
            s ^= s << 25;
            s ^= s >> 27;
            /* mostly a few codes, as weights are, sometimes anything */
            w[i] = (word_t)(((i % 5) ? ((s >> 20) & 0x3fff) | 0x3c00 : (s >> 8)) & mask);
        }
        len = T(_encode)(buf, cap, w, n);
        if (T(_is_error)(len))
            return 1;
        snprintf(path, sizeof path, "%s/seed-%zu", argv[1], n);
        f = fopen(path, "wb");
        if (!f)
            return 1;
        fwrite(buf, 1, len, f);
        fclose(f);
        free(w);
        free(buf);
    }
    return 0;
}
