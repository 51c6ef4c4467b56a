/*
 * mv_ref.c — the C side of the matrix-vector example: streams for the RTL and the reference.
 *
 *   mv_ref WEIGHTS.safetensors TENSOR OUTDIR [SLICES [VECTORS]]
 *
 * Reads a BF16 matrix W (ROWS x COLS) and writes into OUTDIR:
 *   dims.mk          ROWS, COLS, SLICES, VECTORS, for the Verilator build;
 *   stream_S.hex     slice S of W (rows S*ROWS/SLICES ..), compressed by the generated encoder
 *                    bf16_q20_encode: 32-bit little-endian words, a leading 1 on the last (tlast);
 *   act.hex          VECTORS activation vectors x (COLS signed Q3.12 words each): rows of the
 *                    file's token embedding table when it has one, else a fixed pseudo-random set;
 *   expected.hex     y = W_fixed x for each vector, then each row: 48-bit two's complement, exact
 *                    (W_fixed = bf16_q20_to_fixed(w), round(w 2^20) in 24 bits);
 *   sizes.txt        compressed bytes per slice and in total.
 * It also checks the engine's arithmetic against floating point: y 2^-32 against the double
 * sum of w x, which may differ only by the weights' rounding to 2^-20, at most
 * 2^-21 sum |x| per output (printed, and a failure if exceeded).
 * Built against the generated C of bf16_q20.nt (ntc bf16_q20.nt --emit c) and the runtime's
 * tensor reader.
 */
#include "bf16_q20.h"
#include "nt_tensor_file.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define A_FRAC 12  /* activations: Q3.12 in 16 bits */
#define W_FRAC 20  /* weights: the bridge's fixed(24, 20) */

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static float bf16_float(uint16_t w)
{
    uint32_t u = (uint32_t)w << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static int write_stream(const char *path, const uint16_t *w, size_t n, size_t *bytes)
{
    size_t cap = bf16_q20_compress_bound(n), len;
    uint8_t *buf = malloc(cap + 4);
    uint16_t *back = malloc(n * sizeof *back + 2);
    FILE *f;
    if (!buf || !back)
        return -1;
    len = bf16_q20_encode(buf, cap, w, n);
    if (bf16_q20_is_error(len) || bf16_q20_decode(back, n, buf, len) != n || memcmp(back, w, n * sizeof *w)) {
        fprintf(stderr, "mv_ref: cannot encode %s\n", path);
        return -1;
    }
    memset(buf + len, 0, 4);
    if (!(f = fopen(path, "w")))
        return -1;
    for (size_t i = 0; i < len; i += 4)
        fprintf(f, "%d%08x\n", i + 4 >= len,
                (unsigned)(buf[i] | buf[i + 1] << 8 | buf[i + 2] << 16 | (uint32_t)buf[i + 3] << 24));
    fclose(f);
    free(buf);
    free(back);
    *bytes = len;
    return 0;
}

int main(int argc, char **argv)
{
    nt_tensor_file tf;
    char err[512], path[4096];
    const nt_tensor *t, *emb;
    int slices = argc > 4 ? atoi(argv[4]) : 1, vectors = argc > 5 ? atoi(argv[5]) : 1, bad = 0;
    size_t rows, cols, total = 0;
    uint16_t *w;
    int16_t *x;
    FILE *f;
    if (argc < 4 || slices < 1 || vectors < 1) {
        fprintf(stderr, "usage: mv_ref WEIGHTS.safetensors TENSOR OUTDIR [SLICES [VECTORS]]\n");
        return 2;
    }
    if (nt_tensor_file_open(&tf, argv[1], 0, err, sizeof err) != 0) {
        fprintf(stderr, "mv_ref: %s\n", err);
        return 1;
    }
    t = nt_tensor_file_find(&tf, argv[2]);
    if (!t || t->dtype != NT_DT_BF16 || t->ndim != 2) {
        fprintf(stderr, "mv_ref: no 2-D BF16 tensor '%s' in %s\n", argv[2], argv[1]);
        return 1;
    }
    rows = (size_t)t->shape[0];
    cols = (size_t)t->shape[1];
    if (rows % (size_t)slices) {
        fprintf(stderr, "mv_ref: %zu rows do not split into %d slices\n", rows, slices);
        return 1;
    }
    w = malloc(rows * cols * sizeof *w);
    x = malloc((size_t)vectors * cols * sizeof *x);
    if (!w || !x)
        return 1;
    for (size_t i = 0; i < rows * cols; i++) {
        const uint8_t *p = (const uint8_t *)t->data + 2 * i;
        w[i] = (uint16_t)(p[0] | p[1] << 8);
    }
    emb = nt_tensor_file_find(&tf, "tok_embeddings.weight");
    for (int k = 0; k < vectors; k++)
        for (size_t c = 0; c < cols; c++) {
            double v;
            if (emb && emb->dtype == NT_DT_BF16 && emb->ndim == 2 && emb->shape[1] == cols &&
                (uint64_t)k + 1 < emb->shape[0]) {
                const uint8_t *p = (const uint8_t *)emb->data + 2 * ((size_t)(k + 1) * cols + c);
                v = bf16_float((uint16_t)(p[0] | p[1] << 8)) * 4.0; /* token k+1, scaled to use the range */
            } else {
                v = ((double)(rnd() % 60001) - 30000.0) / 10000.0;
            }
            v = floor(v * (1 << A_FRAC) + 0.5);
            x[(size_t)k * cols + c] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
        }

    snprintf(path, sizeof path, "%s/sizes.txt", argv[3]);
    if (!(f = fopen(path, "w")))
        return 1;
    for (int s = 0; s < slices; s++) {
        char sp[4200];
        size_t bytes;
        snprintf(sp, sizeof sp, "%s/stream_%d.hex", argv[3], s);
        if (write_stream(sp, w + (size_t)s * (rows / (size_t)slices) * cols, rows / (size_t)slices * cols, &bytes))
            return 1;
        fprintf(f, "slice %d: %zu weights, %zu bytes\n", s, rows / (size_t)slices * cols, bytes);
        total += bytes;
    }
    fprintf(f, "total: %zu weights, %zu bytes (bf16: %zu bytes, ratio %.4f)\n", rows * cols, total, 2 * rows * cols,
            (double)(2 * rows * cols) / (double)total);
    fclose(f);

    snprintf(path, sizeof path, "%s/dims.mk", argv[3]);
    if (!(f = fopen(path, "w")))
        return 1;
    fprintf(f, "ROWS := %zu\nCOLS := %zu\nSLICES := %d\nVECTORS := %d\nSTREAM_BYTES := %zu\n", rows, cols, slices,
            vectors, total);
    fclose(f);

    snprintf(path, sizeof path, "%s/act.hex", argv[3]);
    if (!(f = fopen(path, "w")))
        return 1;
    for (size_t i = 0; i < (size_t)vectors * cols; i++)
        fprintf(f, "%04x\n", (unsigned)(uint16_t)x[i]);
    fclose(f);

    snprintf(path, sizeof path, "%s/expected.hex", argv[3]);
    if (!(f = fopen(path, "w")))
        return 1;
    {
        double worst = 0, worst_bound = 0;
        for (int k = 0; k < vectors; k++)
            for (size_t r = 0; r < rows; r++) {
                int64_t y = 0;
                double yf = 0, bound = 0, e;
                for (size_t c = 0; c < cols; c++) {
                    int64_t xv = x[(size_t)k * cols + c];
                    y += (int64_t)bf16_q20_to_fixed(w[r * cols + c]) * xv;
                    yf += (double)bf16_float(w[r * cols + c]) * ((double)xv / (1 << A_FRAC));
                    bound += fabs((double)xv / (1 << A_FRAC)) * ldexp(1.0, -(W_FRAC + 1));
                }
                fprintf(f, "%012llx\n", (unsigned long long)y & 0xffffffffffffull);
                e = fabs(ldexp((double)y, -(W_FRAC + A_FRAC)) - yf);
                if (e > bound * (1 + 1e-9) + 1e-12)
                    bad++;
                if (e > worst) {
                    worst = e;
                    worst_bound = bound;
                }
            }
        printf("%s fixed-point y against the float sum of bf16 w times x: largest error %.3g (its bound "
               "2^-21 sum|x| = %.3g), %d outputs beyond their bound\n",
               bad ? "FAIL" : "PASS", worst, worst_bound, bad);
    }
    fclose(f);
    printf("%s: %zu x %zu, %d slice(s), %zu bytes compressed (bf16 %zu, ratio %.4f), %d vector(s)\n", argv[2], rows,
           cols, slices, total, 2 * rows * cols, (double)(2 * rows * cols) / (double)total, vectors);
    nt_tensor_file_close(&tf);
    free(w);
    free(x);
    return bad != 0;
}
