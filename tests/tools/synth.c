/*
 * synth.c — writes a deterministic synthetic safetensors file for tests and the demo when the
 * real weights (../shared/data) are not there: a few tensors of normally distributed weights
 * (sigma 0.02, as in an initialised transformer), rounded from fp32 with round-to-nearest-even.
 *
 *   synth OUT.safetensors BF16|F16|F32 [WORDS_PER_TENSOR]
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;
static double uniform01(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return ((double)((rng_state * 0x2545F4914F6CDD1Dull) >> 11) + 0.5) / 9007199254740992.0;
}

static double normal(void)
{
    /* Box-Muller */
    double u = uniform01(), v = uniform01();
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

static uint32_t f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static uint16_t to_bf16(float f)
{
    uint32_t u = f32_bits(f);
    u += 0x7fffu + ((u >> 16) & 1); /* round to nearest even (no NaNs here) */
    return (uint16_t)(u >> 16);
}

static uint16_t to_f16(float f)
{
    /* finite, |f| well inside the normal range of fp16 or tiny: round to nearest even */
    uint32_t u = f32_bits(f), sign = (u >> 16) & 0x8000u;
    int e = (int)((u >> 23) & 0xff) - 127 + 15;
    uint32_t m = u & 0x7fffffu;
    if (e <= 0) { /* subnormal fp16 */
        uint32_t full = m | 0x800000u;
        int shift = 14 - e;
        uint32_t r, half;
        if (shift > 24)
            return (uint16_t)sign;
        r = full >> shift;
        half = 1u << (shift - 1);
        if ((full & ((half << 1) - 1)) > half || ((full & ((half << 1) - 1)) == half && (r & 1)))
            r++;
        return (uint16_t)(sign | r);
    }
    {
        uint32_t r = ((uint32_t)e << 10) | (m >> 13), rem = m & 0x1fffu;
        if (rem > 0x1000u || (rem == 0x1000u && (r & 1)))
            r++;
        return (uint16_t)(sign | r);
    }
}

int main(int argc, char **argv)
{
    const char *names[] = {"synthetic.layer0.weight", "synthetic.layer1.weight", "synthetic.layer2.weight",
                           "synthetic.norm.weight"};
    const double sigma[] = {0.02, 0.05, 0.01, 0.1};
    size_t per = argc > 3 ? (size_t)strtoull(argv[3], NULL, 10) : 65536, bytes, off = 0;
    int wb;
    char header[2048];
    size_t hl = 0;
    FILE *f;
    if (argc < 3) {
        fprintf(stderr, "usage: %s OUT.safetensors BF16|F16|F32 [WORDS_PER_TENSOR]\n", argv[0]);
        return 2;
    }
    wb = !strcmp(argv[2], "F32") ? 4 : 2;
    bytes = per * (size_t)wb;
    hl += (size_t)snprintf(header + hl, sizeof header - hl, "{\"__metadata__\":{\"source\":\"ntc synthetic\"}");
    for (int t = 0; t < 4; t++, off += bytes)
        hl += (size_t)snprintf(header + hl, sizeof header - hl,
                               ",\"%s\":{\"dtype\":\"%s\",\"shape\":[%zu],\"data_offsets\":[%zu,%zu]}", names[t],
                               argv[2], per, off, off + bytes);
    hl += (size_t)snprintf(header + hl, sizeof header - hl, "}");
    while (hl % 8)
        header[hl++] = ' ';
    f = fopen(argv[1], "wb");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    {
        uint64_t h = hl;
        uint8_t le[8];
        for (int i = 0; i < 8; i++)
            le[i] = (uint8_t)(h >> (8 * i));
        fwrite(le, 1, 8, f);
        fwrite(header, 1, hl, f);
    }
    for (int t = 0; t < 4; t++)
        for (size_t i = 0; i < per; i++) {
            float v = (float)(normal() * sigma[t] + (t == 3 ? 1.0 : 0.0));
            uint8_t b[4];
            uint32_t w = wb == 4 ? f32_bits(v) : !strcmp(argv[2], "F16") ? to_f16(v) : to_bf16(v);
            for (int k = 0; k < wb; k++)
                b[k] = (uint8_t)(w >> (8 * k));
            fwrite(b, 1, (size_t)wb, f);
        }
    if (fclose(f) != 0) {
        perror(argv[1]);
        return 1;
    }
    return 0;
}
