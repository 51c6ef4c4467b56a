// bridge_bench.cpp — Verilator bench of a type's bridge stage alone (ntc --emit bridge): feeds
// the (code, raw) pairs of bridge_pairs.c with random stalls on input valid and output ready and
// compares every output with the generated C's T_bridge. Built per type, with a bridge_top.h that
// includes the Verilated model and names it TOP (tests/rtl/bridge_sweep.sh writes it).
//   usage: bench PAIRS.txt [--stall PERCENT]
#include "bridge_top.h"
#include "verilated.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd()
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

int main(int argc, char **argv)
{
    Verilated::commandArgs(argc, argv);
    int stall = 30;
    std::vector<unsigned long long> code, raw, out;
    FILE *f = argc > 1 ? fopen(argv[1], "r") : NULL;
    unsigned long long a, b, c;
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "--stall") && i + 1 < argc)
            stall = atoi(argv[++i]);
    if (!f) {
        printf("FAIL cannot read the pairs\n");
        return 1;
    }
    while (fscanf(f, "%llx %llx %llx", &a, &b, &c) == 3) {
        code.push_back(a);
        raw.push_back(b);
        out.push_back(c);
    }
    fclose(f);
    TOP *t = new TOP;
    auto tick = [&]() {
        t->clk = 1;
        t->eval();
        t->clk = 0;
        t->eval();
    };
    t->clk = 0;
    t->rst = 1;
    t->s_valid = 0;
    t->m_ready = 0;
    t->eval();
    tick();
    t->rst = 0;
    size_t in = 0, got = 0, bad = 0, idle = 0;
    bool v = false;
    while (got < out.size() && idle < 1000) {
        if (!v && in < code.size() && (int)(rnd() % 100) >= stall)
            v = true;
        t->s_valid = v;
        t->s_code = v ? code[in] : 0;
        t->s_raw = v ? raw[in] : 0;
        t->s_last = v && in + 1 == code.size();
        t->m_ready = (int)(rnd() % 100) >= stall;
        t->eval();
        bool in_fire = v && t->s_ready, out_fire = t->m_valid && t->m_ready;
        if (out_fire) {
            unsigned long long o = (unsigned long long)t->m_data;
            if (o != out[got] || (bool)t->m_last != (got + 1 == out.size())) {
                if (bad < 5)
                    printf("  code %llx raw %llx: got %llx, expected %llx\n", code[got], raw[got], o, out[got]);
                bad++;
            }
            got++;
        }
        tick();
        if (in_fire)
            in++, v = false;
        idle = (in_fire || out_fire) ? 0 : idle + 1;
    }
    printf("%s %zu words through the bridge, stalls %d%%: %zu wrong%s\n", bad || got != out.size() ? "FAIL" : "PASS",
           out.size(), stall, bad, got != out.size() ? ", HANG" : "");
    t->final();
    delete t;
    return bad || got != out.size();
}
