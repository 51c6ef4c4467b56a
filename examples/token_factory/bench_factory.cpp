// bench_factory.cpp — Verilator bench of factory_top: LANES compressed streams (row slices of a
// real matrix, from examples/accelerator/mv_ref), each shared by up to TOKENS engines.
//   usage: bench DIR --tokens K [--stall PERCENT] [--seed N]
// One pass: token k (k < K) loads its activations, every decoder streams its slice once, and
// every engine (d, k) must return y[k][rows of slice d] equal to the C reference, exact. Prints
// PASS/FAIL and a line "factory lanes L tokens K: ..." with the cycles, the weights per clock the
// decoders delivered, the MACs per clock, and the DRAM bytes per token.
#include "Vfactory_top.h"
#include "verilated.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd()
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static bool read_hex(const std::string &path, std::vector<uint64_t> &v)
{
    FILE *f = fopen(path.c_str(), "r");
    char line[128];
    if (!f)
        return false;
    while (fgets(line, sizeof line, f))
        if (line[0] != '/' && line[0] != '\n')
            v.push_back(strtoull(line, NULL, 16));
    fclose(f);
    return true;
}

static long dim(const std::string &dir, const char *name)
{
    FILE *f = fopen((dir + "/dims.mk").c_str(), "r");
    char key[64];
    long v;
    if (!f)
        return -1;
    while (fscanf(f, "%63s := %ld", key, &v) == 2)
        if (!strcmp(key, name)) {
            fclose(f);
            return v;
        }
    fclose(f);
    return -1;
}

// bits [lo, lo + n) of a Verilator wide signal (n <= 64)
template <class W> static uint64_t get_bits(const W &w, int lo, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v |= (uint64_t)((w[(lo + i) / 32] >> ((lo + i) % 32)) & 1) << i;
    return v;
}
template <class W> static void set_bits(W &w, int lo, int n, uint64_t v)
{
    for (int i = 0; i < n; i++) {
        uint32_t m = 1u << ((lo + i) % 32);
        if ((v >> i) & 1)
            w[(lo + i) / 32] |= m;
        else
            w[(lo + i) / 32] &= ~m;
    }
}
// narrow signals (<= 64 bits) are plain integers in Verilator
#define NARROW(T)                                                                                  \
    static uint64_t get_bits(T w, int lo, int n) { return ((uint64_t)w >> lo) & (n >= 64 ? ~0ull : (1ull << n) - 1); } \
    static void set_bits(T &w, int lo, int n, uint64_t v)                                          \
    {                                                                                              \
        uint64_t m = (n >= 64 ? ~0ull : (1ull << n) - 1) << lo;                                    \
        w = (T)(((uint64_t)w & ~m) | ((v << lo) & m));                                             \
    }
NARROW(uint8_t)
NARROW(uint16_t)
NARROW(uint32_t)
NARROW(uint64_t)

int main(int argc, char **argv)
{
    Verilated::commandArgs(argc, argv);
    std::string dir = argc > 1 ? argv[1] : ".";
    int stall = 0, tokens = 1;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--stall") && i + 1 < argc)
            stall = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--tokens") && i + 1 < argc)
            tokens = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            rng_state = strtoull(argv[++i], NULL, 0) | 1;
    }
    Vfactory_top *t = new Vfactory_top;
    const int L = FACTORY_LANES, TK = FACTORY_TOKENS;
    long rows = dim(dir, "ROWS"), cols = dim(dir, "COLS"), vectors = dim(dir, "VECTORS"), slices = dim(dir, "SLICES");
    long stream_bytes = dim(dir, "STREAM_BYTES");
    std::vector<std::vector<uint64_t>> streams(L);
    std::vector<uint64_t> act, expect;
    bool ok_read = slices == L && tokens >= 1 && tokens <= TK && vectors >= tokens && read_hex(dir + "/act.hex", act) &&
                   read_hex(dir + "/expected.hex", expect);
    for (int d = 0; d < L && ok_read; d++)
        ok_read = read_hex(dir + "/stream_" + std::to_string(d) + ".hex", streams[d]);
    if (!ok_read) {
        printf("FAIL cannot read the vectors in %s for %d lanes and %d tokens\n", dir.c_str(), L, tokens);
        return 1;
    }
    const long rps = rows / L; // rows per slice

    auto tick = [&]() {
        t->clk = 1;
        t->eval();
        t->clk = 0;
        t->eval();
    };
    t->clk = 0;
    t->rst = 1;
    t->tok_en = (uint32_t)((1u << tokens) - 1);
    t->eval();
    tick();
    tick();
    t->rst = 0;

    std::vector<size_t> si(L, 0), ai(tokens, 0), yi(L * TK, 0);
    std::vector<bool> sv(L, false), av(tokens, false);
    size_t outs = 0, want = (size_t)rows * (size_t)tokens, bad = 0;
    uint64_t cycles = 0, idle = 0, weights_out = 0;
    while (outs < want && idle < 100000 && !t->error) {
        uint64_t s_valid = 0, s_last = 0, a_valid = 0;
        for (int d = 0; d < L; d++) {
            if (!sv[d] && si[d] < streams[d].size() && (int)(rnd() % 100) >= stall)
                sv[d] = true;
            uint64_t w = sv[d] ? streams[d][si[d]] : 0;
            set_bits(t->s_axis_tdata, 32 * d, 32, (uint32_t)w);
            s_valid |= (uint64_t)sv[d] << d;
            s_last |= ((w >> 32) & 1) << d;
        }
        for (int k = 0; k < tokens; k++) {
            if (!av[k] && ai[k] < (size_t)cols && (int)(rnd() % 100) >= stall)
                av[k] = true;
            set_bits(t->s_act_tdata, 16 * k, 16, av[k] ? act[(size_t)k * (size_t)cols + ai[k]] : 0);
            a_valid |= (uint64_t)av[k] << k;
        }
        t->s_axis_tvalid = (uint32_t)s_valid;
        t->s_axis_tlast = (uint32_t)s_last;
        t->s_act_tvalid = (uint32_t)a_valid;
        uint64_t y_ready = 0;
        for (int e = 0; e < L * TK; e++)
            y_ready |= (uint64_t)((int)(rnd() % 100) >= stall) << e;
        set_bits(t->m_y_tready, 0, L * TK, y_ready);
        t->eval();
        bool progress = false;
        for (int d = 0; d < L; d++)
            for (int k = 0; k < tokens; k++) {
                int e = d * TK + k;
                if (get_bits(t->m_y_tvalid, e, 1) && ((y_ready >> e) & 1)) {
                    uint64_t got = get_bits(t->m_y_tdata, 48 * e, 48);
                    size_t r = (size_t)d * (size_t)rps + yi[e];
                    if (yi[e] >= (size_t)rps || got != expect[(size_t)k * (size_t)rows + r]) {
                        if (bad < 5)
                            printf("  token %d row %zu: got %012llx\n", k, r, (unsigned long long)got);
                        bad++;
                    }
                    yi[e]++;
                    outs++;
                    progress = true;
                }
            }
        uint64_t s_ready = get_bits(t->s_axis_tready, 0, L), a_ready = get_bits(t->s_act_tready, 0, TK);
        tick();
        cycles++;
        for (int d = 0; d < L; d++)
            if (sv[d] && ((s_ready >> d) & 1))
                si[d]++, sv[d] = false, progress = true;
        for (int k = 0; k < tokens; k++)
            if (av[k] && ((a_ready >> k) & 1))
                ai[k]++, av[k] = false, progress = true;
        idle = progress ? 0 : idle + 1;
    }
    weights_out = (uint64_t)rows * (uint64_t)cols;
    bool ok = outs == want && !bad && !t->error;
    printf("%s factory lanes %d tokens %d, stalls %d%%: %zu of %zu outputs exact%s%s\n", ok ? "PASS" : "FAIL", L, tokens,
           stall, outs - bad, want, t->error ? ", ERROR raised" : "", idle >= 100000 ? ", HANG" : "");
    printf("factory lanes %d tokens %d: %llu cycles, %.3f weights per clock from the decoders, %.3f weights per "
           "clock delivered to engines (MACs), %.1f DRAM bytes per token (compressed %ld bytes / %d tokens; bf16 "
           "unshared %ld)\n",
           L, tokens, (unsigned long long)cycles, (double)weights_out / (double)cycles,
           (double)weights_out * tokens / (double)cycles, (double)stream_bytes / tokens, stream_bytes, tokens,
           2 * rows * cols);
    t->final();
    delete t;
    return ok ? 0 : 1;
}
