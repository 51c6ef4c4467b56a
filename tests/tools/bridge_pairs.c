/*
 * bridge_pairs.c — the input and expected output of the RTL bridge stage alone, from the
 * generated C of a type: one line "code raw out" per word (hex), where (code, raw) is
 * T_to_pair(word) and out is T_bridge(word) in the width of the RTL output. Every word of types
 * of up to 16 bits; for wider ones the words 0, 1 and the top of each half, then random words.
 * Built per type (tests/rtl/bridge_sweep.sh):
 *     cc -DNT_TYPE=int8 -DNT_HEADER='"int8.h"' -DNT_OUT_BITS=16 -DNT_WORD_BITS=8 bridge_pairs.c int8.c
 *     ./bridge_pairs [RANDOM_WORDS]
 */
#include NT_HEADER
#include <stdio.h>
#include <stdlib.h>

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define T(x) CAT(NT_TYPE, x)

static void line(uint64_t word)
{
    const unsigned long long mask = NT_OUT_BITS >= 64 ? ~0ull : (1ull << NT_OUT_BITS) - 1;
    T(_word_t) w = (T(_word_t))word;
    T(_out_t) o;
    uint64_t raw;
    int code = T(_to_pair)(w, &raw);
    T(_bridge)(&o, &w, 1);
    printf("%x %llx %llx\n", code, (unsigned long long)raw, (unsigned long long)(uint64_t)o & mask);
}

int main(int argc, char **argv)
{
    const uint64_t top = NT_WORD_BITS >= 64 ? ~0ull : (1ull << NT_WORD_BITS) - 1;
    if (NT_WORD_BITS <= 16) {
        for (uint64_t w = 0; w <= top; w++)
            line(w);
    } else {
        unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000ul;
        uint64_t x = 0x2545F4914F6CDD1Dull;
        line(0);
        line(1);
        line(top >> 1);
        line((top >> 1) + 1);
        line(top);
        for (unsigned long i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            line(x & top);
        }
    }
    return 0;
}
