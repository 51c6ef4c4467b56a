/*
 * word_map_check.c — the table-driven split and join (nt_map_code, nt_map_join: what `pack --type`
 * and `quantize` run once a word) against the IR's own (nt_word_code, nt_word_join), for every type
 * of the .nt files given. Words of up to 16 bits are all tried, wider ones 2^20 drawn at random
 * (and every single-bit word); every code, and one past either end, is joined with 64 raw values. For tests/run.sh, linked
 * with ntc's objects:
 *     word_map_check examples/bf16_lossless.nt examples/int8.nt ...
 * prints a line per type that differs and ends with "word_map: N passed, N failed".
 */
#include "ntc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 0x9e3779b97f4a7c15u;
static uint64_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) != NULL) {
        *len = fread(buf, 1, (size_t)n, f);
        buf[*len] = 0;
    }
    fclose(f);
    return buf;
}

/* 0 when the map agrees with the IR on word w; else prints what differs */
static int check_word(const nt_word_map *m, const nt_type *t, uint64_t w)
{
    uint64_t raw_ir = 0, raw_map = 0;
    int code_ir = nt_word_code(t, w, &raw_ir), code_map = nt_map_code(m, w, &raw_map);
    if (code_ir != code_map || raw_ir != raw_map) {
        printf("FAIL %s: word 0x%llx: code %d raw 0x%llx, the IR's %d 0x%llx\n", t->name, (unsigned long long)w, code_map,
               (unsigned long long)raw_map, code_ir, (unsigned long long)raw_ir);
        return 1;
    }
    return 0;
}

static int check_type(const nt_type *t)
{
    nt_word_map *m = malloc(sizeof *m);
    int bad = 0;
    if (!m || nt_word_map_init(m, t) != 0) {
        printf("FAIL %s: out of memory\n", t->name);
        free(m);
        return 1;
    }
    if (t->word_bits <= 16) {
        for (uint64_t w = 0; w < (uint64_t)1 << t->word_bits && !bad; w++)
            bad = check_word(m, t, w);
    } else {
        for (int b = 0; b < t->word_bits && !bad; b++)
            bad = check_word(m, t, (uint64_t)1 << b);
        for (int i = 0; i < 1 << 20 && !bad; i++)
            bad = check_word(m, t, next_random());
    }
    for (int c = -1; c <= t->ncodes && !bad; c++)
        for (int i = 0; i < 64 && !bad; i++) {
            uint64_t raw = i == 0 ? 0 : i == 1 ? ~(uint64_t)0 : next_random();
            uint64_t want = nt_word_join(t, c, raw), got = nt_map_join(m, c, raw);
            if (want != got) {
                printf("FAIL %s: join(%d, 0x%llx) = 0x%llx, the IR's 0x%llx\n", t->name, c, (unsigned long long)raw,
                       (unsigned long long)got, (unsigned long long)want);
                bad = 1;
            }
        }
    nt_word_map_free(m);
    free(m);
    return bad;
}

int main(int argc, char **argv)
{
    int passed = 0, failed = 0;
    for (int a = 1; a < argc; a++) {
        size_t len = 0;
        char *src = read_all(argv[a], &len);
        nt_diag d;
        int n = 0;
        nt_type **types = NULL;
        if (src) {
            nt_diag_init(&d, argv[a], src, len);
            types = nt_compile_source(&d, src, len, &n);
        }
        if (!types) {
            printf("FAIL %s: does not compile\n", argv[a]);
            failed++;
            free(src);
            continue;
        }
        for (int i = 0; i < n; i++) {
            if (check_type(types[i]) == 0)
                passed++;
            else
                failed++;
            nt_type_free(types[i]);
        }
        free(types);
        free(src);
    }
    printf("word_map: %d passed, %d failed\n", passed, failed);
    return failed != 0;
}
