// bench_accel.cpp — Verilator bench of accel_top: a real weight matrix, compressed by the
// generated C encoder, decoded and bridged in RTL, multiplied by activation vectors in the
// engine; every output compared with the C reference (mv_ref: expected.hex), exact.
//   usage: bench DIR [--stall PERCENT] [--seed N]
// DIR holds dims.mk, stream_0.hex, act.hex, expected.hex (from mv_ref). The compressed matrix is
// sent once per vector, as an accelerator without a weight cache would. Prints PASS/FAIL lines,
// the cycles, and exits non-zero on a failure.
#include "Vaccel_top.h"
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

int main(int argc, char **argv)
{
    Verilated::commandArgs(argc, argv);
    std::string dir = argc > 1 ? argv[1] : ".";
    int stall = 0;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--stall") && i + 1 < argc)
            stall = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            rng_state = strtoull(argv[++i], NULL, 0) | 1;
    }
    std::vector<uint64_t> stream, act, expect;
    long rows = dim(dir, "ROWS"), cols = dim(dir, "COLS"), vectors = dim(dir, "VECTORS");
    if (!read_hex(dir + "/stream_0.hex", stream) || !read_hex(dir + "/act.hex", act) ||
        !read_hex(dir + "/expected.hex", expect) || rows <= 0 || cols <= 0 || vectors <= 0 ||
        act.size() != (size_t)(vectors * cols) || expect.size() != (size_t)(vectors * rows)) {
        printf("FAIL cannot read the vectors in %s\n", dir.c_str());
        return 1;
    }
    Vaccel_top *t = new Vaccel_top;
    auto tick = [&]() {
        t->clk = 1;
        t->eval();
        t->clk = 0;
        t->eval();
    };
    t->clk = 0;
    t->rst = 1;
    t->s_axis_tvalid = 0;
    t->s_act_tvalid = 0;
    t->m_y_tready = 0;
    t->eval();
    tick();
    tick();
    t->rst = 0;

    size_t si = 0, ai = 0, yi = 0, bad = 0, total_in = stream.size() * (size_t)vectors;
    uint64_t cycles = 0, idle = 0, first_y = 0;
    std::vector<uint64_t> done_at;
    bool sv = false, av = false;
    while (yi < expect.size() && idle < 100000 && !t->error) {
        if (!sv && si < total_in && (int)(rnd() % 100) >= stall)
            sv = true;
        if (!av && ai < act.size() && (int)(rnd() % 100) >= stall)
            av = true;
        uint64_t word = sv ? stream[si % stream.size()] : 0;
        t->s_axis_tvalid = sv;
        t->s_axis_tdata = (uint32_t)word;
        t->s_axis_tlast = (word >> 32) & 1;
        t->s_act_tvalid = av;
        t->s_act_tdata = av ? (uint16_t)act[ai] : 0;
        t->m_y_tready = (int)(rnd() % 100) >= stall;
        t->eval();
        bool s_fire = sv && t->s_axis_tready, a_fire = av && t->s_act_tready;
        bool y_fire = t->m_y_tvalid && t->m_y_tready;
        if (y_fire) {
            uint64_t got = (uint64_t)t->m_y_tdata & 0xffffffffffffull;
            bool last = (yi % (size_t)rows) == (size_t)rows - 1;
            if (got != expect[yi] || (bool)t->m_y_tlast != last) {
                if (bad < 5)
                    printf("  vector %zu row %zu: got %012llx, expected %012llx\n", yi / (size_t)rows, yi % (size_t)rows,
                           (unsigned long long)got, (unsigned long long)expect[yi]);
                bad++;
            }
            if (!first_y)
                first_y = cycles;
            if (last)
                done_at.push_back(cycles);
            yi++;
        }
        tick();
        cycles++;
        if (s_fire)
            si++, sv = false;
        if (a_fire)
            ai++, av = false;
        idle = (s_fire || a_fire || y_fire) ? 0 : idle + 1;
    }
    bool ok = yi == expect.size() && !bad && !t->error;
    uint64_t weights = (uint64_t)rows * (uint64_t)cols * (uint64_t)vectors;
    printf("%s accelerator: %ld x %ld matrix, %ld vector(s), stalls %d%%: %zu of %zu outputs exact%s%s\n",
           ok ? "PASS" : "FAIL", rows, cols, vectors, stall, yi - bad, expect.size(), t->error ? ", ERROR raised" : "",
           idle >= 100000 ? ", HANG" : "");
    printf("cycles: %llu in all, first y after %llu, %.4f cycles per weight (%llu weights)",
           (unsigned long long)cycles, (unsigned long long)first_y, (double)cycles / (double)weights,
           (unsigned long long)weights);
    if (done_at.size() >= 2)
        printf(", %llu cycles per matrix in steady state",
               (unsigned long long)((done_at.back() - done_at.front()) / (done_at.size() - 1)));
    printf("\n");
    t->final();
    delete t;
    return ok ? 0 : 1;
}
