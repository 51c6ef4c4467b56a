/*
 * fuzz_nt.c — libFuzzer target for the .nt front end: lexer, parser, semantic checks and
 * diagnostics, on arbitrary bytes. Any crash, hang, leak or sanitizer report is a bug.
 */
#include "ntc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *devnull;
    char *src = malloc(size + 1);
    nt_diag d;
    int ntypes = 0;
    nt_type **types;
    if (!devnull)
        devnull = fopen("/dev/null", "w");
    if (!src)
        return 0;
    memcpy(src, data, size);
    src[size] = 0;
    nt_diag_init(&d, "fuzz.nt", src, size);
    d.out = devnull;
    types = nt_compile_source(&d, src, size, &ntypes);
    if (types) {
        for (int i = 0; i < ntypes; i++) {
            /* every word of a small type must split and join back */
            nt_type *t = types[i];
            if (t->word_bits <= 12)
                for (uint64_t w = 0; w < ((uint64_t)1 << t->word_bits); w++) {
                    uint64_t raw;
                    int code = nt_word_code(t, w, &raw);
                    if (code < 0 || code >= t->ncodes || nt_word_join(t, code, raw) != w)
                        abort();
                }
            nt_type_free(t);
        }
        free(types);
    }
    free(src);
    return 0;
}
