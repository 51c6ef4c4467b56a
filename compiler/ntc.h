/*
 * ntc.h — the one internal header of the numeric-type compiler.
 *
 * Sections, one per file of compiler/:
 *   diag.c     diagnostics (file:line:col: error: ..., source line, caret)
 *   lexer.l    tokens (flex, reentrant, bison-bridge)
 *   parser.y   grammar -> syntax tree (bison, pure, locations)
 *   sema.c     syntax tree -> the IR (nt_type: one code table), with checks
 *   fit.c      counting codes in real data (--fit)
 *   emit_c.c   the C backend
 *   emit_rtl.c the RTL backend (Verilog from rtl_templates/, vectors, benches)
 *   main.c     the driver
 *
 * The IR is the code table. Every type, however it was written, is lowered to:
 *   - a storage word of word_bits bits;
 *   - a coding pair mapping: a word splits into a code (entropy coded) and raw bits;
 *   - for each code: the storage words it covers, its raw-bit count, its value meaning, its count.
 */
#ifndef NTC_H
#define NTC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define NTC_VERSION "0.1.0"

/* Limits of the language, checked by sema. */
#define NT_MAX_WORD_BITS 64
#define NT_MAX_CODE_BITS 12     /* at most 4096 codes: the tables stay small enough for block RAM */
#define NT_MAX_CODES (1 << NT_MAX_CODE_BITS)
#define NT_MAX_FIELDS 64
#define NT_MAX_LANES 32
#define NT_TANS_MIN_LOG 5
#define NT_TANS_MAX_LOG 16
#define NT_RANS_MIN_BITS 8
#define NT_RANS_MAX_BITS 16

/* ---------------------------------------------------------------- diag.c */

typedef struct {
    const char *file;   /* name as given on the command line */
    int line, col;      /* 1-based; line 0 means "no location" */
} nt_loc;

typedef struct nt_diag {
    const char *file;
    const char *src;    /* whole source text, for quoting lines (may be NULL) */
    size_t src_len;
    int errors;
    int max_errors;     /* stop reporting after this many (0 = default 20) */
    FILE *out;          /* stderr normally; tests may redirect */
} nt_diag;

void nt_diag_init(nt_diag *d, const char *file, const char *src, size_t src_len);
/* Prints "file:line:col: error: message", then the source line and a caret under col. */
void nt_error(nt_diag *d, nt_loc loc, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
void nt_note(nt_diag *d, nt_loc loc, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* An error with no source location: "ntc: error: message". */
void nt_fatal(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* ---------------------------------------------------------------- the IR */

typedef enum {
    NT_MAP_SPLIT,   /* code = chosen bits of the word (code_pos), raw = all the other bits */
    NT_MAP_RANGES   /* code k covers words [first, first + 2^raw_bits); raw = word - first */
} nt_map_kind;

typedef enum {
    NT_VAL_NONE,    /* no value meaning given: a lossless split of an existing format's bits */
    NT_VAL_RANGE,   /* value = sign * (lo + raw * (hi - lo) / 2^raw_bits) */
    NT_VAL_EXACT,   /* value = lo (raw_bits is 0) */
    NT_VAL_NAN,
    NT_VAL_INF      /* sign gives +inf or -inf */
} nt_val_kind;

typedef enum { NT_MODEL_STATIC, NT_MODEL_ADAPTIVE } nt_model_kind;
typedef enum { NT_CODER_TANS, NT_CODER_RANS } nt_coder_kind;

typedef struct {
    uint64_t first;         /* NT_MAP_RANGES: smallest storage word of the code; NT_MAP_SPLIT: unused */
    int raw_bits;           /* raw bits that follow this code */
    nt_val_kind val;
    int sign;               /* +1 or -1 */
    double lo, hi;          /* NT_VAL_RANGE: [lo, hi); NT_VAL_EXACT: lo */
    double count;           /* model weight: inline count/probability or fitted count; 0 = never seen */
    nt_loc loc;             /* where the code was defined (for diagnostics); line 0 if derived */
} nt_code;

typedef struct {
    char *name;
    int hi, lo;             /* bit positions in the storage word, hi >= lo */
    nt_loc loc;
} nt_field;

typedef struct nt_type {
    char *name;
    nt_loc loc;
    int word_bits;          /* 1..64 */

    int nfields;
    nt_field fields[NT_MAX_FIELDS];

    nt_map_kind map;
    /* NT_MAP_SPLIT: code bit k (k = 0 is the code's most significant bit) is storage bit code_pos[k].
     * The raw bits are the remaining storage bits, most significant first. */
    int code_bits;
    int code_pos[NT_MAX_WORD_BITS];

    int ncodes;             /* NT_MAP_SPLIT: 1 << code_bits; NT_MAP_RANGES: number of table entries */
    nt_code *codes;         /* ncodes entries, indexed by code number */
    int raw_bits_max;       /* max over codes of raw_bits */

    nt_model_kind model;
    uint64_t block;         /* adaptive: words per block, 0 = one model per call */
    int have_counts;        /* static: counts given inline or fitted */

    nt_coder_kind coder;
    int table_log;          /* tANS: log2 of table size; rANS: probability bits */
    int lanes;              /* interleaved states */
} nt_type;

/* ---------------------------------------------------------------- front end (lexer.l, parser.y, sema.c) */

/* Parses and checks a whole .nt source. Returns the types it defines (count in *ntypes), or NULL
 * when there were errors (already reported through d). */
nt_type **nt_compile_source(nt_diag *d, const char *src, size_t len, int *ntypes);
void nt_type_free(nt_type *t);

/* ---------------------------------------------------------------- IR helpers (sema.c) */

/* Split a storage word into its code and raw bits, and back. Lossless for every word. */
int nt_word_code(const nt_type *t, uint64_t word, uint64_t *raw);
uint64_t nt_word_join(const nt_type *t, int code, uint64_t raw);

/* ---------------------------------------------------------------- fit.c */

/* Adds counts of the codes of every word of the file (all tensors, or one: "FILE:TENSOR") to
 * t->codes[].count. Returns 0, or -1 after printing an error. */
int nt_fit_file(nt_type *t, const char *spec);

/* ---------------------------------------------------------------- emit_c.c */

/* Words per chunk of the stream (spec/stream.md). */
int nt_chunk_words(const nt_type *t);
/* Width in bits of a code number in the stream (escapes, model sections). */
int nt_code_width(const nt_type *t);
/* Normalised static counts, ncodes + 1 of them (the last: the escape). Returns 0 or -1. */
int nt_static_norm(const nt_type *t, uint32_t *norm);
/* The stream fingerprint of a type (norm: its static counts, or NULL for adaptive). */
uint16_t nt_fingerprint(const nt_type *t, const uint32_t *norm);
/* Writes DIR/<name>.h and DIR/<name>.c. Returns 0, or -1 after printing an error. */
int nt_emit_c(const nt_type *t, const char *dir, const char *src_file);

/* ---------------------------------------------------------------- emit_rtl.c */

/* --emit verilog,vectors,tb: DIR/<name>_decoder.v and the cores it uses, DIR/<name>_vectors/
 * (words from vectors_from "FILE[:TENSOR]", or drawn from the model when NULL), and the benches
 * with DIR/Makefile. Returns 0, or -1 after printing an error (also for types it cannot take). */
int nt_emit_rtl(const nt_type *t, const char *dir, const char *src_file, int want_verilog, int want_vectors,
                int want_tb, const char *vectors_from);

#endif
