/*
 * emit_c.c — the C backend: writes DIR/T.h and DIR/T.c for a type T.
 *
 * T.c holds the runtime's ANS core (runtime/nt_ans.h, embedded at build time, never hand-copied),
 * the type's split/join functions (word <-> code and raw bits) written as plain shifts and masks,
 * its static model tables when it has one (built here with the same core the decoder uses), and
 * the six API functions. Output is deterministic: the same input gives the same bytes.
 */
#include "ntc.h"
#include "nt_ans.h"
#include "runtime_embed.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const char *nt_word_ctype(int bits)
{
    return bits <= 8 ? "uint8_t" : bits <= 16 ? "uint16_t" : bits <= 32 ? "uint32_t" : "uint64_t";
}

int nt_word_bytes(int bits) { return bits <= 8 ? 1 : bits <= 16 ? 2 : bits <= 32 ? 4 : 8; }

/* Width of a code number in the stream (for escapes and model sections). */
int nt_code_width(const nt_type *t)
{
    return t->ncodes > 1 ? nt_ans_highbit32((uint32_t)(t->ncodes - 1)) + 1 : 0;
}

/* Words per chunk of the stream: the raw part of a chunk is what a hardware decoder buffers. */
int nt_chunk_words(const nt_type *t)
{
    (void)t;
    return 1024;
}

void nt_codec_of_type(const nt_type *t, nt_ans_codec *c, uint8_t *raw_bits)
{
    for (int k = 0; k < t->ncodes; k++)
        raw_bits[k] = (uint8_t)t->codes[k].raw_bits;
    raw_bits[t->ncodes] = 0;
    memset(c, 0, sizeof *c);
    c->word_bytes = nt_word_bytes(t->word_bits);
    c->word_bits = t->word_bits;
    c->code_bits = nt_code_width(t);
    c->ncodes = t->ncodes;
    c->raw_bits = raw_bits;
    c->raw_bits_max = t->raw_bits_max;
    c->raw_bits_min = t->raw_bits_min;
    c->coder = t->coder == NT_CODER_TANS ? 0 : 1;
    c->log = t->table_log;
    c->lanes = t->lanes;
    c->block = t->block;
    c->chunk = (uint32_t)nt_chunk_words(t);
    c->adaptive = t->model == NT_MODEL_ADAPTIVE;
}

int nt_has_sym_word(const nt_type *t)
{
    return t->map == NT_MAP_SPLIT && t->word_bits > 8 && t->word_bits <= 16;
}

/* ------------------------------------------------------------------ the static model */

/* Normalised counts for a static model: every code seen gets at least one cell; codes never seen
 * share one escape cell (symbol ncodes), after which the code itself is sent in code_width bits. */
int nt_static_norm(const nt_type *t, uint32_t *norm)
{
    double *count = calloc((size_t)t->ncodes + 1, sizeof(double));
    double total = 0;
    int unseen = 0, r;
    if (!count)
        return -1;
    for (int k = 0; k < t->ncodes; k++) {
        count[k] = t->codes[k].count > 0 ? t->codes[k].count : 0;
        total += count[k];
        unseen |= count[k] <= 0;
    }
    if (unseen)
        count[t->ncodes] = total * 1e-12; /* rounds to the minimum of one cell */
    r = nt_ans_normalize(count, t->ncodes + 1, t->table_log, norm);
    free(count);
    return r;
}

/* A 16-bit fingerprint of everything the stream depends on: a stream decoded by another type
 * (or by the same type with another static model) is rejected instead of decoded to garbage. */
uint16_t nt_fingerprint(const nt_type *t, const uint32_t *norm)
{
    uint32_t h = 2166136261u;
#define MIX(v)                                                                                     \
    do {                                                                                           \
        uint64_t v_ = (uint64_t)(v);                                                               \
        for (int b_ = 0; b_ < 8; b_++) {                                                           \
            h ^= (uint8_t)(v_ >> (8 * b_));                                                        \
            h *= 16777619u;                                                                        \
        }                                                                                          \
    } while (0)
    MIX(t->word_bits);
    MIX(t->map);
    MIX(t->ncodes);
    if (t->map == NT_MAP_SPLIT)
        for (int k = 0; k < t->code_bits; k++)
            MIX(t->code_pos[k]);
    else
        for (int k = 0; k < t->ncodes; k++) {
            MIX(t->codes[k].first);
            MIX(t->codes[k].raw_bits);
        }
    MIX(t->coder);
    MIX(t->table_log);
    MIX(t->lanes);
    MIX(t->block);
    MIX(nt_chunk_words(t));
    MIX(t->model);
    if (norm)
        for (int k = 0; k <= t->ncodes; k++)
            MIX(norm[k]);
#undef MIX
    return (uint16_t)(h ^ (h >> 16));
}

/* ------------------------------------------------------------------ output helpers */

void nt_outf(nt_out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (vfprintf(o->f, fmt, ap) < 0)
        o->err = 1;
    va_end(ap);
}

/* Prints an array of unsigned numbers, 12 to a line. */
static void out_array_u(nt_out *o, const char *ctype, const char *name, const uint64_t *v, size_t n)
{
    nt_outf(o, "static const %s %s[%zu] = {", ctype, name, n);
    for (size_t i = 0; i < n; i++)
        nt_outf(o, "%s%llu%s", i % 12 == 0 ? "\n    " : " ", (unsigned long long)v[i], i + 1 < n ? "," : "");
    nt_outf(o, "\n};\n");
}

/* Runs of consecutive storage bits, most significant first: the bits of the code (want_code) or
 * of the raw part. Each run: storage bits [lo, lo + len), and its offset inside the code/raw value. */
typedef struct {
    int lo, len, at;
} run_t;

static int bit_runs(const nt_type *t, int want_code, run_t *runs)
{
    int is_code[NT_MAX_WORD_BITS] = {0}, order[NT_MAX_WORD_BITS], n = 0, nruns = 0;
    for (int k = 0; k < t->code_bits; k++)
        is_code[t->code_pos[k]] = 1;
    if (want_code) {
        for (int k = 0; k < t->code_bits; k++)
            order[n++] = t->code_pos[k];
    } else {
        for (int b = t->word_bits - 1; b >= 0; b--)
            if (!is_code[b])
                order[n++] = b;
    }
    /* order[] lists storage bits from the value's MSB down; merge descending neighbours. */
    for (int i = 0; i < n;) {
        int j = i + 1;
        while (j < n && order[j] == order[j - 1] - 1)
            j++;
        runs[nruns].lo = order[j - 1];
        runs[nruns].len = j - i;
        runs[nruns].at = n - j; /* bits below this run in the value */
        nruns++;
        i = j;
    }
    return nruns;
}

static unsigned long long mask_of(int len) { return len >= 64 ? ~0ull : (1ull << len) - 1; }

/* Expression that moves runs of bits of `src` (as uint64_t): gathers them from their storage
 * positions into a value (gather), or scatters a value's runs back to storage positions. */
static void out_runs(nt_out *o, const run_t *runs, int nruns, const char *src, int gather)
{
    if (nruns == 0) {
        nt_outf(o, "0");
        return;
    }
    for (int i = 0; i < nruns; i++) {
        const run_t *r = &runs[i];
        if (i)
            nt_outf(o, "\n        | ");
        nt_outf(o, "(((%s >> %d) & 0x%llxu) << %d)", src, gather ? r->lo : r->at, mask_of(r->len),
            gather ? r->at : r->lo);
    }
}

/* ------------------------------------------------------------------ the header file */

static void describe(nt_out *o, const nt_type *t, const char *prefix)
{
    nt_outf(o, "%s%d-bit storage word; ", prefix, t->word_bits);
    if (t->map == NT_MAP_SPLIT) {
        nt_outf(o, "code = %d bit%s of the word (", t->code_bits, t->code_bits == 1 ? "" : "s");
        for (int k = 0; k < t->code_bits; k++)
            nt_outf(o, "%s%d", k ? "," : "", t->code_pos[k]);
        nt_outf(o, "), the other %d bits raw.\n", t->word_bits - t->code_bits);
    } else {
        nt_outf(o, "%d codes, each a run of words, up to %d raw bits.\n", t->ncodes, t->raw_bits_max);
    }
    nt_outf(o, "%s%s model, %s (%s %d), %d lane%s", prefix, t->model == NT_MODEL_STATIC ? "static" : "adaptive",
        t->coder == NT_CODER_TANS ? "tANS" : "rANS", t->coder == NT_CODER_TANS ? "table_log" : "prob_bits",
        t->table_log, t->lanes, t->lanes == 1 ? "" : "s");
    if (t->model == NT_MODEL_ADAPTIVE)
        nt_outf(o, t->block ? ", one model per block of %llu words" : ", one model per call",
            (unsigned long long)t->block);
    nt_outf(o, ".\n");
}

static int write_header(const nt_type *t, const char *path, const char *src_file)
{
    nt_out o = {fopen(path, "w"), 0};
    const char *n = t->name;
    if (!o.f) {
        nt_fatal("cannot write '%s': %s", path, strerror(errno));
        return -1;
    }
    char guard[256];
    size_t i;
    for (i = 0; n[i] && i + 3 < sizeof guard; i++)
        guard[i] = (char)((n[i] >= 'a' && n[i] <= 'z') ? n[i] - 32 : n[i]);
    guard[i] = 0;
    nt_outf(&o, "/* generated by ntc %s from %s; do not edit */\n", NTC_VERSION, src_file);
    nt_outf(&o, "/*\n * %s: encoder and decoder.\n", n);
    describe(&o, t, " * ");
    nt_outf(&o, " *\n * Errors are returned as (size_t) values that %s_is_error() recognises.\n */\n", n);
    nt_outf(&o, "#ifndef %s_H\n#define %s_H\n\n#include <stddef.h>\n#include <stdint.h>\n\n", guard, guard);
    nt_outf(&o, "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n");
    nt_outf(&o, "typedef %s %s_word_t;\n", nt_word_ctype(t->word_bits), n);
    nt_outf(&o, "#define %s_WORD_BITS %d /* the storage word's width: wider words are rejected */\n\n", guard,
        t->word_bits);
    nt_outf(&o, "/* Largest encoded size of n words, for sizing dst. */\n");
    nt_outf(&o, "size_t %s_compress_bound(size_t n);\n", n);
    nt_outf(&o, "/* Encodes n words; returns the bytes written, or an error. */\n");
    nt_outf(&o, "size_t %s_encode(void *dst, size_t dst_capacity, const %s_word_t *src, size_t n);\n", n, n);
    nt_outf(&o, "/* Decodes a whole stream into dst (room for n words); returns the words decoded, or an\n"
            " * error (a stream holding more than n words is an error). */\n");
    nt_outf(&o, "size_t %s_decode(%s_word_t *dst, size_t n, const void *src, size_t src_size);\n", n, n);
    nt_outf(&o, "int %s_is_error(size_t result);\n", n);
    nt_outf(&o, "const char *%s_error_name(size_t result);\n\n", n);
    o.err |= nt_emit_value(t, o.f, 1) != 0; /* value functions and bridge outputs (emit_value.c) */
    nt_outf(&o, "#ifdef __cplusplus\n}\n#endif\n\n#endif\n");
    if (fclose(o.f) != 0 || o.err) {
        nt_fatal("cannot write '%s'", path);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ the source file */

static void write_split_join(nt_out *o, const nt_type *t)
{
    const char *n = t->name;
    if (t->map == NT_MAP_SPLIT) {
        run_t code_runs[NT_MAX_WORD_BITS], raw_runs[NT_MAX_WORD_BITS];
        int nc = bit_runs(t, 1, code_runs), nr = bit_runs(t, 0, raw_runs);
        nt_outf(o, "/* word -> code (the coded bits) and raw (every other bit, most significant first) */\n");
        nt_outf(o, "static int %s_split(uint64_t w, uint64_t *raw)\n{\n", n);
        nt_outf(o, "    *raw = ");
        out_runs(o, raw_runs, nr, "w", 1);
        nt_outf(o, ";\n    return (int)(");
        out_runs(o, code_runs, nc, "w", 1);
        nt_outf(o, ");\n}\n\n");
        /* The raw bits go back with the cheapest of: one shift (one run); one multiply and mask
         * (when the runs' shifted copies of raw cannot overlap, so no carries); a table. */
        int raw_bits = t->word_bits - t->code_bits, mul_ok = nr > 1, lut = 0;
        unsigned long long mul = 0, mask = 0;
        for (int i = 0; i < nr && mul_ok; i++) {
            int d = raw_runs[i].lo - raw_runs[i].at;
            if (d < 0 || d + raw_bits > 64)
                mul_ok = 0;
            for (int j = 0; j < i && mul_ok; j++) {
                int d2 = raw_runs[j].lo - raw_runs[j].at;
                if (d2 != d && (d2 - d < raw_bits && d - d2 < raw_bits))
                    mul_ok = 0;
            }
            if (mul_ok) {
                mul |= 1ull << d;
                mask |= mask_of(raw_runs[i].len) << raw_runs[i].lo;
            }
        }
        /* a table beats the multiply when it is small: one load instead of three operations */
        if (nr > 1 && raw_bits <= 12) {
            mul_ok = 0;
            uint64_t *tab = malloc(sizeof(uint64_t) << raw_bits);
            char name[300];
            lut = tab != NULL;
            if (lut) {
                for (uint64_t r = 0; r < (1ull << raw_bits); r++) {
                    uint64_t v = 0;
                    for (int i = 0; i < nr; i++)
                        v |= ((r >> raw_runs[i].at) & mask_of(raw_runs[i].len)) << raw_runs[i].lo;
                    tab[r] = v;
                }
                snprintf(name, sizeof name, "%s_raw_scatter", n);
                nt_outf(o, "/* raw bits -> their places in the word */\n");
                out_array_u(o, nt_word_ctype(t->word_bits), name, tab, (size_t)1 << raw_bits);
                nt_outf(o, "\n");
                free(tab);
            }
        }
        nt_outf(o, "static uint64_t %s_join(int code, uint64_t raw)\n{\n", n);
        nt_outf(o, "    uint64_t c = (uint64_t)code;\n    (void)c;\n    (void)raw;\n    return ");
        out_runs(o, code_runs, nc, "c", 0);
        nt_outf(o, "\n        | ");
        if (mul_ok)
            nt_outf(o, "((raw * 0x%llxu) & 0x%llxu)", mul, mask);
        else if (lut)
            nt_outf(o, "%s_raw_scatter[raw]", n);
        else
            out_runs(o, raw_runs, nr, "raw", 0);
        nt_outf(o, ";\n}\n\n");
    } else {
        /* Code k covers [first_k, first_k + 2^raw_bits_k): sorted firsts and a binary search. */
        int nc = t->ncodes;
        uint64_t *first = malloc(sizeof(uint64_t) * (size_t)nc), *sorted = malloc(sizeof(uint64_t) * (size_t)nc),
                 *order = malloc(sizeof(uint64_t) * (size_t)nc);
        if (!first || !sorted || !order) {
            o->err = 1;
            free(first);
            free(sorted);
            free(order);
            return;
        }
        for (int k = 0; k < nc; k++) {
            first[k] = t->codes[k].first;
            order[k] = (uint64_t)k;
        }
        /* insertion sort by first word (tables are small) */
        for (int i = 1; i < nc; i++)
            for (int j = i; j > 0 && first[order[j]] < first[order[j - 1]]; j--) {
                uint64_t tmp = order[j];
                order[j] = order[j - 1];
                order[j - 1] = tmp;
            }
        for (int i = 0; i < nc; i++)
            sorted[i] = first[order[i]];
        {
            char name[300];
            snprintf(name, sizeof name, "%s_first", n);
            out_array_u(o, "uint64_t", name, first, (size_t)nc);
            snprintf(name, sizeof name, "%s_sorted_first", n);
            out_array_u(o, "uint64_t", name, sorted, (size_t)nc);
            snprintf(name, sizeof name, "%s_sorted_code", n);
            out_array_u(o, "uint16_t", name, order, (size_t)nc);
        }
        nt_outf(o, "\n/* word -> code: the last run starting at or below w; raw = offset in the run */\n");
        nt_outf(o, "static int %s_split(uint64_t w, uint64_t *raw)\n{\n", n);
        nt_outf(o, "    int lo = 0, hi = %d;\n", nc - 1);
        nt_outf(o, "    while (lo < hi) {\n        int mid = (lo + hi + 1) / 2;\n");
        nt_outf(o, "        if (%s_sorted_first[mid] <= w)\n            lo = mid;\n        else\n            hi = mid - 1;\n    }\n", n);
        nt_outf(o, "    *raw = w - %s_sorted_first[lo];\n    return %s_sorted_code[lo];\n}\n\n", n, n);
        nt_outf(o, "static uint64_t %s_join(int code, uint64_t raw)\n{\n    return %s_first[code] + raw;\n}\n\n", n, n);
        free(first);
        free(sorted);
        free(order);
    }
}

static int write_source(const nt_type *t, const char *path, const char *src_file)
{
    nt_out o = {fopen(path, "w"), 0};
    const char *n = t->name;
    const int nsym = t->ncodes + 1, size = 1 << t->table_log;
    uint32_t *norm = NULL;
    uint16_t *sym_word = NULL;
    uint64_t *vals = NULL;
    uint8_t *raw = NULL;
    nt_ans_codec c;
    int rc = -1;
    if (!o.f) {
        nt_fatal("cannot write '%s': %s", path, strerror(errno));
        return -1;
    }
    vals = calloc((size_t)(nsym > size ? nsym : size) * 2 + 8, sizeof(uint64_t));
    if (!vals)
        goto done;
    if (t->model == NT_MODEL_STATIC) {
        norm = calloc((size_t)nsym, sizeof(uint32_t));
        if (!norm || nt_static_norm(t, norm) != 0) {
            nt_fatal("type '%s': cannot build a static model (more codes seen than its %d table cells)", n, size);
            goto done;
        }
    }

    nt_outf(&o, "/* generated by ntc %s from %s; do not edit */\n", NTC_VERSION, src_file);
    nt_outf(&o, "#include \"%s.h\"\n\n", n);
    nt_outf(&o, "/* ================================================================== the ntc ANS core */\n");
    nt_outf(&o, "/* runtime/nt_ans.h, as built into ntc %s */\n", NTC_VERSION);
    for (int i = 0; nt_embed_lines[i]; i++)
        nt_outf(&o, "%s\n", nt_embed_lines[i]);
    nt_outf(&o, "\n/* ================================================================== the type %s */\n", n);
    nt_outf(&o, "/*\n");
    describe(&o, t, " * ");
    nt_outf(&o, " */\n\n");
    write_split_join(&o, t);

    /* the codec description; raw bits per symbol (the escape symbol last, with 0: its code's own
     * count applies) */
    if (!(raw = malloc((size_t)nsym)))
        goto done;
    nt_codec_of_type(t, &c, raw);
    for (int k = 0; k < nsym; k++)
        vals[k] = raw[k];
    {
        char name[300];
        snprintf(name, sizeof name, "%s_raw_bits", n);
        out_array_u(&o, "uint8_t", name, vals, (size_t)nsym);
    }

    /* 16-bit split types: each symbol's part of the word, for the decoder's two-pass fast path */
    if (nt_has_sym_word(t)) {
        char name[300];
        sym_word = calloc((size_t)nsym, sizeof(uint16_t));
        if (!sym_word)
            goto done;
        for (int k = 0; k < t->ncodes; k++)
            vals[k] = sym_word[k] = (uint16_t)nt_word_join(t, k, 0);
        vals[t->ncodes] = sym_word[t->ncodes] = 0;
        snprintf(name, sizeof name, "%s_sym_word", n);
        nt_outf(&o, "\n/* each symbol's part of the storage word: join(code, 0) */\n");
        out_array_u(&o, "uint16_t", name, vals, (size_t)nsym);
    }

    if (norm) {
        char name[300];
        uint32_t *scratch = calloc(NT_TANS_SCRATCH_WORDS(t->table_log, nsym), sizeof(uint32_t));
        if (!scratch)
            goto done;
        nt_outf(&o, "\n/* The static model: normalised counts (sum %d; the last is the escape for codes never\n"
                " * seen while fitting), and the coder tables built from them. */\n", size);
        for (int k = 0; k < nsym; k++)
            vals[k] = norm[k];
        snprintf(name, sizeof name, "%s_norm", n);
        out_array_u(&o, "uint32_t", name, vals, (size_t)nsym);
        if (t->coder == NT_CODER_TANS) {
            nt_tans_dcell *dt = malloc(sizeof(nt_tans_dcell) * (size_t)size);
            uint32_t *state = malloc(sizeof(uint32_t) * (size_t)size);
            nt_tans_csym *cs = malloc(sizeof(nt_tans_csym) * (size_t)nsym);
            if (!dt || !state || !cs || nt_tans_build_dtable(norm, sym_word, nsym, t->table_log, dt, scratch) != 0 ||
                nt_tans_build_ctable(norm, nsym, t->table_log, state, cs, scratch) != 0) {
                free(dt);
                free(state);
                free(cs);
                free(scratch);
                goto done;
            }
            nt_outf(&o, "\n/* decode cells {base, nb, 64 - nb (0: nb = 0 or the escape), sym, word}: state u decodes symbol sym (word: its part\n"
                    " * of the storage word), then reads nb bits b and moves to state base + b */\n");
            nt_outf(&o, "static const nt_tans_dcell %s_dt[%d] = {", n, size);
            for (int u = 0; u < size; u++)
                nt_outf(&o, "%s{%u, %u, %u, %u, %u}%s", u % 4 == 0 ? "\n    " : " ", dt[u].base, dt[u].nb, dt[u].shr,
                    dt[u].sym, dt[u].word, u + 1 < size ? "," : "");
            nt_outf(&o, "\n};\n");
            for (int u = 0; u < size; u++)
                vals[u] = state[u];
            snprintf(name, sizeof name, "%s_state", n);
            out_array_u(&o, "uint32_t", name, vals, (size_t)size);
            nt_outf(&o, "static const nt_tans_csym %s_csym[%d] = {", n, nsym);
            for (int k = 0; k < nsym; k++)
                nt_outf(&o, "%s{%ld, %luu}%s", k % 6 == 0 ? "\n    " : " ", (long)cs[k].find_state,
                    (unsigned long)cs[k].delta_nb, k + 1 < nsym ? "," : "");
            nt_outf(&o, "\n};\n");
            free(dt);
            free(state);
            free(cs);
        } else {
            nt_rans_dcell *dt = malloc(sizeof(nt_rans_dcell) * (size_t)size);
            if (!dt) {
                free(scratch);
                goto done;
            }
            nt_rans_build_dtable(norm, raw, nsym, t->table_log, dt);
            nt_outf(&o, "\n/* decode cells {sym, raw, 0, freq, offset} by slot */\n");
            nt_outf(&o, "static const nt_rans_dcell %s_dt[%d] = {", n, size);
            for (int u = 0; u < size; u++)
                nt_outf(&o, "%s{%u, %u, 0, %u, %u}%s", u % 4 == 0 ? "\n    " : " ", dt[u].sym, dt[u].raw, dt[u].freq,
                    dt[u].offset, u + 1 < size ? "," : "");
            nt_outf(&o, "\n};\n");
            free(dt);
        }
        free(scratch);
    }

    nt_outf(&o, "\nstatic const nt_ans_codec %s_codec = {\n", n);
    nt_outf(&o, "    %d, /* word bytes */\n", c.word_bytes);
    nt_outf(&o, "    %d, /* word bits */\n", c.word_bits);
    nt_outf(&o, "    %d, /* code width */\n", c.code_bits);
    nt_outf(&o, "    %d, /* codes */\n", c.ncodes);
    nt_outf(&o, "    %s_raw_bits,\n", n);
    nt_outf(&o, "    %d, /* raw bits, most */\n", c.raw_bits_max);
    nt_outf(&o, "    %d, /* raw bits, fewest */\n", c.raw_bits_min);
    nt_outf(&o, "    %d, /* coder: %s */\n", c.coder, c.coder == 0 ? "tANS" : "rANS");
    nt_outf(&o, "    %d, /* %s */\n", c.log, c.coder == 0 ? "table log" : "probability bits");
    nt_outf(&o, "    %d, /* lanes */\n", c.lanes);
    nt_outf(&o, "    %lluu, /* words per block (0: one block) */\n", (unsigned long long)c.block);
    nt_outf(&o, "    %u, /* words per chunk */\n", (unsigned)c.chunk);
    nt_outf(&o, "    %d, /* adaptive */\n", c.adaptive);
    nt_outf(&o, "    0x%04x, /* fingerprint */\n", nt_fingerprint(t, norm));
    if (norm) {
        nt_outf(&o, "    %s_norm,\n", n);
        if (t->coder == NT_CODER_TANS)
            nt_outf(&o, "    %s_dt,\n    %s_state,\n    %s_csym,\n    0,\n", n, n, n);
        else
            nt_outf(&o, "    0,\n    0,\n    0,\n    %s_dt,\n", n);
    } else {
        nt_outf(&o, "    0,\n    0,\n    0,\n    0,\n    0,\n");
    }
    if (sym_word)
        nt_outf(&o, "    %s_sym_word\n", n);
    else
        nt_outf(&o, "    0\n");
    nt_outf(&o, "};\n\n");

    nt_outf(&o, "/* ================================================================== the API */\n\n");

    nt_outf(&o, "size_t %s_compress_bound(size_t n)\n{\n    return nt_ans_compress_bound(&%s_codec, n);\n}\n\n", n, n);
    nt_outf(&o, "#if NT_DISPATCH_BMI2\n"
            "NT_TARGET_BMI2 static size_t %s_encode_bmi2(void *dst, size_t dst_capacity, const %s_word_t *src, size_t n)\n{\n"
            "    return nt_ans_encode(&%s_codec, dst, dst_capacity, src, n, %s_split);\n}\n\n", n, n, n, n);
    nt_outf(&o, "NT_TARGET_BMI2 static size_t %s_decode_bmi2(%s_word_t *dst, size_t n, const void *src, size_t src_size)\n{\n"
            "    return nt_ans_decode(&%s_codec, dst, n, src, src_size, %s_join);\n}\n#endif\n\n", n, n, n, n);
    nt_outf(&o, "size_t %s_encode(void *dst, size_t dst_capacity, const %s_word_t *src, size_t n)\n{\n", n, n);
    nt_outf(&o, "#if NT_DISPATCH_BMI2\n    if (nt_ans_cpu_bmi2())\n"
            "        return %s_encode_bmi2(dst, dst_capacity, src, n);\n#endif\n", n);
    nt_outf(&o, "    return nt_ans_encode(&%s_codec, dst, dst_capacity, src, n, %s_split);\n}\n\n", n, n);
    nt_outf(&o, "size_t %s_decode(%s_word_t *dst, size_t n, const void *src, size_t src_size)\n{\n", n, n);
    nt_outf(&o, "#if NT_DISPATCH_BMI2\n    if (nt_ans_cpu_bmi2())\n"
            "        return %s_decode_bmi2(dst, n, src, src_size);\n#endif\n", n);
    nt_outf(&o, "    return nt_ans_decode(&%s_codec, dst, n, src, src_size, %s_join);\n}\n\n", n, n);
    nt_outf(&o, "int %s_is_error(size_t result)\n{\n    return nt_ans_is_error(result);\n}\n\n", n);
    nt_outf(&o, "const char *%s_error_name(size_t result)\n{\n    return nt_ans_error_name(result);\n}\n", n);
    o.err |= nt_emit_value(t, o.f, 0) != 0; /* value functions and bridge outputs (emit_value.c) */
    rc = 0;
done:
    free(norm);
    free(sym_word);
    free(vals);
    free(raw);
    if (fclose(o.f) != 0 || o.err) {
        nt_fatal("cannot write '%s'", path);
        rc = -1;
    }
    return rc;
}

int nt_emit_c(const nt_type *t, const char *dir, const char *src_file)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s.h", dir, t->name) >= (int)sizeof path)
        return -1;
    if (write_header(t, path, src_file) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/%s.c", dir, t->name);
    return write_source(t, path, src_file);
}
