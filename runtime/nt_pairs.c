/*
 * nt_pairs.c — bf16_pairs and f16_pairs (see nt_pairs.h; the layouts are codecs 8 and 9 of
 * spec/container.md).
 *
 * A stream of n bf16 or f16 words:
 *   n          varint
 *   m - 1      u8, m the number of distinct exponents (1 .. 64)   } absent when n is 0
 *   exps[m]    the exponents, strictly increasing                  }
 *   model      a model section (spec/stream.md) over m * m symbols, table log 5 .. 12
 *   ans_size   varint
 *   ans        ans_size bytes: the sentinel, 64 initial states of `log` bits, then the state bits
 *              of each step, exactly as an ANS part of spec/stream.md with 64 lanes
 *   raw        bf16: n bytes, sign << 7 | the 7 mantissa bits of each word;
 *              f16: n bytes, the low 8 mantissa bits of each word, then three bit planes of
 *              ceil(n / 8) bytes (the signs, mantissa bits 9, mantissa bits 8; word i's bit is
 *              bit i % 8 of byte i / 8, the bits past n zero)
 * Step i holds words 2i and 2i + 1 (when n is odd, the last step's second word repeats its
 * first, and only the first is written); its symbol is a * m + b, a and b the places of the two
 * words' exponents in exps. The tANS tables are the stream format's (spread, cells, encoder).
 */
#include "nt_pairs.h"
#include "nt_ans.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MIN 5
#define LOG_MAX 12
#define LANES NT_PAIRS_LANES
#define MAX_EXP NT_PAIRS_MAX_EXPONENTS

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define PAIRS_SIMD 1
#else
#define PAIRS_SIMD 0
#endif

static int use_simd = 2; /* nt_pairs_use_simd */

/* A word format: where its exponent lies, where a decode cell keeps the two words' exponents
 * (the first word's at bit 16, the second's at e1_at) and how they become the words' exponent
 * parts as two little-endian words: (c >> sh0 & m0) | (c >> 1 & m1); and its raw bits. */
typedef struct {
    int exp_shift;
    unsigned exp_mask;
    int e1_at, sh0;
    uint32_t m0, m1;
    int planes; /* 0: a raw byte a word (bf16); 1: the low byte and three bit planes (f16) */
    int raw_bits;
    double cell_bits;
} pairs_fmt;
/* cell_bits: the price of a table cell when the table size is chosen (nt_ans_choose_log_priced),
 * in bits. Building a cell takes about as long as decoding two words, four with two words a step
 * (the AVX-512 loop): bf16 prices it at twice the stream format's NT_ANS_CELL_BITS
 * (stories260K-bf16 with --fast-decode: unpack --check 0.142 -> 0.133 ms, 0.12 % more bytes);
 * f16, whose tensors tried here come in more streams of fewer words, at eight times
 * (nanodet-m-f16: 0.478 -> 0.445 ms, 0.17 % more bytes; sixteen times gained no more). */
static const pairs_fmt FMT_BF16 = {7, 0xff, 24, 9, 0x7f80u, 0x7f800000u, 0, 8, 2 * NT_ANS_CELL_BITS};
static const pairs_fmt FMT_F16 = {10, 0x1f, 27, 6, 0x7c00u, 0x7c000000u, 1, 11, 8 * NT_ANS_CELL_BITS};

static uint16_t word_at(const uint8_t *p, size_t i) { return (uint16_t)(p[2 * i] | p[2 * i + 1] << 8); }
static unsigned exp_of(const pairs_fmt *f, uint16_t w) { return (unsigned)(w >> f->exp_shift) & f->exp_mask; }
/* the raw byte: bf16 sign << 7 | mantissa, f16 the low byte */
static uint8_t raw_of(const pairs_fmt *f, uint16_t w) { return f->planes ? (uint8_t)w : (uint8_t)((w >> 8 & 0x80) | (w & 0x7f)); }
/* bf16: the raw byte's part of the word: the sign to bit 15, the mantissa to bits 6..0 */
static uint16_t raw_part(uint8_t r) { return (uint16_t)((r & 0x80) << 8 | (r & 0x7f)); }
/* the raw section's bytes */
static size_t raw_size(const pairs_fmt *f, size_t n) { return n + (f->planes ? 3 * ((n + 7) / 8) : 0); }

static size_t compress_bound(const pairs_fmt *f, size_t n)
{
    const size_t model = (4 + 2 * 12 + 3 + (size_t)MAX_EXP * MAX_EXP * 33 + 7) / 8;
    const size_t ans = 1 + (LANES * LOG_MAX + 7) / 8 + ((n + 1) / 2 * LOG_MAX + 7) / 8;
    return 10 + 1 + MAX_EXP + model + 10 + ans + raw_size(f, n);
}
size_t nt_pairs_compress_bound(size_t n) { return compress_bound(&FMT_BF16, n); }
size_t nt_pairs_f16_compress_bound(size_t n) { return compress_bound(&FMT_F16, n); }

static double bound_bits(const pairs_fmt *f, const void *src, size_t n)
{
    const uint8_t *w = (const uint8_t *)src;
    const size_t steps = (n + 1) / 2;
    uint32_t *count = calloc(65536, sizeof *count);
    int seen[256] = {0}, m = 0;
    double bits = (double)f->raw_bits * (double)n;
    if (!count)
        return -1;
    for (size_t i = 0; i < steps; i++) {
        const unsigned a = exp_of(f, word_at(w, 2 * i)), b = 2 * i + 1 < n ? exp_of(f, word_at(w, 2 * i + 1)) : a;
        count[a << 8 | b]++;
        m += !seen[a] + (!seen[b] && b != a);
        seen[a] = seen[b] = 1;
    }
    for (uint32_t k = 0; k < 65536; k++)
        if (count[k])
            bits += (double)count[k] * log2((double)steps / (double)count[k]);
    free(count);
    return m > MAX_EXP ? -1 : bits;
}
double nt_pairs_bound_bits(const void *src, size_t n) { return bound_bits(&FMT_BF16, src, n); }
double nt_pairs_f16_bound_bits(const void *src, size_t n) { return bound_bits(&FMT_F16, src, n); }

int nt_pairs_is_error(size_t r) { return nt_ans_is_error(r); }
const char *nt_pairs_error_name(size_t r) { return nt_ans_error_name(r); }

static size_t encode(const pairs_fmt *f, void *dst, size_t cap, const void *src, size_t n)
{
    const uint8_t *w = (const uint8_t *)src;
    uint8_t *d = (uint8_t *)dst, vmap[256], exps[MAX_EXP];
    const size_t steps = (n + 1) / 2, tcap = 16 + (LANES * LOG_MAX + 7) / 8 + (steps * LOG_MAX + 7) / 8 + 16;
    size_t len, r, nsym;
    unsigned m = 0;
    int log, seen[256] = {0};
    double *count = NULL;
    uint32_t *norm = NULL, *state = NULL, *scratch = NULL;
    nt_tans_csym *csym = NULL;
    uint16_t *sym = NULL;
    uint8_t *tb = NULL;
    size_t result;
    if (n > (size_t)1 << 56)
        return NT_ERROR(TOO_LARGE);
    if (cap < 10)
        return NT_ERROR(DST_TOO_SMALL);
    len = nt_varint_put(d, (uint64_t)n);
    if (n == 0)
        return len;
    for (size_t i = 0; i < n; i++)
        seen[exp_of(f, word_at(w, i))] = 1;
    for (unsigned e = 0; e < 256; e++) {
        if (!seen[e])
            continue;
        if (m == MAX_EXP)
            return NT_ERROR(TOO_LARGE);
        vmap[e] = (uint8_t)m;
        exps[m++] = (uint8_t)e;
    }
    nsym = (size_t)m * m;
    count = calloc(nsym + 1, sizeof *count);
    norm = calloc(nsym + 1, sizeof *norm);
    sym = malloc(steps * sizeof *sym);
    state = malloc(sizeof *state << LOG_MAX);
    csym = malloc((nsym + 1) * sizeof *csym);
    scratch = malloc(NT_TANS_SCRATCH_WORDS(LOG_MAX, nsym) * sizeof *scratch);
    tb = malloc(tcap);
    result = NT_ERROR(NO_MEMORY);
    if (!count || !norm || !sym || !state || !csym || !scratch || !tb)
        goto done;
    for (size_t i = 0; i < steps; i++) {
        const unsigned a = vmap[exp_of(f, word_at(w, 2 * i))];
        const unsigned b = 2 * i + 1 < n ? vmap[exp_of(f, word_at(w, 2 * i + 1))] : a;
        sym[i] = (uint16_t)(a * m + b);
        count[sym[i]] += 1;
    }
    result = NT_ERROR(TOO_LARGE); /* more pairs than the largest table has cells */
    log = nt_ans_choose_log_priced(count, (int)nsym, LOG_MAX, LOG_MIN, norm, f->cell_bits);
    if (log < 0 || nt_tans_build_ctable(norm, (int)nsym, log, state, csym, scratch) != 0)
        goto done;
    result = NT_ERROR(DST_TOO_SMALL);
    if (cap - len < 1 + m)
        goto done;
    d[len++] = (uint8_t)(m - 1);
    memcpy(d + len, exps, m);
    len += m;
    r = nt_ans_model_write(d + len, cap - len, norm, (int)nsym, log);
    if (nt_ans_is_error(r)) {
        result = r;
        goto done;
    }
    len += r;
    {
        /* the ANS part, written from its end: the steps from the last, then the lanes' states */
        const uint32_t size = 1u << log;
        uint32_t x[LANES];
        nt_bitw bw;
        size_t asz;
        nt_bitw_init(&bw, tb, tb + tcap);
        for (int j = 0; j < LANES; j++)
            x[j] = size;
        for (size_t i = steps; i-- > 0;) {
            const int j = (int)(i % LANES);
            const nt_tans_csym cs = csym[sym[i]];
            const int nb = (int)((x[j] + cs.delta_nb) >> 16);
            nt_bitw_add(&bw, x[j] & ((1u << nb) - 1), nb);
            nt_bitw_flush(&bw);
            x[j] = state[(int32_t)(x[j] >> nb) + cs.find_state];
        }
        for (int j = LANES - 1; j >= 0; j--)
            nt_bitw_prepend(&bw, x[j] - size, log);
        nt_bitw_finish(&bw);
        if (bw.overflow) {
            result = NT_ERROR(GENERIC);
            goto done;
        }
        asz = (size_t)(tb + tcap - bw.p);
        if (cap - len < 10 + asz + raw_size(f, n))
            goto done;
        len += nt_varint_put(d + len, (uint64_t)asz);
        memcpy(d + len, bw.p, asz);
        len += asz;
    }
    for (size_t i = 0; i < n; i++)
        d[len + i] = raw_of(f, word_at(w, i));
    if (f->planes) {
        /* the signs, mantissa bits 9, mantissa bits 8 */
        uint8_t *pl = d + len + n;
        const size_t nb8 = (n + 7) / 8;
        memset(pl, 0, 3 * nb8);
        for (size_t i = 0; i < n; i++) {
            const uint16_t v = word_at(w, i);
            pl[i / 8] |= (uint8_t)((v >> 15 & 1) << (i % 8));
            pl[nb8 + i / 8] |= (uint8_t)((v >> 9 & 1) << (i % 8));
            pl[2 * nb8 + i / 8] |= (uint8_t)((v >> 8 & 1) << (i % 8));
        }
    }
    result = len + raw_size(f, n);
done:
    free(count);
    free(norm);
    free(sym);
    free(state);
    free(csym);
    free(scratch);
    free(tb);
    return result;
}
size_t nt_pairs_encode(void *dst, size_t cap, const void *src, size_t n) { return encode(&FMT_BF16, dst, cap, src, n); }
size_t nt_pairs_f16_encode(void *dst, size_t cap, const void *src, size_t n) { return encode(&FMT_F16, dst, cap, src, n); }

/* ------------------------------------------------------------------ decoding */

/* A decode cell, 32 bits: the second word's exponent << e1_at, the first word's << 16, the
 * state bits to read (nb, at most 12) << 12, the next state's base (below 2^12). Both words'
 * exponent parts are (c >> sh0 & m0) | (c >> 1 & m1) as two little-endian words (pairs_fmt). */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define NT_LE16(r) ((uint32_t)(uint16_t)((r) >> 8 | (r) << 8))
#else
#define NT_LE16(r) ((uint32_t)(r))
#endif
typedef struct {
    const uint32_t *cell;
    const uint8_t *ans;  /* the ANS part */
    uint64_t nbits;      /* its bits */
    const uint8_t *raw;  /* a byte a word */
    const uint8_t *sgn, *b9, *b8; /* f16 (planes): the bit planes, else NULL */
    uint16_t *out;       /* aligned words, or NULL: out_bytes (or out32) */
    uint8_t *out_bytes;
    uint32_t *out32;     /* nt_pairs_decode_f32: F32 words, word << 16 | lo1 << 8 | lo0 */
    const uint8_t *lo0, *lo1;
    size_t n;
    int sh0;             /* the format's cell-to-words shift and masks */
    uint32_t m0, m1;
} pairs_dec;

static uint32_t cell_words(const pairs_dec *pd, uint32_t c) { return (c >> pd->sh0 & pd->m0) | (c >> 1 & pd->m1); }

/* word i's raw part: its bits other than the exponent's */
static uint16_t raw_word(const pairs_dec *pd, size_t i)
{
    if (!pd->sgn)
        return raw_part(pd->raw[i]);
    return (uint16_t)(pd->raw[i] | (pd->sgn[i / 8] >> (i % 8) & 1) << 15 | (pd->b9[i / 8] >> (i % 8) & 1) << 9 |
                      (pd->b8[i / 8] >> (i % 8) & 1) << 8);
}

static void put_word(const pairs_dec *pd, size_t i, uint16_t v)
{
    if (pd->out32)
        pd->out32[i] = (uint32_t)v << 16 | (uint32_t)pd->lo1[i] << 8 | pd->lo0[i];
    else if (pd->out)
        pd->out[i] = v;
    else {
        pd->out_bytes[2 * i] = (uint8_t)v;
        pd->out_bytes[2 * i + 1] = (uint8_t)(v >> 8);
    }
}

/* The next k (<= 12) bits at pos, the bits past the end read as zero (the stream format's reader). */
static uint32_t peek_bits(const pairs_dec *pd, uint64_t pos, int k)
{
    nt_bitr r;
    nt_bitr_init(&r, pd->ans, (size_t)(pd->nbits / 8));
    r.pos = pos;
    return (uint32_t)nt_bitr_read(&r, k);
}

/* Steps i .. end - 1, one at a time (the careful path: any position, any n). */
static void steps_careful(const pairs_dec *pd, uint32_t *st, uint64_t *pos, size_t i, size_t end)
{
    for (; i < end; i++) {
        const int j = (int)(i % LANES);
        const uint32_t c = pd->cell[st[j]];
        const int nb = (int)(c >> 12 & 15);
        st[j] = (uint32_t)(c & 0xfff) + peek_bits(pd, *pos, nb);
        *pos += (uint64_t)nb;
        put_word(pd, 2 * i, (uint16_t)cell_words(pd, c) | raw_word(pd, 2 * i));
        if (2 * i + 1 < pd->n)
            put_word(pd, 2 * i + 1, (uint16_t)(cell_words(pd, c) >> 16) | raw_word(pd, 2 * i + 1));
    }
}

/* bf16: both words' raw parts from their two raw bytes (r: the first in the low byte), as the
 * 32 bits of two little-endian words. */
static uint32_t step_raw(uint32_t r)
{
    const uint32_t t = (r & 0xff) | (r & 0xff00) << 8;
    return (t & 0x007f007fu) | (t & 0x00800080u) << 8;
}

/* Rounds of 64 steps from step i while the round's words are all inside n and its bits (at most
 * 64 * 12 after pos, read by 8-byte loads) inside the part. (A window a step: its load waits only
 * for the position, whose chain is one add a step; a window for 4 steps put the shifts in it.)
 * Returns the steps done. */
static size_t steps_scalar(const pairs_dec *pd, uint32_t *st, uint64_t *pos, size_t i, size_t steps)
{
    /* (the fields in locals: a store through out could alias them, and they would be read again
     * after every word) */
    const uint32_t *const cell = pd->cell;
    const uint8_t *const ans = pd->ans, *const raw = pd->raw;
    uint16_t *const out = pd->out;
    uint8_t *const out_bytes = pd->out_bytes;
    const size_t n = pd->n, i0 = i;
    uint64_t p = *pos;
    const uint64_t stop = pd->nbits >= (LANES * LOG_MAX + 128) ? pd->nbits - (LANES * LOG_MAX + 128) : 0;
    uint32_t s[LANES];
    memcpy(s, st, sizeof s);
    while (i + LANES <= steps && 2 * (i + LANES) <= n && p <= stop) {
        for (int j = 0; j < LANES; j++, i++) {
            const uint32_t c = cell[s[j]];
            const uint64_t win = nt_ans_load_be64(ans + (p >> 3)) << (p & 7);
            uint32_t v;
            if (!pd->sgn) {
                uint16_t r;
                memcpy(&r, raw + 2 * i, 2);
                v = cell_words(pd, c) | step_raw(NT_LE16(r));
            } else {
                v = cell_words(pd, c) | raw_word(pd, 2 * i) | (uint32_t)raw_word(pd, 2 * i + 1) << 16;
            }
            s[j] = (c & 0xfff) + (uint32_t)(win >> 1 >> (63 - (c >> 12 & 15)));
            p += c >> 12 & 15;
            if (pd->out32) {
                put_word(pd, 2 * i, (uint16_t)v);
                put_word(pd, 2 * i + 1, (uint16_t)(v >> 16));
            } else if (out)
                memcpy(out + 2 * i, &v, sizeof v);
            else
                for (int b = 0; b < 4; b++)
                    out_bytes[4 * i + (size_t)b] = (uint8_t)(v >> (8 * b));
        }
    }
    memcpy(st, s, sizeof s);
    *pos = p;
    return i - i0;
}

#if PAIRS_SIMD
#define PAIRS_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512vbmi")))
/* A gather into a register it zeroes first: a gather merges into its destination, and a
 * compiler drops a zeroing it sees as dead, so that each gather would wait for the last one to
 * use that register. */
PAIRS_TARGET static inline __m512i gather_cells(const uint32_t *base, __m512i idx)
{
    __m512i r;
    __mmask16 k;
    __asm__("kxnorw %1, %1, %1\n\tvpxord %0, %0, %0\n\tvpgatherdd (%2,%3,4), %0%{%1%}"
            : "=&v"(r), "=&Yk"(k)
            : "r"(base), "v"(idx), "m"(*(const uint32_t(*)[1u << LOG_MAX])base));
    return r;
}

/* steps_scalar's rounds, 16 lanes a vector: a gather of the cells, the bit counts' prefix sum for
 * each lane's place, its bits picked from one 64-byte load, 32 words out. */
PAIRS_TARGET static size_t steps_avx512(const pairs_dec *pd, uint32_t *st, uint64_t *pos, size_t i, size_t steps)
{
    const size_t i0 = i;
    uint64_t p = *pos;
    const uint64_t stop = pd->nbits >= (LANES * LOG_MAX + 8 * 64 + 64) ? pd->nbits - (LANES * LOG_MAX + 8 * 64 + 64) : 0;
    const __m512i m7 = _mm512_set1_epi32(7), m32 = _mm512_set1_epi32(32), mbase = _mm512_set1_epi32(0xfff);
    const __m512i m15 = _mm512_set1_epi32(15), zero = _mm512_setzero_si512();
    const __m512i e0 = _mm512_set1_epi32((int)pd->m0), e1 = _mm512_set1_epi32((int)pd->m1);
    const __m128i sh0 = _mm_cvtsi32_si128(pd->sh0);
    /* each dword's byte 0 in all four of its bytes, plus 3, 2, 1, 0: a big-endian read's indices */
    const __m512i bcast = _mm512_broadcast_i32x4(_mm_setr_epi8(0, 0, 0, 0, 4, 4, 4, 4, 8, 8, 8, 8, 12, 12, 12, 12));
    const __m512i be = _mm512_set1_epi32(0x00010203);
    const __m512i m7f = _mm512_set1_epi16(0x7f), m80 = _mm512_set1_epi16(0x80);
    const __m512i b15 = _mm512_set1_epi16((short)0x8000), b9 = _mm512_set1_epi16(0x200), b8 = _mm512_set1_epi16(0x100);
    /* out32: word j of the first (second) 16 is lo's j (16 + j) then r's (index | 32) */
    const __m512i ilv0 = _mm512_set_epi16(47, 15, 46, 14, 45, 13, 44, 12, 43, 11, 42, 10, 41, 9, 40, 8, 39, 7, 38, 6,
                                          37, 5, 36, 4, 35, 3, 34, 2, 33, 1, 32, 0);
    const __m512i ilv1 = _mm512_add_epi16(ilv0, _mm512_set1_epi16(16));
    __m512i s[4];
    if (!(i + LANES <= steps && 2 * (i + LANES) <= pd->n && p <= stop))
        return 0;
    for (int v = 0; v < 4; v++)
        s[v] = _mm512_loadu_si512(st + 16 * v);
    while (i + LANES <= steps && 2 * (i + LANES) <= pd->n && p <= stop) {
        for (int v = 0; v < 4; v++) {
            const __m512i c = gather_cells(pd->cell, s[v]);
            const __m512i nb = _mm512_and_si512(_mm512_srli_epi32(c, 12), m15);
            /* both words' exponent parts */
            const __m512i words = _mm512_or_si512(_mm512_and_si512(_mm512_srl_epi32(c, sh0), e0),
                                                  _mm512_and_si512(_mm512_srli_epi32(c, 1), e1));
            __m512i x = nb, rel, b, r;
            x = _mm512_add_epi32(x, _mm512_alignr_epi32(x, zero, 15)); /* inclusive prefix sum */
            x = _mm512_add_epi32(x, _mm512_alignr_epi32(x, zero, 14));
            x = _mm512_add_epi32(x, _mm512_alignr_epi32(x, zero, 12));
            x = _mm512_add_epi32(x, _mm512_alignr_epi32(x, zero, 8));
            /* lane j's first bit from the byte of p: the 4 bytes from there, big-endian, shifted */
            rel = _mm512_add_epi32(_mm512_set1_epi32((int)(p & 7)), _mm512_sub_epi32(x, nb));
            b = _mm512_add_epi32(_mm512_shuffle_epi8(_mm512_srli_epi32(rel, 3), bcast), be);
            b = _mm512_permutexvar_epi8(b, _mm512_loadu_si512(pd->ans + (p >> 3)));
            b = _mm512_srlv_epi32(_mm512_sllv_epi32(b, _mm512_and_si512(rel, m7)), _mm512_sub_epi32(m32, nb));
            s[v] = _mm512_add_epi32(_mm512_and_si512(c, mbase), b); /* (a count of 32 gave 0 bits) */
            p += (uint32_t)_mm_extract_epi32(_mm512_extracti32x4_epi32(x, 3), 3);
            r = _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(pd->raw + 2 * i + 32 * (size_t)v)));
            if (!pd->sgn) {
                r = _mm512_or_si512(_mm512_and_si512(r, m7f), _mm512_slli_epi16(_mm512_and_si512(r, m80), 8));
            } else {
                /* the 32 words' bits of each plane: one mask (their first word is a multiple of 32);
                 * adding a bit where r's high byte is zero sets it */
                const size_t at = (2 * i + 32 * (size_t)v) / 8;
                uint32_t ks, k9, k8;
                memcpy(&ks, pd->sgn + at, 4);
                memcpy(&k9, pd->b9 + at, 4);
                memcpy(&k8, pd->b8 + at, 4);
                r = _mm512_mask_add_epi16(r, (__mmask32)ks, r, b15);
                r = _mm512_mask_add_epi16(r, (__mmask32)k9, r, b9);
                r = _mm512_mask_add_epi16(r, (__mmask32)k8, r, b8);
            }
            r = _mm512_or_si512(words, r);
            if (pd->out32) {
                /* F32 words: the low halves from the two byte planes, interleaved with r */
                const size_t k = 2 * i + 32 * (size_t)v;
                const __m512i lo = _mm512_or_si512(
                    _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(pd->lo0 + k))),
                    _mm512_slli_epi16(_mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(pd->lo1 + k))), 8));
                _mm512_storeu_si512(pd->out32 + k, _mm512_permutex2var_epi16(lo, ilv0, r));
                _mm512_storeu_si512(pd->out32 + k + 16, _mm512_permutex2var_epi16(lo, ilv1, r));
            } else if (pd->out)
                _mm512_storeu_si512(pd->out + 2 * i + 32 * (size_t)v, r);
            else
                _mm512_storeu_si512(pd->out_bytes + 4 * i + 64 * (size_t)v, r);
        }
        i += LANES;
    }
    for (int v = 0; v < 4; v++)
        _mm512_storeu_si512(st + 16 * v, s[v]);
    *pos = p;
    return i - i0;
}

/* The same rounds with AVX2, 8 lanes a vector (for processors without AVX-512): the bits picked
 * from a 16-byte load (8 lanes take at most 96 bits after the byte of p). */
#define PAIRS_TARGET2 __attribute__((target("avx2")))
PAIRS_TARGET2 static inline __m256i gather_cells8(const uint32_t *base, __m256i idx)
{
    __m256i r, k;
    __asm__("vpcmpeqd %1, %1, %1\n\tvpxor %0, %0, %0\n\tvpgatherdd %1, (%2,%3,4), %0"
            : "=&x"(r), "=&x"(k)
            : "r"(base), "x"(idx), "m"(*(const uint32_t(*)[1u << LOG_MAX])base));
    return r;
}

PAIRS_TARGET2 static size_t steps_avx2(const pairs_dec *pd, uint32_t *st, uint64_t *pos, size_t i, size_t steps)
{
    const size_t i0 = i;
    uint64_t p = *pos;
    const uint64_t stop = pd->nbits >= (LANES * LOG_MAX + 8 * 16 + 64) ? pd->nbits - (LANES * LOG_MAX + 8 * 16 + 64) : 0;
    const __m256i m7 = _mm256_set1_epi32(7), m32 = _mm256_set1_epi32(32), mbase = _mm256_set1_epi32(0xfff);
    const __m256i m15 = _mm256_set1_epi32(15);
    const __m256i e0 = _mm256_set1_epi32((int)pd->m0), e1 = _mm256_set1_epi32((int)pd->m1);
    const __m128i sh0 = _mm_cvtsi32_si128(pd->sh0);
    /* a word's bit of a 16-bit plane mask broadcast to all 16 words */
    const __m256i bit = _mm256_setr_epi16(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384,
                                          (short)0x8000);
    const __m256i bcast = _mm256_setr_epi8(0, 0, 0, 0, 4, 4, 4, 4, 8, 8, 8, 8, 12, 12, 12, 12,
                                           0, 0, 0, 0, 4, 4, 4, 4, 8, 8, 8, 8, 12, 12, 12, 12);
    const __m256i be = _mm256_set1_epi32(0x00010203);
    const __m256i m7f = _mm256_set1_epi16(0x7f), m80 = _mm256_set1_epi16(0x80);
    __m256i s[LANES / 8];
    if (!(i + LANES <= steps && 2 * (i + LANES) <= pd->n && p <= stop))
        return 0;
    for (int v = 0; v < LANES / 8; v++)
        s[v] = _mm256_loadu_si256((const __m256i *)(st + 8 * v));
    while (i + LANES <= steps && 2 * (i + LANES) <= pd->n && p <= stop) {
        for (int v = 0; v < LANES / 8; v++) {
            const __m256i c = gather_cells8(pd->cell, s[v]);
            const __m256i nb = _mm256_and_si256(_mm256_srli_epi32(c, 12), m15);
            const __m256i words = _mm256_or_si256(_mm256_and_si256(_mm256_srl_epi32(c, sh0), e0),
                                                  _mm256_and_si256(_mm256_srli_epi32(c, 1), e1));
            __m256i x = nb, rel, b, r, hi;
            /* inclusive prefix sum of 8: within each half, then the low half's total onto the high */
            x = _mm256_add_epi32(x, _mm256_slli_si256(x, 4));
            x = _mm256_add_epi32(x, _mm256_slli_si256(x, 8));
            hi = _mm256_permutevar8x32_epi32(x, _mm256_set1_epi32(3));
            x = _mm256_add_epi32(x, _mm256_blend_epi32(_mm256_setzero_si256(), hi, 0xF0));
            rel = _mm256_add_epi32(_mm256_set1_epi32((int)(p & 7)), _mm256_sub_epi32(x, nb));
            b = _mm256_add_epi32(_mm256_shuffle_epi8(_mm256_srli_epi32(rel, 3), bcast), be);
            b = _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(pd->ans + (p >> 3)))), b);
            b = _mm256_srlv_epi32(_mm256_sllv_epi32(b, _mm256_and_si256(rel, m7)), _mm256_sub_epi32(m32, nb));
            s[v] = _mm256_add_epi32(_mm256_and_si256(c, mbase), b);
            p += (uint32_t)_mm256_extract_epi32(x, 7);
            r = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(pd->raw + 2 * i + 16 * (size_t)v)));
            if (!pd->sgn) {
                r = _mm256_or_si256(_mm256_and_si256(r, m7f), _mm256_slli_epi16(_mm256_and_si256(r, m80), 8));
            } else {
                /* the 16 words' bits of each plane (their first word is a multiple of 16) */
                const size_t at = (2 * i + 16 * (size_t)v) / 8;
                const uint8_t *const pl[3] = {pd->sgn, pd->b9, pd->b8};
                const short put[3] = {(short)0x8000, 0x200, 0x100};
                for (int q = 0; q < 3; q++) {
                    const __m256i k = _mm256_and_si256(_mm256_set1_epi16((short)(pl[q][at] | pl[q][at + 1] << 8)), bit);
                    r = _mm256_or_si256(r, _mm256_and_si256(_mm256_cmpeq_epi16(k, bit), _mm256_set1_epi16(put[q])));
                }
            }
            r = _mm256_or_si256(words, r);
            if (pd->out32) {
                /* F32 words: the low halves from the two byte planes, interleaved with r (the
                 * unpacks interleave within 128-bit lanes: words 0-3 and 8-11, 4-7 and 12-15) */
                const size_t k = 2 * i + 16 * (size_t)v;
                const __m256i lo = _mm256_or_si256(
                    _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(pd->lo0 + k))),
                    _mm256_slli_epi16(_mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(pd->lo1 + k))), 8));
                const __m256i a = _mm256_unpacklo_epi16(lo, r), b = _mm256_unpackhi_epi16(lo, r);
                _mm256_storeu_si256((__m256i *)(pd->out32 + k), _mm256_permute2x128_si256(a, b, 0x20));
                _mm256_storeu_si256((__m256i *)(pd->out32 + k + 8), _mm256_permute2x128_si256(a, b, 0x31));
            } else if (pd->out)
                _mm256_storeu_si256((__m256i *)(pd->out + 2 * i + 16 * (size_t)v), r);
            else
                _mm256_storeu_si256((__m256i *)(pd->out_bytes + 4 * i + 32 * (size_t)v), r);
        }
        i += LANES;
    }
    for (int v = 0; v < LANES / 8; v++)
        _mm256_storeu_si256((__m256i *)(st + 8 * v), s[v]);
    *pos = p;
    return i - i0;
}

/* 2: AVX-512 with VBMI, 1: AVX2, 0: neither */
static int cpu_level(void)
{
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vbmi"))
        return 2;
    return __builtin_cpu_supports("avx2") ? 1 : 0;
}
#endif

void nt_pairs_use_simd(int level) { use_simd = level; }

/* The fast loops from step i: AVX-512 or AVX2 where the processor has it, then the scalar one
 * (with vector_only, only where there is no vector loop). */
static size_t steps_fast(const pairs_dec *pd, uint32_t *st, uint64_t *pos, size_t i, size_t steps, int vector_only)
{
    size_t did = 0;
#if PAIRS_SIMD
    const int level = use_simd < cpu_level() ? use_simd : cpu_level();
    if (level == 2)
        did = steps_avx512(pd, st, pos, i, steps);
    else if (level == 1)
        did = steps_avx2(pd, st, pos, i, steps);
    if (vector_only && level > 0)
        return did;
#else
    (void)vector_only;
#endif
    return did + steps_scalar(pd, st, pos, i + did, steps);
}

/* the end of an ANS part decoded from a copy: at most TAIL_BYTES, then TAIL_PAD zero bytes, more
 * than the fast loops' margin (1408 bits) and a round's most bits (768) */
#define TAIL_BYTES 512
#define TAIL_PAD 512

/* Decodes into dst (n words), or with lo (bf16 only) into F32 words at dst (4-byte aligned,
 * little-endian machine): each decoded word the high half, lo[i] | lo[n + i] << 8 the low. */
static size_t decode(const pairs_fmt *f, void *dst, size_t n, const void *src, size_t size, const uint8_t *lo)
{
    const uint8_t *s = (const uint8_t *)src;
    uint64_t v, pos;
    size_t p, k, m, nsym, steps = (n + 1) / 2, did, rsz = raw_size(f, n);
    uint8_t exps[MAX_EXP];
    uint32_t *norm = NULL, *scratch = NULL, *next = NULL, st[LANES];
    uint32_t *cell = NULL, *pair_exps = NULL;
    int log;
    size_t result;
    pairs_dec pd;
    if (!(k = nt_varint_get(s, size, &v)))
        return NT_ERROR(SRC_TRUNCATED);
    if (v != (uint64_t)n)
        return NT_ERROR(CORRUPT_HEADER);
    p = k;
    if (n == 0)
        return p == size ? 0 : NT_ERROR(CORRUPT_DATA);
    if (p >= size)
        return NT_ERROR(SRC_TRUNCATED);
    m = (size_t)s[p++] + 1;
    if (m > MAX_EXP)
        return NT_ERROR(CORRUPT_HEADER);
    if (size - p < m)
        return NT_ERROR(SRC_TRUNCATED);
    for (size_t a = 0; a < m; a++) {
        exps[a] = s[p + a];
        if ((a && exps[a] <= exps[a - 1]) || exps[a] > f->exp_mask)
            return NT_ERROR(CORRUPT_HEADER);
    }
    p += m;
    nsym = m * m;
    norm = malloc((nsym + 1) * sizeof *norm);
    scratch = malloc(NT_TANS_SCRATCH_WORDS(LOG_MAX, nsym) * sizeof *scratch);
    next = malloc(nsym * sizeof *next);
    cell = malloc(sizeof *cell << LOG_MAX);
    pair_exps = malloc(nsym * sizeof *pair_exps);
    result = NT_ERROR(NO_MEMORY);
    if (!norm || !scratch || !next || !cell || !pair_exps)
        goto done;
    result = nt_ans_model_read(s + p, size - p, norm, (int)nsym, &log, LOG_MIN, LOG_MAX);
    if (nt_ans_is_error(result))
        goto done;
    p += result;
    {
        /* the decode cells: the stream format's (nt_tans_build_dtable), with both words' parts */
        const uint32_t tsize = 1u << log;
        uint16_t *spread = (uint16_t *)scratch, *seq = spread + tsize;
        result = NT_ERROR(CORRUPT_MODEL);
        if (nt_tans_spread(norm, (int)nsym, log, spread, seq) != 0)
            goto done;
        for (size_t a = 0; a < m; a++)
            for (size_t b = 0; b < m; b++)
                pair_exps[a * m + b] = (uint32_t)exps[a] << 16 | (uint32_t)exps[b] << f->e1_at;
        memcpy(next, norm, nsym * sizeof *next);
        for (uint32_t u = 0; u < tsize; u++) {
            const uint16_t sy = spread[u];
            const uint32_t x = next[sy]++;
            const int nb = log - nt_ans_highbit32(x);
            cell[u] = pair_exps[sy] | (uint32_t)nb << 12 | ((x << nb) - tsize);
        }
    }
    if (!(k = nt_varint_get(s + p, size - p, &v))) {
        result = NT_ERROR(SRC_TRUNCATED);
        goto done;
    }
    p += k;
    if (v > size - p || size - p - (size_t)v != rsz) {
        result = size - p < rsz || v > size - p - rsz ? NT_ERROR(SRC_TRUNCATED) : NT_ERROR(CORRUPT_DATA);
        goto done;
    }
    pd.cell = cell;
    pd.ans = s + p;
    pd.nbits = v * 8;
    pd.raw = s + p + (size_t)v;
    pd.sgn = pd.b9 = pd.b8 = NULL;
    if (f->planes) {
        const size_t nb8 = (n + 7) / 8;
        pd.sgn = pd.raw + n;
        pd.b9 = pd.sgn + nb8;
        pd.b8 = pd.b9 + nb8;
        result = NT_ERROR(CORRUPT_DATA); /* the bits past n must be 0 */
        if (n % 8 && ((pd.sgn[nb8 - 1] | pd.b9[nb8 - 1] | pd.b8[nb8 - 1]) >> (n % 8)) != 0)
            goto done;
    }
    pd.sh0 = f->sh0;
    pd.m0 = f->m0;
    pd.m1 = f->m1;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    pd.out = NULL; /* (the words are little-endian bytes) */
#else
    pd.out = ((uintptr_t)dst % 2) ? NULL : (uint16_t *)dst;
#endif
    pd.out_bytes = (uint8_t *)dst;
    pd.out32 = lo ? (uint32_t *)dst : NULL;
    pd.lo0 = lo;
    pd.lo1 = lo ? lo + n : NULL;
    pd.n = n;
    result = NT_ERROR(CORRUPT_DATA);
    if (v == 0 || pd.ans[0] == 0) /* the sentinel */
        goto done;
    pos = (uint64_t)(8 - nt_ans_highbit32(pd.ans[0]));
    for (int j = 0; j < LANES; j++) {
        st[j] = peek_bits(&pd, pos, log);
        pos += (uint64_t)log;
    }
    /* the vector loop up to its margin before the end; the rest from the copy below, in the
     * vector loop again, where it fits (the scalar loop's steps cost about four times as much) */
    did = steps_fast(&pd, st, &pos, 0, steps, 1);
    if (did < steps && pos < pd.nbits && pd.nbits - pos > 8 * (TAIL_BYTES - 8))
        did += steps_scalar(&pd, st, &pos, did, steps);
    if (did < steps && pos < pd.nbits) {
        /* The fast loops stop short of the part's end (their loads read past the bits they
         * take): the rest of the part, copied to a buffer with zeros after it, takes them too.
         * (Only the last round's steps, if it is not whole, go one at a time; a stream whose bits
         * run out reads zeros and is caught by the checks below.) */
        uint8_t tail[TAIL_BYTES + TAIL_PAD];
        const size_t from = (size_t)(pos >> 3), left = (size_t)(pd.nbits / 8) - from;
        if (left <= TAIL_BYTES) {
            pairs_dec pt = pd;
            uint64_t tpos = pos - (uint64_t)from * 8;
            memcpy(tail, pd.ans + from, left);
            memset(tail + left, 0, sizeof tail - left);
            pt.ans = tail;
            pt.nbits = (uint64_t)sizeof tail * 8;
            did += steps_fast(&pt, st, &tpos, did, steps, 0);
            steps_careful(&pt, st, &tpos, did, steps);
            did = steps;
            pos = tpos + (uint64_t)from * 8;
        }
    }
    steps_careful(&pd, st, &pos, did, steps);
    /* every lane back at its starting state, the last bit the part's */
    if (pos != pd.nbits) {
        result = pos > pd.nbits ? NT_ERROR(SRC_TRUNCATED) : NT_ERROR(CORRUPT_DATA);
        goto done;
    }
    for (int j = 0; j < LANES; j++)
        if (st[j] != 0)
            goto done;
    result = n;
done:
    free(norm);
    free(scratch);
    free(next);
    free(cell);
    free(pair_exps);
    return result;
}
size_t nt_pairs_decode(void *dst, size_t n, const void *src, size_t size) { return decode(&FMT_BF16, dst, n, src, size, NULL); }
size_t nt_pairs_f16_decode(void *dst, size_t n, const void *src, size_t size) { return decode(&FMT_F16, dst, n, src, size, NULL); }
size_t nt_pairs_decode_f32(void *dst, size_t n, const void *src, size_t size, const uint8_t *lo)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    if (1)
#else
    if ((uintptr_t)dst % 4)
#endif
    {
        /* (the words one by one: a big-endian machine, or an unaligned buffer) */
        uint8_t *w = (uint8_t *)dst;
        size_t r = decode(&FMT_BF16, w + 2 * n, n, src, size, NULL); /* the high halves, in the upper half */
        if (nt_ans_is_error(r))
            return r;
        for (size_t i = 0; i < n; i++) {
            const uint8_t h0 = w[2 * n + 2 * i], h1 = w[2 * n + 2 * i + 1];
            w[4 * i] = lo[i];
            w[4 * i + 1] = lo[n + i];
            w[4 * i + 2] = h0;
            w[4 * i + 3] = h1;
        }
        return r;
    }
    return decode(&FMT_BF16, dst, n, src, size, lo);
}
