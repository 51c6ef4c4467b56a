/*
 * value_driver.c — the value functions of one generated type, driven over pipes by oracle.py.
 *
 * Built like codec_test.c: a file that defines NT_TYPE and includes the generated T.c, then this.
 *   value_driver info        word bits, codes, whether the type has values
 *   value_driver words       every word (types up to 20 bits): T_to_double, as 8-byte doubles
 *   value_driver todouble    words (8-byte little-endian) on stdin -> T_to_double, 8-byte doubles
 *   value_driver fromdouble  doubles on stdin -> T_from_double, as 8-byte words
 *   value_driver fromfloat   floats on stdin -> T_from_float, as 8-byte words
 *   value_driver fp32        every word -> T_to_fp32, checked here against (float)T_to_double
 *   value_driver bridge      the pair bridge (every word)
 *   value_driver roundtrip   every word with a finite value: T_from_double(T_to_double(w)) == w
 *   value_driver nearest N   brute force, for small types: every midpoint and N random doubles go to
 *                            the nearest finite value (ties: the even word; a zero keeps the sign
 *                            of x where the type has both; beyond the ends: saturate)
 *   value_driver int         every word's value is the word as a two's complement integer
 *   value_driver fixed       T_to_fixed(w) == round(T_to_double(w) * 2^F), saturated (every word)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define T(x) CAT(NT_TYPE, x)
#define WORD_BITS (CAT(NT_TYPE, _vtype).word_bits)

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    uint64_t nwords = (uint64_t)1 << (WORD_BITS > 20 ? 20 : WORD_BITS);
    if (!strcmp(mode, "info")) {
        printf("%d %d\n", WORD_BITS, T(_CODES));
    } else if (!strcmp(mode, "words")) {
        for (uint64_t w = 0; w < nwords; w++) {
            double d = T(_to_double)((T(_word_t))w);
            fwrite(&d, 8, 1, stdout);
        }
    } else if (!strcmp(mode, "todouble")) {
        uint64_t w;
        while (fread(&w, 8, 1, stdin) == 1) {
            double d = T(_to_double)((T(_word_t))w);
            fwrite(&d, 8, 1, stdout);
        }
    } else if (!strcmp(mode, "fromdouble")) {
        double d;
        while (fread(&d, 8, 1, stdin) == 1) {
            uint64_t w = T(_from_double)(d);
            fwrite(&w, 8, 1, stdout);
        }
    } else if (!strcmp(mode, "fromfloat")) {
        float f;
        while (fread(&f, 4, 1, stdin) == 1) {
            uint64_t w = T(_from_float)(f);
            fwrite(&w, 8, 1, stdout);
        }
    } else if (!strcmp(mode, "fp32")) {
        uint64_t bad = 0;
        for (uint64_t w = 0; w < nwords; w++) {
            float f = (float)T(_to_double)((T(_word_t))w), g = T(_to_float)((T(_word_t))w);
            uint32_t u, v, b = T(_to_fp32)((T(_word_t))w);
            memcpy(&u, &f, 4);
            memcpy(&v, &g, 4);
            bad += u != b || v != b;
        }
        printf("%s fp32 bridge: %llu words, %llu differ from (float)T_to_double\n", bad ? "FAIL" : "PASS",
               (unsigned long long)nwords, (unsigned long long)bad);
        return bad != 0;
    } else if (!strcmp(mode, "bridge")) {
        uint64_t bad = 0;
        for (uint64_t w = 0; w < nwords; w++) {
            uint64_t raw, pb = T(_to_pair_bits)((T(_word_t))w);
            int code = T(_to_pair)((T(_word_t))w, &raw);
            bad += T(_from_pair)(code, raw) != w || pb != ((uint64_t)code << T(_RAW_BITS_MAX) | raw);
        }
        printf("%s pair bridge: %llu words, %llu wrong\n", bad ? "FAIL" : "PASS", (unsigned long long)nwords,
               (unsigned long long)bad);
        return bad != 0;
    } else if (!strcmp(mode, "roundtrip")) {
        uint64_t bad = 0, n = 0;
        for (uint64_t w = 0; w < nwords; w++) {
            double d = T(_to_double)((T(_word_t))w);
            if (d != d)
                continue;
            n++;
            bad += (uint64_t)T(_from_double)(d) != w;
        }
        printf("%s roundtrip: %llu words with a value, %llu do not come back\n", bad ? "FAIL" : "PASS",
               (unsigned long long)n, (unsigned long long)bad);
        return bad != 0;
    } else if (!strcmp(mode, "nearest")) {
        static double val[1 << 12];
        uint64_t bad = 0, n = argc > 2 ? strtoull(argv[2], NULL, 10) : 100000, tried = 0, rs = 88172645463325252ull;
        double lo = 0, hi = 0;
        if (nwords > (1u << 12))
            return printf("SKIP nearest: too many words for brute force\n"), 0;
        for (uint64_t w = 0; w < nwords; w++) {
            val[w] = T(_to_double)((T(_word_t))w);
            if (val[w] == val[w] && val[w] < lo)
                lo = val[w];
            if (val[w] == val[w] && val[w] > hi)
                hi = val[w];
        }
        for (uint64_t i = 0; i < n + nwords * nwords; i++) {
            double x;
            uint64_t best = 0, got;
            int have = 0, neg;
            if (i < nwords * nwords) { /* midpoints of every pair of values, and the values */
                double a = val[i / nwords], b = val[i % nwords];
                if (a != a || b != b)
                    continue;
                x = a / 2 + b / 2;
            } else {
                rs ^= rs << 13, rs ^= rs >> 7, rs ^= rs << 17;
                x = lo * 1.25 + (hi - lo) * 1.25 * (double)(rs >> 11) / 9007199254740992.0;
            }
            neg = x < 0 || (x == 0 && 1 / x < 0);
            for (uint64_t w = 0; w < nwords; w++) {
                double d, e;
                if (val[w] != val[w])
                    continue;
                d = val[w] > x ? val[w] - x : x - val[w];
                e = have ? (val[best] > x ? val[best] - x : x - val[best]) : 0;
                if (!have || d < e || (d == e && (best & 1) && !(w & 1)))
                    best = w, have = 1;
            }
            if (val[best] == 0) /* the zero of x's sign, if the type has it */
                for (uint64_t w = 0; w < nwords; w++)
                    if (val[w] == 0 && ((1 / val[w] < 0) == neg))
                        best = w;
            got = T(_from_double)(x);
            tried++;
            if (got != best && val[got] != val[best]) {
                if (bad++ == 0)
                    printf("first difference: %.17g -> 0x%llx (%.17g), nearest 0x%llx (%.17g)\n", x,
                           (unsigned long long)got, val[got], (unsigned long long)best, val[best]);
            } else if (got != best && !(val[got] == 0 && val[best] == 0)) {
                bad++; /* same value, but not the even word of a tie */
            }
        }
        printf("%s nearest: %llu doubles (every midpoint, random ones over 1.25 times the range), %llu not "
               "rounded to the nearest value\n", bad ? "FAIL" : "PASS", (unsigned long long)tried,
               (unsigned long long)bad);
        return bad != 0;
    } else if (!strcmp(mode, "int")) {
        uint64_t bad = 0;
        for (uint64_t w = 0; w < nwords; w++) {
            int64_t v = (int64_t)w - ((w >> (WORD_BITS - 1)) ? (int64_t)nwords : 0);
            bad += T(_to_double)((T(_word_t))w) != (double)v;
        }
        printf("%s int: %llu words, %llu values are not the two's complement integer\n", bad ? "FAIL" : "PASS",
               (unsigned long long)nwords, (unsigned long long)bad);
        return bad != 0;
#ifdef NT_FIXED_FRAC
    } else if (!strcmp(mode, "fixed")) {
        uint64_t bad = 0;
        double lim = 1;
        for (int i = 1; i < NT_FIXED_WIDTH; i++)
            lim *= 2;
        for (uint64_t w = 0; w < nwords; w++) {
            double v = T(_to_double)((T(_word_t))w), want;
            for (int i = 0; i < NT_FIXED_FRAC; i++)
                v *= 2;
            want = v != v ? 0 : v >= lim ? lim - 1 : v < -lim ? -lim : v; /* values here are whole */
            bad += (double)T(_to_fixed)((T(_word_t))w) != want;
        }
        printf("%s fixed: %llu words, %llu wrong\n", bad ? "FAIL" : "PASS", (unsigned long long)nwords,
               (unsigned long long)bad);
        return bad != 0;
#endif
    } else {
        fprintf(stderr, "usage: %s info|words|todouble|fromdouble|fromfloat|fp32|bridge|roundtrip|nearest|int\n",
                argv[0]);
        return 2;
    }
    return 0;
}
