/*
 * token_calc.c — tokens per second of a weight-streaming LLM accelerator, with and without
 * compressed weights and with and without sharing the stream among several tokens (the token
 * factory).
 *
 *   token_calc [--params N] [--bytes B] [--bandwidth GB/s] [--ratio R] [--tokens K]
 *              [--lanes L] [--clock MHz]
 *
 * The model: generating one token reads every weight once (batch-1 decoding is memory bound), so
 * a pass over the weights costs params * bytes / ratio bytes of DRAM traffic. Sharing the pass
 * among K tokens (K users, or K sequences in flight) divides that traffic per token by K. The
 * datapath takes at most L weights per clock (L decoder lanes, or an L-wide MAC array fed with
 * plain words), each weight used by K engines, which caps the passes per second at
 * L * clock / params in both cases. Compute engines are assumed to keep up (K MACs per lane per
 * clock), and activations, KV cache and attention are left out (the smaller stream for short
 * contexts; the calculator says so).
 *
 *   tokens/s = K * min(bandwidth / (params * bytes / ratio), lanes * clock / params)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double arg(int argc, char **argv, const char *name, double def)
{
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], name))
            return atof(argv[i + 1]);
    return def;
}

static void row(const char *what, double params, double bytes, double bw, double ratio, double k, double lanes,
                double clock)
{
    double pass_bytes = params * bytes / ratio;
    double mem = bw / pass_bytes;                    /* passes per second DRAM allows */
    double dec = lanes * clock / params;             /* passes per second the datapath allows */
    double passes = dec < mem ? dec : mem;
    printf("  %-34s %10.3g B/token %12.2f tokens/s  (%s bound)\n", what, pass_bytes / k, k * passes,
           dec < mem ? "lanes" : "DRAM");
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: token_calc [--params N] [--bytes B] [--bandwidth GB/s] [--ratio R] [--tokens K]\n"
                   "                  [--lanes L] [--clock MHz]\n"
                   "defaults: Llama2-7B (6.74e9 weights), bf16 (2 bytes), 25.6 GB/s (one DDR4-3200 channel),\n"
                   "ratio 1.5 (the paper's lossless bf16), 8 tokens, 64 lanes at 300 MHz\n");
            return 0;
        }
    double params = arg(argc, argv, "--params", 6.74e9);
    double bytes = arg(argc, argv, "--bytes", 2);
    double bw = arg(argc, argv, "--bandwidth", 25.6) * 1e9;
    double ratio = arg(argc, argv, "--ratio", 1.5);
    double k = arg(argc, argv, "--tokens", 8);
    double lanes = arg(argc, argv, "--lanes", 64);
    double clock = arg(argc, argv, "--clock", 300) * 1e6;
    char what[64];
    if (params <= 0 || bytes <= 0 || bw <= 0 || ratio <= 0 || k < 1 || lanes <= 0 || clock <= 0) {
        fprintf(stderr, "token_calc: every figure must be positive (try --help)\n");
        return 2;
    }
    printf("model %.4g weights x %g bytes = %.4g GB; DRAM %.4g GB/s; compression %.3f:1; decoders %g lanes x %g MHz\n",
           params, bytes, params * bytes / 1e9, bw / 1e9, ratio, lanes, clock / 1e6);
    row("plain, one token per pass", params, bytes, bw, 1, 1, lanes, clock);
    row("compressed, one token per pass", params, bytes, bw, ratio, 1, lanes, clock);
    snprintf(what, sizeof what, "plain, %g tokens per pass", k);
    row(what, params, bytes, bw, 1, k, lanes, clock);
    snprintf(what, sizeof what, "compressed, %g tokens per pass", k);
    row(what, params, bytes, bw, ratio, k, lanes, clock);
    printf("lanes that keep up with DRAM: %.1f plain, %.1f compressed\n", bw / bytes / clock, bw * ratio / bytes / clock);
    printf("(weights only: activations, KV cache and attention traffic are not counted)\n");
    return 0;
}
