/*
 * container_raw_seed.c — turns a container into a seed of fuzz_container's raw-index form: head
 * and payloads, the index decompressed, the u64 length of head and payloads, "\x89NTZRAW\n".
 *   container_raw_seed IN.ntz OUT
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <zstd.h>

static uint64_t le(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

int main(int argc, char **argv)
{
    FILE *f;
    unsigned char *b, *raw, n8[8];
    long n;
    uint64_t ioff, isize, rawn;
    if (argc != 3 || !(f = fopen(argv[1], "rb")))
        return 2;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    b = malloc((size_t)n);
    if (!b || n < 56 || fread(b, 1, (size_t)n, f) != (size_t)n)
        return 1;
    fclose(f);
    ioff = le(b + n - 40);
    isize = le(b + n - 32);
    rawn = le(b + n - 16);
    if (ioff + isize + 40 != (uint64_t)n || !(raw = malloc(rawn ? rawn : 1)) ||
        ZSTD_decompress(raw, rawn, b + ioff, isize) != rawn)
        return 1;
    for (int i = 0; i < 8; i++)
        n8[i] = (unsigned char)(ioff >> (8 * i));
    if (!(f = fopen(argv[2], "wb")))
        return 1;
    fwrite(b, 1, ioff, f);
    fwrite(raw, 1, rawn, f);
    fwrite(n8, 1, 8, f);
    fwrite("\x89NTZRAW\n", 1, 8, f);
    return fclose(f) == 0 ? 0 : 1;
}
