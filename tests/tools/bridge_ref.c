/*
 * bridge_ref.c — the generated C bridge of a type against the RTL vectors, for tests/rtl/run.sh:
 * T_bridge(word) for each word of source.hex must equal the output the Verilator and Icarus
 * benches expect (expected.hex without its tlast bit). So the RTL bridge is checked against the
 * generated C, not only against the compiler that wrote the vectors. Built per type:
 *     cc -DNT_TYPE=wq8_core -DNT_HEADER='"wq8_core.h"' -DNT_OUT_BITS=16 bridge_ref.c wq8_core.c
 *     ./bridge_ref wq8_core_vectors/source.hex wq8_core_vectors/expected.hex
 */
#include NT_HEADER
#include <stdio.h>
#include <stdlib.h>

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define T(x) CAT(NT_TYPE, x)

static int next_hex(FILE *f, unsigned long long *v)
{
    char line[128];
    while (fgets(line, sizeof line, f))
        if (line[0] != '/' && line[0] != '\n') {
            *v = strtoull(line, NULL, 16);
            return 1;
        }
    return 0;
}

int main(int argc, char **argv)
{
    FILE *src = argc > 2 ? fopen(argv[1], "r") : NULL, *exp = argc > 2 ? fopen(argv[2], "r") : NULL;
    const unsigned long long mask = NT_OUT_BITS >= 64 ? ~0ull : (1ull << NT_OUT_BITS) - 1;
    unsigned long long s, e, n = 0, bad = 0;
    if (!src || !exp) {
        fprintf(stderr, "usage: bridge_ref SOURCE.hex EXPECTED.hex\n");
        return 2;
    }
    while (next_hex(src, &s)) {
        T(_word_t) w = (T(_word_t))s;
        T(_out_t) o;
        T(_bridge)(&o, &w, 1);
        if (!next_hex(exp, &e)) {
            printf("FAIL expected.hex ends after %llu words\n", n);
            return 1;
        }
        if (((unsigned long long)(uint64_t)o & mask) != (e & mask) && bad++ < 5)
            printf("  word %llx: C bridge %llx, vectors %llx\n", s, (unsigned long long)(uint64_t)o & mask, e & mask);
        n++;
    }
    printf("%s the generated C bridge and the RTL vectors: %llu words, %llu differ\n", bad ? "FAIL" : "PASS", n, bad);
    return bad != 0;
}
