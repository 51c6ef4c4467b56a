/*
 * cmd_pack.c — `ntc pack`, `ntc unpack` and `ntc stats`: whole checkpoints in the .ntz container
 * (runtime/nt_container.c, spec/container.md).
 *
 * The coding pairs offered here are the example types themselves: at build time the bootstrap
 * compiler (build/ntc0) compiles examples/{bf16_adaptive,bf16_exp_mant2,bf16_blocks,fp16_lossless,
 * fp32_lossless}.nt to C, and those generated coders are linked in (build/pairs/). Their .nt
 * sources are embedded too and compiled by the front end at start-up to get the IR, which gives
 * each word's code for the order-0 bounds. One source of truth: a coded tensor in a container is
 * a bare stream of the example type, decodable by the C that `ntc examples/T.nt` writes.
 *
 * `--type T.nt` adds a user type: compiled at run time, its coder built from the IR with the
 * runtime's ANS core (slower: split and join go through the IR), and its source stored in the
 * container so that unpack can rebuild it.
 *
 * This file is compiled twice: normally, and with -DNTC_STAGE0 for the bootstrap compiler that
 * generates the pairs, where the subcommands are a stub.
 */
#include "ntc.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef NTC_STAGE0

int nt_cmd_container(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "ntc: error: '%s' is not available in the bootstrap compiler (build/ntc0); use build/ntc\n",
            argv[0]);
    return 2;
}

#else

#include "nt_ans.h"
#include "nt_container.h"
#include "pairs/bf16_adaptive.h"
#include "pairs/bf16_blocks.h"
#include "pairs/bf16_exp_mant2.h"
#include "pairs/fp16_lossless.h"
#include "pairs/fp32_lossless.h"
#include "pairs/pairs_src.h"
#include "nt_pairs.h"

/* ------------------------------------------------------------------ the built-in pairs */

#define PAIR_FNS(T)                                                                                \
    static size_t T##_bound_fn(size_t n) { return T##_compress_bound(n); }                          \
    static size_t T##_enc_fn(void *d, size_t c, const void *s, size_t n)                            \
    {                                                                                              \
        return T##_encode(d, c, (const T##_word_t *)s, n);                                         \
    }                                                                                              \
    static size_t T##_dec_fn(void *d, size_t n, const void *s, size_t z)                            \
    {                                                                                              \
        return T##_decode((T##_word_t *)d, n, s, z);                                               \
    }                                                                                              \
    /* the code of the words with top 16 bits key (a split type: the same raw bits for all) */      \
    static int T##_code_fn(const void *ctx, uint32_t key, int *raw_bits)                            \
    {                                                                                              \
        uint64_t raw;                                                                              \
        (void)ctx;                                                                                 \
        *raw_bits = T##_RAW_BITS_MAX;                                                              \
        return T##_to_pair((T##_word_t)((uint64_t)key << (8 * sizeof(T##_word_t) - 16)), &raw);     \
    }
PAIR_FNS(bf16_adaptive)
PAIR_FNS(bf16_exp_mant2)
PAIR_FNS(fp16_lossless)
PAIR_FNS(fp32_lossless)
PAIR_FNS(bf16_blocks)

typedef struct {
    int id;
    const char *name, *file, *src;
    unsigned dtypes;
    size_t (*bound)(size_t);
    size_t (*enc)(void *, size_t, const void *, size_t);
    size_t (*dec)(void *, size_t, const void *, size_t);
    int (*is_error)(size_t);
    const char *(*error_name)(size_t);
    int (*code_of)(const void *, uint32_t, int *);
    int word_bytes, ncodes;
} builtin_t;

#define BUILTIN(ID, T, DT)                                                                          \
    {ID, #T, "examples/" #T ".nt", pair_src_##T, 1u << (DT), T##_bound_fn, T##_enc_fn, T##_dec_fn,     \
     T##_is_error, T##_error_name, T##_code_fn, (int)sizeof(T##_word_t), T##_CODES}
/* The ids are part of the container format (spec/container.md): never reuse one. */
static const builtin_t builtins[] = {
    BUILTIN(1, bf16_adaptive, NT_DT_BF16),
    BUILTIN(2, bf16_exp_mant2, NT_DT_BF16),
    BUILTIN(3, fp16_lossless, NT_DT_F16),
    BUILTIN(4, fp32_lossless, NT_DT_F32),
    BUILTIN(6, bf16_blocks, NT_DT_BF16), /* 5 is codec fp32_planes (runtime/nt_container.h) */
};
#define NBUILTINS ((int)(sizeof builtins / sizeof builtins[0]))
#define USER_TYPE_ID 255

/* The code of a word with top-16-bit key, from the IR (valid when the code lies in those bits). */
static int ir_code_of(const void *ctx, uint32_t key, int *raw_bits)
{
    const nt_type *t = ctx;
    uint64_t w = t->word_bits > 16 ? (uint64_t)key << (t->word_bits - 16) : key;
    int c = nt_word_code(t, w, NULL);
    *raw_bits = c >= 0 ? t->codes[c].raw_bits : t->word_bits;
    return c;
}

/* Whether a type's code is a function of the top 16 bits of its word (so bounds can be had from
 * a 65536-bin histogram). */
static int code_in_top16(const nt_type *t)
{
    if (t->map != NT_MAP_SPLIT)
        return t->word_bits <= 16;
    for (int k = 0; k < t->code_bits; k++)
        if (t->code_pos[k] < t->word_bits - 16)
            return 0;
    return 1;
}

/* Whether a type's code of a 16-bit key is the OR of its two bytes' codes, with the same raw bits
 * for every key (nt_pair.code_split): a split type, its code in the top 16 bits of a word of at
 * least 16 bits. */
static int code_split(const nt_type *t)
{
    return t->map == NT_MAP_SPLIT && t->word_bits >= 16 && code_in_top16(t) && t->raw_bits_min == t->raw_bits_max;
}

static nt_type *compile_one(const char *file, const char *src, size_t len)
{
    nt_diag d;
    int n = 0;
    nt_type **types;
    nt_type *t = NULL;
    nt_diag_init(&d, file, src, len);
    types = nt_compile_source(&d, src, len, &n);
    if (!types || d.errors)
        return NULL;
    if (n != 1) {
        nt_fatal("%s: a pair type file must define exactly one type (it defines %d)", file, n);
    } else {
        t = types[0];
        types[0] = NULL;
    }
    for (int i = 0; i < n; i++)
        if (types[i])
            nt_type_free(types[i]);
    free(types);
    return t;
}

/* ------------------------------------------------------------------ a user type (--type) */

static nt_type *user_t;
static nt_word_map user_map; /* its split and join, from tables */
static nt_ans_codec user_codec;
static uint8_t *user_raw_bits;
static uint16_t *user_sym_word; /* 16-bit split types: join(code, 0), into the decode cells */
static uint32_t *user_norm;
static void *user_tables[4];

/* (inlined into the coder's loops, as generated code's are) */
NT_INLINE int user_split(uint64_t w, uint64_t *raw)
{
    int c = nt_map_code(&user_map, w, raw);
    return c < 0 ? 0 : c;
}
NT_INLINE uint64_t user_join(int code, uint64_t raw) { return nt_map_join(&user_map, code, raw); }
static size_t user_bound_fn(size_t n) { return nt_ans_compress_bound(&user_codec, n); }
/* The generic coder reads a user type's codec at run time: the lanes, the word's bytes and the raw
 * bits' width are then tested in its loops. The shapes of the example types (bf16 and fp16 words
 * with their exponent, or exponent and two mantissa bits, as code; fp32 words with their
 * exponent) get instances of their own, the shape's fields constants as in generated code, and
 * a split and a join with as many table lookups as the word's and the raw bits' bytes
 * (stories260K-bf16 through bf16_adaptive.nt: unpack --check 0.57 -> 0.33 ms, pack 5.9 -> 4.4). */
NT_INLINE int user_split_2(uint64_t w, uint64_t *raw) { return nt_map_code_bytes(&user_map, w, raw, 2); }
NT_INLINE int user_split_4(uint64_t w, uint64_t *raw) { return nt_map_code_bytes(&user_map, w, raw, 4); }
NT_INLINE uint64_t user_join_1(int code, uint64_t raw) { return nt_map_join_bytes(&user_map, code, raw, 1); }
NT_INLINE uint64_t user_join_2(int code, uint64_t raw) { return nt_map_join_bytes(&user_map, code, raw, 2); }
NT_INLINE uint64_t user_join_3(int code, uint64_t raw) { return nt_map_join_bytes(&user_map, code, raw, 3); }

/* Whether the user type is a split type with this shape (tANS), and its codec with the shape's
 * fields as constants (inlined, they fold into the coder's loops). */
static int user_shape_is(int word_bytes, int lanes, int raw_bits)
{
    const nt_ans_codec *c = &user_codec;
    return user_map.split && c->coder == 0 && c->word_bytes == word_bytes && c->lanes == lanes &&
           c->raw_bits_min == raw_bits && c->raw_bits_max == raw_bits;
}
NT_INLINE nt_ans_codec user_shape(int word_bytes, int lanes, int raw_bits)
{
    nt_ans_codec c = user_codec;
    c.word_bytes = word_bytes;
    c.lanes = lanes;
    c.raw_bits_min = c.raw_bits_max = raw_bits;
    c.coder = 0;
    return c;
}
/* USER_SHAPES(CASE): CASE(word bytes, lanes, raw bits, split, join) for each shape */
#define USER_SHAPES(CASE)                                                                           \
    CASE(2, 4, 8, user_split_2, user_join_1)  /* bf16, exponent */                                  \
    CASE(2, 4, 6, user_split_2, user_join_1)  /* bf16, exponent and two mantissa bits */           \
    CASE(2, 4, 9, user_split_2, user_join_2)  /* fp16, exponent and two mantissa bits */           \
    CASE(4, 4, 24, user_split_4, user_join_3) /* fp32, exponent */

/* for a shape: when the user type has it, return CALL with c its codec */
#define USER_SHAPE_RUN(WB, L, R, CALL)                                                              \
    if (user_shape_is(WB, L, R)) {                                                                  \
        const nt_ans_codec c = user_shape(WB, L, R);                                                \
        return CALL;                                                                                \
    }
static size_t user_enc_fn(void *d, size_t cap, const void *s, size_t n)
{
#define USER_ENC(WB, L, R, SPLIT, JOIN) USER_SHAPE_RUN(WB, L, R, nt_ans_encode(&c, d, cap, s, n, SPLIT))
    USER_SHAPES(USER_ENC)
#undef USER_ENC
    return nt_ans_encode(&user_codec, d, cap, s, n, user_split);
}

static size_t user_dec_fn(void *d, size_t n, const void *s, size_t z)
{
#define USER_DEC(WB, L, R, SPLIT, JOIN) USER_SHAPE_RUN(WB, L, R, nt_ans_decode(&c, d, n, s, z, JOIN))
    USER_SHAPES(USER_DEC)
#undef USER_DEC
    return nt_ans_decode(&user_codec, d, n, s, z, user_join);
}
#undef USER_SHAPE_RUN
#undef USER_SHAPES
static int user_is_error(size_t r) { return nt_ans_is_error(r); }
static const char *user_error_name(size_t r) { return nt_ans_error_name(r); }

static void user_free(void)
{
    nt_word_map_free(&user_map);
    if (user_t)
        nt_type_free(user_t);
    user_t = NULL;
    free(user_raw_bits);
    free(user_sym_word);
    free(user_norm);
    user_raw_bits = NULL;
    user_sym_word = NULL;
    user_norm = NULL;
    for (int i = 0; i < 4; i++) {
        free(user_tables[i]);
        user_tables[i] = NULL;
    }
}

/* Builds the codec of a user type from its IR, as emit_c.c writes it into generated code. */
static int user_setup(const char *file, const char *src, nt_pair *p)
{
    nt_type *t = compile_one(file, src, strlen(src));
    nt_ans_codec *c = &user_codec;
    int nsym, size;
    if (!t)
        return -1;
    user_t = t;
    if (t->ncodes > 4096) {
        nt_fatal("%s: type '%s' has %d codes; pack takes at most 4096", file, t->name, t->ncodes);
        return -1;
    }
    if (t->model == NT_MODEL_STATIC && !t->have_counts) {
        nt_fatal("%s: type '%s' has a static model but no counts: give 'counts { ... }' or use 'model adaptive'",
                 file, t->name);
        return -1;
    }
    nsym = t->ncodes + 1;
    size = 1 << t->table_log;
    if (!(user_raw_bits = malloc((size_t)nsym)))
        return -1;
    nt_codec_of_type(t, c, user_raw_bits);
    if (nt_word_map_init(&user_map, t) != 0)
        return -1;
    /* as emit_c.c gives a 16-bit split type's generated code: each symbol's part of the word in
     * its decode cells, so that a word is one or of that and its raw bits */
    if (nt_has_sym_word(t)) {
        if (!(user_sym_word = calloc((size_t)nsym, sizeof *user_sym_word)))
            return -1;
        for (int k = 0; k < t->ncodes; k++)
            user_sym_word[k] = (uint16_t)user_map.code_word[k];
        c->sym_word = user_sym_word;
    }
    if (!c->adaptive) {
        uint32_t *scratch;
        if (!(user_norm = calloc((size_t)nsym, sizeof *user_norm)) || nt_static_norm(t, user_norm) != 0) {
            nt_fatal("%s: type '%s': cannot build its static model", file, t->name);
            return -1;
        }
        c->norm = user_norm;
        scratch = calloc(NT_TANS_SCRATCH_WORDS(t->table_log, nsym), sizeof(uint32_t));
        user_tables[3] = scratch;
        if (!scratch)
            return -1;
        if (c->coder == 0) {
            nt_tans_dcell *dt = malloc(sizeof *dt * (size_t)size);
            uint32_t *state = malloc(sizeof *state * (size_t)size);
            nt_tans_csym *cs = malloc(sizeof *cs * (size_t)nsym);
            user_tables[0] = dt;
            user_tables[1] = state;
            user_tables[2] = cs;
            if (!dt || !state || !cs || nt_tans_build_dtable(user_norm, user_sym_word, nsym, t->table_log, dt, scratch) != 0 ||
                nt_tans_build_ctable(user_norm, nsym, t->table_log, state, cs, scratch) != 0)
                return -1;
            c->tans_dt = dt;
            c->tans_state = state;
            c->tans_csym = cs;
        } else {
            nt_rans_dcell *dt = malloc(sizeof *dt * (size_t)size);
            user_tables[0] = dt;
            if (!dt)
                return -1;
            nt_rans_build_dtable(user_norm, user_raw_bits, nsym, t->table_log, dt);
            c->rans_dt = dt;
        }
    }
    c->fingerprint = nt_fingerprint(t, user_norm);
    memset(p, 0, sizeof *p);
    p->id = USER_TYPE_ID;
    p->name = t->name;
    p->word_bytes = c->word_bytes;
    switch (c->word_bytes) {
    case 1:
        p->dtypes = 1u << NT_DT_I8 | 1u << NT_DT_U8 | 1u << NT_DT_BOOL | 1u << NT_DT_F8_E4M3 | 1u << NT_DT_F8_E5M2;
        break;
    case 2:
        p->dtypes = 1u << NT_DT_BF16 | 1u << NT_DT_F16 | 1u << NT_DT_I16 | 1u << NT_DT_U16;
        break;
    case 4:
        p->dtypes = 1u << NT_DT_F32 | 1u << NT_DT_I32 | 1u << NT_DT_U32;
        break;
    default:
        p->dtypes = 1u << NT_DT_F64 | 1u << NT_DT_I64 | 1u << NT_DT_U64;
        break;
    }
    p->compress_bound = user_bound_fn;
    p->encode = user_enc_fn;
    p->decode = user_dec_fn;
    p->is_error = user_is_error;
    p->error_name = user_error_name;
    p->code_of = code_in_top16(t) && t->word_bits >= 16 ? ir_code_of : NULL;
    p->code_split = code_split(t); /* (implies code_of) */
    p->ctx = t;
    p->ncodes = t->ncodes;
    return 0;
}

/* ------------------------------------------------------------------ the pair set */

static nt_type *builtin_types[NBUILTINS];

/* The fast pairs (runtime/nt_pairs.h), after the built-in ones. */
#define NFAST 2
static const nt_pair fast_pairs[NFAST] = {
    {.id = NT_CONTAINER_CODEC_PAIRS, .name = "bf16_pairs", .word_bytes = 2, .dtypes = 1u << NT_DT_BF16,
     .compress_bound = nt_pairs_compress_bound, .encode = nt_pairs_encode, .decode = nt_pairs_decode,
     .is_error = nt_pairs_is_error, .error_name = nt_pairs_error_name, .fast = 1, .bound_bits = nt_pairs_bound_bits,
     .decode_f32 = nt_pairs_decode_f32},
    {.id = NT_CONTAINER_CODEC_F16_PAIRS, .name = "f16_pairs", .word_bytes = 2, .dtypes = 1u << NT_DT_F16,
     .compress_bound = nt_pairs_f16_compress_bound, .encode = nt_pairs_f16_encode, .decode = nt_pairs_f16_decode,
     .is_error = nt_pairs_is_error, .error_name = nt_pairs_error_name, .fast = 1,
     .bound_bits = nt_pairs_f16_bound_bits},
};

/* the built-in pairs, then the fast pairs, then a user type when there is one */
static nt_pair pairs[NBUILTINS + NFAST + 1];
#define NPAIRS (NBUILTINS + NFAST)
#define user_pair (pairs[NPAIRS])

/* The pair of the type a container carries (it was packed with --type), from its source; user
 * points to the command's copy of the source, which lives until the command ends. */
static int stored_type_pair(void *user, const char *source, const nt_pair **pair)
{
    char **src = user;
    user_free(); /* (a type given with --type, or built for an earlier call) */
    free(*src);
    if (!(*src = strdup(source)) || user_setup("(type stored in the container)", *src, &user_pair) != 0)
        return -1;
    *pair = &user_pair;
    return 0;
}

/* The built-in pairs. Decoding needs only their generated code; with_ir also compiles each
 * pair's type (its IR: the codes of words, block sizes), which choosing pairs and bounds need. */
static int pairs_setup(int with_ir)
{
    for (int i = 0; i < NBUILTINS; i++) {
        const builtin_t *b = &builtins[i];
        nt_type *t = with_ir ? compile_one(b->file, b->src, strlen(b->src)) : NULL;
        nt_pair *p = &pairs[i];
        if (with_ir && (!t || !code_in_top16(t) || nt_word_bytes(t->word_bits) != b->word_bytes ||
                        t->ncodes != b->ncodes || t->raw_bits_min != t->raw_bits_max)) {
            nt_fatal("internal error: built-in pair %s", b->name);
            return -1;
        }
        builtin_types[i] = t;
        p->id = b->id;
        p->name = b->name;
        p->word_bytes = b->word_bytes;
        p->dtypes = b->dtypes;
        p->compress_bound = b->bound;
        p->encode = b->enc;
        p->decode = b->dec;
        p->is_error = b->is_error;
        p->error_name = b->error_name;
        p->code_of = t ? b->code_of : NULL; /* the generated split: as the IR's, much faster */
        p->code_split = t && code_split(t);
        p->ctx = t;
        p->ncodes = b->ncodes;
        p->block = t && t->model == NT_MODEL_ADAPTIVE ? t->block : 0;
    }
    /* two words' exponents a step, no type of its own: no code per key; a bound of their own */
    for (int i = 0; i < NFAST; i++)
        pairs[NBUILTINS + i] = fast_pairs[i];
    return 0;
}

static void pairs_teardown(void)
{
    for (int i = 0; i < NBUILTINS; i++) {
        if (builtin_types[i])
            nt_type_free(builtin_types[i]);
        builtin_types[i] = NULL;
    }
    user_free();
}

/* A type's source, as the container stores it: at most 1 MB, no NUL byte. */
static char *read_text(const char *path)
{
    size_t n;
    char *buf = nt_read_source(path, (size_t)1 << 20, &n);
    if (buf && strlen(buf) != n) {
        nt_fatal("'%s' holds a NUL byte", path);
        free(buf);
        return NULL;
    }
    return buf;
}

/* ------------------------------------------------------------------ stats */

typedef struct {
    FILE *html;
    const nt_pair *pairs;
    int npairs;
    int rows;
    uint64_t bytes, packed;
    double bound[NT_CONTAINER_MAX_PAIRS];
    /* for the ratio chart */
    char **names;
    double *ratios;
    int cap;
} stats_ctx;

static void html_escape(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

static const char *codec_name(const stats_ctx *c, int id)
{
    if (id == NT_CONTAINER_CODEC_STORED)
        return "stored";
    if (id == NT_CONTAINER_CODEC_ZSTD)
        return "zstd";
    if (id == NT_CONTAINER_CODEC_FP32_PLANES)
        return "fp32_planes";
    for (int k = 0; k < c->npairs; k++)
        if (c->pairs[k].id == id)
            return c->pairs[k].name;
    return "?";
}

/* An exponent histogram as an inline SVG bar chart (log scale, the used exponent range). */
static void svg_hist(FILE *f, const uint64_t *h, int bins)
{
    int lo = 0, hi = bins - 1;
    double mx = 0;
    const int W = 360, H = 80;
    while (lo < bins && !h[lo])
        lo++;
    while (hi > lo && !h[hi])
        hi--;
    if (lo >= bins) {
        fputs("<svg width=\"360\" height=\"80\"></svg>", f);
        return;
    }
    for (int i = lo; i <= hi; i++)
        if (log10(1.0 + (double)h[i]) > mx)
            mx = log10(1.0 + (double)h[i]);
    fprintf(f, "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">", W, H + 14, W, H + 14);
    {
        const int n = hi - lo + 1;
        const double bw = (double)W / n;
        for (int i = lo; i <= hi; i++) {
            double v = mx > 0 ? log10(1.0 + (double)h[i]) / mx : 0, bh = v * H;
            fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"#3b6ea8\"><title>exponent %d: %llu</title></rect>",
                    (i - lo) * bw, H - bh, bw > 1.5 ? bw - 0.5 : bw, bh, i, (unsigned long long)h[i]);
        }
        fprintf(f, "<text x=\"0\" y=\"%d\" font-size=\"10\">%d</text><text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"end\">%d</text>",
                H + 12, lo, W, H + 12, hi);
    }
    fputs("</svg>", f);
}

static int stats_row(void *user, const nt_tensor_report *r)
{
    stats_ctx *c = user;
    double ratio = r->packed_bytes ? (double)r->bytes / (double)r->packed_bytes : 1.0;
    if (c->rows == 0) {
        printf("%-40s %-6s %12s %12s", "tensor", "dtype", "count", "bytes");
        for (int k = 0; k < c->npairs; k++)
            printf(" %16.16s", c->pairs[k].name);
        printf(" %12s %7s  %s\n", "packed", "ratio", "coded with");
    }
    printf("%-40s %-6s %12llu %12llu", r->name, r->dtype, (unsigned long long)r->count,
           (unsigned long long)r->bytes);
    for (int k = 0; k < c->npairs; k++) {
        if (r->bound_bytes[k] > 0) {
            printf(" %16.4f", (double)r->bytes / r->bound_bytes[k]);
            c->bound[k] += r->bound_bytes[k];
        } else {
            printf(" %16s", "-");
            c->bound[k] += (double)r->bytes; /* stored, for the totals */
        }
    }
    printf(" %12llu %7.4f  %s\n", (unsigned long long)r->packed_bytes, ratio, codec_name(c, r->codec));
    c->bytes += r->bytes;
    c->packed += r->packed_bytes;
    c->rows++;
    if (c->html) {
        FILE *f = c->html;
        fputs("<tr><td class=\"n\">", f);
        html_escape(f, r->name);
        fprintf(f, "</td><td>");
        html_escape(f, r->dtype);
        fprintf(f, "</td><td class=\"r\">%llu</td>", (unsigned long long)r->count);
        for (int k = 0; k < c->npairs; k++) {
            if (r->bound_bytes[k] > 0)
                fprintf(f, "<td class=\"r\">%.4f</td>", (double)r->bytes / r->bound_bytes[k]);
            else
                fputs("<td class=\"r\">-</td>", f);
        }
        fprintf(f, "<td class=\"r\"><b>%.4f</b></td><td>%s</td><td>", ratio, codec_name(c, r->codec));
        if (r->exp_hist)
            svg_hist(f, r->exp_hist, strcmp(r->dtype, "F16") ? 256 : 32);
        fputs("</td></tr>\n", f);
        if (c->rows > c->cap) {
            int cap = c->cap ? c->cap * 2 : 64;
            char **nn = realloc(c->names, (size_t)cap * sizeof *nn);
            double *nr = nn ? realloc(c->ratios, (size_t)cap * sizeof *nr) : NULL;
            if (nn)
                c->names = nn;
            if (!nn || !nr)
                return -1;
            c->ratios = nr;
            c->cap = cap;
        }
        c->names[c->rows - 1] = strdup(r->name);
        c->ratios[c->rows - 1] = ratio;
    }
    return 0;
}

static void html_ratio_chart(FILE *f, const stats_ctx *c)
{
    double mx = 1;
    const int rowh = 14, W = 720, left = 300;
    for (int i = 0; i < c->rows; i++)
        if (c->ratios[i] > mx)
            mx = c->ratios[i];
    fprintf(f, "<svg width=\"%d\" height=\"%d\" role=\"img\">", W, c->rows * rowh + 20);
    for (int i = 0; i < c->rows; i++) {
        double w = (W - left - 60) * c->ratios[i] / mx;
        fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">", left - 6, i * rowh + 11);
        html_escape(f, c->names[i] ? c->names[i] : "?");
        fprintf(f, "</text><rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"#c2703d\"/>"
                   "<text x=\"%.1f\" y=\"%d\" font-size=\"11\">%.3f</text>",
                left, i * rowh + 2, w, rowh - 3, left + w + 4, i * rowh + 11, c->ratios[i]);
    }
    {
        double x1 = left + (W - left - 60) * 1.0 / mx;
        fprintf(f, "<line x1=\"%.1f\" y1=\"0\" x2=\"%.1f\" y2=\"%d\" stroke=\"#000\" stroke-dasharray=\"3,3\"/>"
                   "<text x=\"%.1f\" y=\"%d\" font-size=\"10\">1.0</text>",
                x1, x1, c->rows * rowh, x1 - 6, c->rows * rowh + 14);
    }
    fputs("</svg>\n", f);
}

static int cmd_stats(const char *file, const char *html, const nt_pack_options *opt)
{
    stats_ctx c;
    char err[1024], *tmp = NULL;
    int rc;
    memset(&c, 0, sizeof c);
    c.pairs = opt->pairs;
    c.npairs = opt->npairs + (opt->forced ? 1 : 0);
    if (html) {
        size_t n = strlen(html) + 16;
        tmp = malloc(n);
        if (!tmp)
            return 1;
        snprintf(tmp, n, "%s.tmp", html);
        if (!(c.html = fopen(tmp, "w"))) {
            nt_fatal("cannot write '%s': %s", tmp, strerror(errno));
            free(tmp);
            return 1;
        }
        fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>ntc stats: ", c.html);
        html_escape(c.html, file);
        fputs("</title>\n<style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}"
              "td,th{border-bottom:1px solid #ddd;padding:2px 8px;vertical-align:middle;font-size:13px}"
              "td.r{text-align:right;font-variant-numeric:tabular-nums}td.n{font-family:monospace}</style>\n"
              "</head><body>\n<h1>ntc stats: ",
              c.html);
        html_escape(c.html, file);
        fprintf(c.html, "</h1>\n<p>ntc %s. Per tensor: the order-0 bound of each coding pair (as a ratio: bytes / "
                        "bound, model excluded), the ratio <code>ntc pack</code> gets (model and headers included), and the "
                        "histogram of exponents (log scale; hover for counts).</p>\n<table>\n<tr><th>tensor</th><th>dtype</th><th>count</th>",
                NTC_VERSION);
        for (int k = 0; k < c.npairs; k++)
            fprintf(c.html, "<th>bound %s</th>", c.pairs[k].name);
        fputs("<th>ratio</th><th>coded with</th><th>exponents</th></tr>\n", c.html);
    }
    rc = nt_container_analyze(file, opt, stats_row, &c, err, sizeof err);
    if (rc != 0)
        nt_fatal("%s", err);
    else {
        printf("%-40s %-6s %12s %12llu", "total", "", "", (unsigned long long)c.bytes);
        for (int k = 0; k < c.npairs; k++)
            printf(" %16.4f", c.bound[k] > 0 ? (double)c.bytes / c.bound[k] : 0.0);
        printf(" %12llu %7.4f\n", (unsigned long long)c.packed, c.packed ? (double)c.bytes / (double)c.packed : 0.0);
        printf("(bounds are order-0 entropy of the codes plus the raw bits, per tensor, as ratios; '-' where a pair "
               "does not apply, counted as stored in the total)\n");
    }
    if (c.html) {
        if (rc == 0) {
            fprintf(c.html, "<tr><td><b>total</b></td><td></td><td></td>");
            for (int k = 0; k < c.npairs; k++)
                fprintf(c.html, "<td class=\"r\">%.4f</td>", c.bound[k] > 0 ? (double)c.bytes / c.bound[k] : 0.0);
            fprintf(c.html, "<td class=\"r\"><b>%.4f</b></td><td></td><td></td></tr>\n</table>\n",
                    c.packed ? (double)c.bytes / (double)c.packed : 0.0);
            fputs("<h2>Ratio per tensor</h2>\n", c.html);
            html_ratio_chart(c.html, &c);
            fputs("</body></html>\n", c.html);
        }
        if (fclose(c.html) != 0 && rc == 0) {
            nt_fatal("cannot write '%s'", tmp);
            rc = -1;
        }
        if (rc == 0 && rename(tmp, html) != 0) {
            nt_fatal("cannot rename '%s' to '%s': %s", tmp, html, strerror(errno));
            rc = -1;
        }
        if (rc != 0)
            remove(tmp);
    }
    for (int i = 0; i < c.rows && c.names; i++)
        free(c.names[i]);
    free(c.names);
    free(c.ratios);
    free(tmp);
    return rc == 0 ? 0 : 1;
}

/* ------------------------------------------------------------------ the command line */

static const char usage_pack[] =
    "usage: ntc pack INPUT... -o OUT.ntz [--type T.nt] [--fast-decode] [-j N] [--progress|--quiet]\n"
    "       ntc unpack IN.ntz -o OUT [--tensor NAME] [-j N] [--progress|--quiet]\n"
    "       ntc unpack IN.ntz --list | --check [-j N]\n"
    "       ntc stats FILE.safetensors [--html REPORT.html] [--type T.nt] [--fast-decode]\n"
    "\n"
    "pack: codes every BF16, F16 and F32 tensor of safetensors/.npy files with a model fitted to\n"
    "it and the coding pair, among those of smallest order-0 bound, that codes it smallest; other\n"
    "tensors and bytes are zstd-coded or stored.\n"
    "INPUT is one file, several files, or one directory (every file in it). The container is\n"
    "specified in spec/container.md; output goes to a temporary file that is renamed at the end.\n"
    "unpack: restores the input byte for byte (a file, or a directory for several files), checking\n"
    "every tensor's XXH3 checksum; --tensor writes only that tensor's bytes (raw, little-endian);\n"
    "--check decodes and checks everything but writes nothing; --list prints the index.\n"
    "stats: per tensor, dtype, count, order-0 bound of each coding pair, and the ratio pack gets.\n"
    "\n"
    "  -o PATH          output (pack: default INPUT.ntz; unpack: default IN without .ntz)\n"
    "  -j N             threads (default: every core)\n"
    "  --type T.nt      pack/stats: use this type for every tensor whose word size it has\n"
    "  --fast-decode    pack/stats: code BF16 tensors with bf16_pairs, F16 with f16_pairs (two\n"
    "                   words a table step, 1.5-3x as fast to decode with AVX2/AVX-512), F32\n"
    "                   as high halves in bf16_pairs and low planes in zstd, where at most 5 %\n"
    "                   and 64 KiB larger\n"
    "  --progress       show progress even when stderr is not a terminal; --quiet: never\n"
    "  --html FILE      stats: also write a self-contained HTML report\n";

static char *strip_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    char *r;
    while (n > 1 && s[n - 1] == '/')
        n--;
    if (n <= m || memcmp(s + n - m, suf, m) != 0)
        return NULL;
    r = malloc(n - m + 1);
    if (r) {
        memcpy(r, s, n - m);
        r[n - m] = 0;
    }
    return r;
}

int nt_cmd_container(int argc, char **argv)
{
    const char *cmd = argv[0], *out = NULL, *type_file = NULL, *tensor = NULL, *html = NULL;
    const char **inputs = calloc((size_t)argc + 1, sizeof *inputs);
    int ninputs = 0, threads = 0, progress = -1, list = 0, check = 0, fast = 0, status = 1;
    char *type_src = NULL, *auto_out = NULL, err[2048];
    nt_pack_options opt;
    const int is_pack = !strcmp(cmd, "pack"), is_unpack = !strcmp(cmd, "unpack"), is_stats = !is_pack && !is_unpack;

    if (!inputs)
        return 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage_pack, stdout);
            free(inputs);
            return 0;
        } else if (!strncmp(a, "-j", 2) && a[2] >= '0' && a[2] <= '9') {
            char *end;
            long n = strtol(a + 2, &end, 10);
            if (*end || n < 1 || n > 256) {
                fprintf(stderr, "ntc %s: error: -j wants a thread count from 1 to 256, not '%s'\n", cmd, a + 2);
                free(inputs);
                return 2;
            }
            threads = (int)n;
        } else if (!strcmp(a, "-o") || !strcmp(a, "-j") || !strcmp(a, "--type") || !strcmp(a, "--tensor") ||
                   !strcmp(a, "--html")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "ntc %s: error: option '%s' needs an argument\n", cmd, a);
                free(inputs);
                return 2;
            }
            const char *v = argv[++i];
            if (!strcmp(a, "-o"))
                out = v;
            else if (!strcmp(a, "--type"))
                type_file = v;
            else if (!strcmp(a, "--tensor"))
                tensor = v;
            else if (!strcmp(a, "--html"))
                html = v;
            else {
                char *end;
                long n = strtol(v, &end, 10);
                if (*end || n < 1 || n > 256) {
                    fprintf(stderr, "ntc %s: error: -j wants a thread count from 1 to 256, not '%s'\n", cmd, v);
                    free(inputs);
                    return 2;
                }
                threads = (int)n;
            }
        } else if (!strcmp(a, "--progress")) {
            progress = 1;
        } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            progress = 0;
        } else if (!strcmp(a, "--list")) {
            list = 1;
        } else if (!strcmp(a, "--check")) {
            check = 1;
        } else if (!strcmp(a, "--fast-decode")) {
            fast = 1;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "ntc %s: error: unknown option '%s' (try 'ntc %s --help')\n", cmd, a, cmd);
            free(inputs);
            return 2;
        } else {
            inputs[ninputs++] = a;
        }
    }
    /* options that belong to another subcommand are usage errors, not silently ignored */
    if ((is_unpack && (type_file || fast)) || (!is_unpack && (tensor || list || check)) ||
        (list + check + (tensor || out) > 1) || (!is_stats && html) ||
        (is_stats && (out || threads))) {
        fprintf(stderr, "ntc %s: error: an option given does not apply to '%s' (try 'ntc %s --help')\n", cmd, cmd,
                cmd);
        free(inputs);
        return 2;
    }
    if (ninputs == 0 || (!is_pack && ninputs != 1)) {
        fprintf(stderr, "ntc %s: error: %s (try 'ntc %s --help')\n", cmd,
                ninputs ? "one input file expected" : "no input", cmd);
        free(inputs);
        return 2;
    }
    if (pairs_setup(!is_unpack) != 0)
        goto done;
    memset(&opt, 0, sizeof opt);
    opt.threads = threads;
    opt.progress = progress;
    opt.pairs = pairs;
    opt.npairs = NPAIRS;
    opt.fast_slack = fast ? NT_CONTAINER_FAST_SLACK : 0;
    if (type_file) {
        if (!(type_src = read_text(type_file)) || user_setup(type_file, type_src, &user_pair) != 0)
            goto done;
        opt.forced = &user_pair;
        opt.type_source = type_src;
    }
    if (is_pack) {
        if (!out) {
            size_t n = strlen(inputs[0]);
            while (n > 1 && inputs[0][n - 1] == '/')
                n--;
            if (ninputs != 1 || !(auto_out = malloc(n + 5))) {
                fprintf(stderr, "ntc pack: error: give the output with -o\n");
                status = 2;
                goto done;
            }
            snprintf(auto_out, n + 5, "%.*s.ntz", (int)n, inputs[0]);
            out = auto_out;
        }
        if (nt_container_pack(inputs, ninputs, out, &opt, err, sizeof err) != 0) {
            fprintf(stderr, "ntc pack: error: %s\n", err);
            goto done;
        }
    } else if (is_unpack) {
        if (list) {
            if (nt_container_list(inputs[0], err, sizeof err) != 0) {
                fprintf(stderr, "ntc unpack: error: %s\n", err);
                goto done;
            }
            status = 0;
            goto done;
        }
        if (!check && !out && !(out = auto_out = strip_suffix(inputs[0], ".ntz"))) {
            fprintf(stderr, "ntc unpack: error: give the output with -o\n");
            status = 2;
            goto done;
        }
        /* a container packed with --type carries the type's source: built when it is opened */
        opt.type_pair = stored_type_pair;
        opt.type_user = &type_src;
        if (check) {
            uint64_t n = 0;
            if (nt_container_check(inputs[0], &opt, &n, err, sizeof err) != 0) {
                fprintf(stderr, "ntc unpack: error: %s\n", err);
                goto done;
            }
            printf("%s: ok, %llu bytes, every checksum verified\n", inputs[0], (unsigned long long)n);
        } else if (nt_container_unpack(inputs[0], out, tensor, &opt, err, sizeof err) != 0) {
            fprintf(stderr, "ntc unpack: error: %s\n", err);
            goto done;
        }
    } else {
        if (cmd_stats(inputs[0], html, &opt) != 0)
            goto done;
    }
    status = 0;
done:
    pairs_teardown();
    free(type_src);
    free(auto_out);
    free(inputs);
    return status;
}

#endif /* NTC_STAGE0 */
