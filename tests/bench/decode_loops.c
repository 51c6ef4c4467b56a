/*
 * decode_loops.c — what a decode loop costs per word, for the loop ntc has and for the designs it
 * could have instead: a benchmark of loop shapes on random tables and random bits, not of ntc.
 *
 * Every variant decodes 16-bit words in the shape of bf16_exp_mant2 (a code in the high bits, six
 * raw bits joined in through a scatter table), from one table of 4096 cells whose state bits per
 * word are 3 to 6 (about what the real checkpoints give), so that they differ only in the loop:
 *   tans4      ntc's loop: 4 lanes, each word's state bits after the previous word's in one
 *              bit stream (one 64-bit window a round of 4 words), the join from the cell's word
 *              and the scatter table
 *   tans4 sym  the same, the codes only (no raw bits, no join)
 *   tans4 own  4 lanes, each lane with a bit stream of its own
 *   tans32     32 lanes in one bit stream, 8 at a time with AVX2: a gather of the cells, a prefix
 *              sum of their bit counts for each lane's bit position, the bits from one 16-byte load
 *              (checked once against a scalar 32-lane decode)
 *   prefix4    a prefix code (the cell found by the next 11 bits alone, as Huffman decoders do),
 *              4 bit streams, with the join
 *   prefix4 sym  the same, the codes only
 *   pair4      ntc's loop with a code of two words: one table step (4096 cells, 6 to 12 state
 *              bits) gives two words' codes, their twelve raw bits joined at once; 4 lanes, so a
 *              round of 8 words in one 64-bit window
 *   tans4 inline  4 lanes in one stream with each word's raw bits right after its state bits (the
 *              order a decoder with no buffer for the raw bits would read them in), two windows
 *              a round
 *   tans64 own 64 lanes, each with a bit stream of its own, 16 at a time with AVX-512: a gather of
 *              the cells and a gather of each lane's next 32 bits (checked against a scalar decode)
 *   tans64     64 lanes in one bit stream, 16 at a time with AVX-512: a gather of the cells, a prefix
 *              sum of their bit counts, each lane's bits picked from one 64-byte load (vpermb)
 *   pair64     tans64 with pair4's code of two words: 64-bit cells (two gathers of 8), 16 lanes
 *              give 32 words a step
 * The figures are best-of-N nanoseconds per word; compare them within one run only.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_AVX2_PATH 1
#define HAVE_AVX512_PATH 1
#endif

#define LOG 12          /* tANS table: 2^LOG cells */
#define PLOG 11         /* prefix table: the next PLOG bits find the cell */
#define N_WORDS 262144  /* words per run (about stories260K) */
#define REPS 200

typedef struct {
    uint16_t base;
    uint8_t nb, shr;    /* shr = 64 - nb */
    uint16_t sym, word; /* word: the code's part of the output word */
} tcell;
typedef struct {
    uint8_t len, pad;
    uint16_t word;
} pcell;

static tcell dt[1u << LOG];
static uint32_t dt32[1u << LOG]; /* word << 16 | nb << 12 | base, for the gather */
static pcell pt[1u << PLOG];
typedef struct {
    uint16_t base;
    uint8_t nb, shr;
    uint32_t word;      /* both words' code parts: the first in the low half */
} tcell2;
static tcell2 dtp[1u << LOG];
static uint64_t dtp64[1u << LOG]; /* word << 32 | nb << 12 | base, for the gather */
static uint16_t scatter[64];     /* the six raw bits: sign to bit 15, the rest to bits 4..0 */

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

static uint64_t be64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return __builtin_bswap64(v);
}

static uint64_t rotl64(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* the raw bits of word J of a round of 4 (24 bits at the top of rwin) */
#define RAW4(J) scatter[rotl64(rwin, (J) * 6 + 6) & 63]

#define TANS_WORD(S, WN, P, OUT)                                                                    \
    do {                                                                                            \
        const tcell *e = &dt[S];                                                                    \
        S = e->base + (size_t)(WN >> e->shr);                                                       \
        WN <<= e->nb;                                                                               \
        P += e->nb;                                                                                 \
        OUT;                                                                                        \
    } while (0)

/* JOIN: with the raw bits (a constant in each caller, so that the codes-only loop has no trace of them) */
static inline __attribute__((always_inline)) void tans4_body(uint16_t *out, size_t n, const uint8_t *ans,
                                                             const uint8_t *raw, int join)
{
    size_t s0 = 1, s1 = 2, s2 = 3, s3 = 4;
    uint64_t pos = 0;
    for (size_t i = 0; i < n; i += 4, raw += 3) {
        uint64_t win = be64(ans + (pos >> 3)) << (pos & 7), rwin = join ? be64(raw) : 0;
        TANS_WORD(s0, win, pos, out[i] = e->word | (join ? RAW4(0) : 0));
        TANS_WORD(s1, win, pos, out[i + 1] = e->word | (join ? RAW4(1) : 0));
        TANS_WORD(s2, win, pos, out[i + 2] = e->word | (join ? RAW4(2) : 0));
        TANS_WORD(s3, win, pos, out[i + 3] = e->word | (join ? RAW4(3) : 0));
    }
    out[0] ^= (uint16_t)(s0 + s1 + s2 + s3);
}

__attribute__((noinline)) static void tans4(uint16_t *out, size_t n, const uint8_t *ans, const uint8_t *raw)
{
    tans4_body(out, n, ans, raw, 1);
}

__attribute__((noinline)) static void tans4_sym(uint16_t *out, size_t n, const uint8_t *ans)
{
    tans4_body(out, n, ans, ans, 0); /* (raw is not read) */
}

/* each lane reads its own stream (at[j]); a window serves 4 words of a lane (4 x 12 <= 57 bits) */
__attribute__((noinline)) static void tans4_own(uint16_t *out, size_t n, const uint8_t *const at[4], const uint8_t *raw)
{
    size_t s0 = 1, s1 = 2, s2 = 3, s3 = 4;
    uint64_t p0 = 0, p1 = 0, p2 = 0, p3 = 0;
    for (size_t i = 0; i < n; i += 16) {
        uint64_t w0 = be64(at[0] + (p0 >> 3)) << (p0 & 7), w1 = be64(at[1] + (p1 >> 3)) << (p1 & 7);
        uint64_t w2 = be64(at[2] + (p2 >> 3)) << (p2 & 7), w3 = be64(at[3] + (p3 >> 3)) << (p3 & 7);
        for (size_t k = i; k < i + 16; k += 4, raw += 3) {
            uint64_t rwin = be64(raw);
            TANS_WORD(s0, w0, p0, out[k] = e->word | RAW4(0));
            TANS_WORD(s1, w1, p1, out[k + 1] = e->word | RAW4(1));
            TANS_WORD(s2, w2, p2, out[k + 2] = e->word | RAW4(2));
            TANS_WORD(s3, w3, p3, out[k + 3] = e->word | RAW4(3));
        }
    }
    out[0] ^= (uint16_t)(s0 + s1 + s2 + s3);
}

/* two words a step: RAW8(J) the twelve raw bits of step J of a round of 4 steps (48 bits) */
#define RAW8(J) ((uint32_t)scatter[rotl64(rwin, (J) * 12 + 6) & 63] | (uint32_t)scatter[rotl64(rwin, (J) * 12 + 12) & 63] << 16)
#define PAIR_STEP(S, J)                                                                             \
    do {                                                                                            \
        const tcell2 *e = &dtp[S];                                                                  \
        S = e->base + (size_t)(win >> e->shr);                                                      \
        win <<= e->nb;                                                                              \
        pos += e->nb;                                                                               \
        out32[J] = e->word | RAW8(J);                                                               \
    } while (0)

__attribute__((noinline)) static void pair4(uint16_t *out, size_t n, const uint8_t *ans, const uint8_t *raw)
{
    size_t s0 = 1, s1 = 2, s2 = 3, s3 = 4;
    uint64_t pos = 0;
    for (size_t i = 0; i < n; i += 8, raw += 6) {
        uint64_t win = be64(ans + (pos >> 3)) << (pos & 7), rwin = be64(raw);
        uint32_t out32[4];
        PAIR_STEP(s0, 0);
        PAIR_STEP(s1, 1);
        PAIR_STEP(s2, 2);
        PAIR_STEP(s3, 3);
        memcpy(out + i, out32, sizeof out32);
    }
    out[0] ^= (uint16_t)(s0 + s1 + s2 + s3);
}

#define PREFIX_WORD(WN, P, OUT)                                                                     \
    do {                                                                                            \
        const pcell *e = &pt[WN >> (64 - PLOG)];                                                    \
        WN <<= e->len;                                                                              \
        P += e->len;                                                                                \
        OUT;                                                                                        \
    } while (0)

/* 4 streams; a window serves 4 words of each (4 x 11 <= 57 bits); JOIN as in tans4_body */
static inline __attribute__((always_inline)) void prefix4_body(uint16_t *out, size_t n, const uint8_t *const at[4],
                                                               const uint8_t *raw, int join)
{
    uint64_t p0 = 0, p1 = 0, p2 = 0, p3 = 0;
    for (size_t i = 0; i < n; i += 16) {
        uint64_t w0 = be64(at[0] + (p0 >> 3)) << (p0 & 7), w1 = be64(at[1] + (p1 >> 3)) << (p1 & 7);
        uint64_t w2 = be64(at[2] + (p2 >> 3)) << (p2 & 7), w3 = be64(at[3] + (p3 >> 3)) << (p3 & 7);
        for (size_t k = i; k < i + 16; k += 4, raw += 3) {
            uint64_t rwin = join ? be64(raw) : 0;
            PREFIX_WORD(w0, p0, out[k] = e->word | (join ? RAW4(0) : 0));
            PREFIX_WORD(w1, p1, out[k + 1] = e->word | (join ? RAW4(1) : 0));
            PREFIX_WORD(w2, p2, out[k + 2] = e->word | (join ? RAW4(2) : 0));
            PREFIX_WORD(w3, p3, out[k + 3] = e->word | (join ? RAW4(3) : 0));
        }
    }
}

__attribute__((noinline)) static void prefix4(uint16_t *out, size_t n, const uint8_t *const at[4], const uint8_t *raw)
{
    prefix4_body(out, n, at, raw, 1);
}

__attribute__((noinline)) static void prefix4_sym(uint16_t *out, size_t n, const uint8_t *const at[4])
{
    prefix4_body(out, n, at, at[0], 0); /* (raw is not read) */
}

/* the initial state of lane j of the many-lane loops */
static uint32_t lane32_start(int j) { return (uint32_t)(j * 97 + 1) & ((1u << LOG) - 1); }

/* LANES lanes, scalar: the reference for the vector loops (word i of a round is lane i, its raw
 * bits the i-th 6 bits of the raw stream); own: lane j reads the stream at[j], else all read ans */
static void lanes_ref(uint16_t *out, size_t n, int lanes, int own, const uint8_t *ans, const uint8_t *const at[],
                      const uint8_t *raw)
{
    uint32_t s[64];
    uint64_t pos[64] = {0};
    for (int j = 0; j < lanes; j++)
        s[j] = lane32_start(j);
    for (size_t i = 0; i < n; i++) {
        int j = (int)(i % (size_t)lanes), k = own ? j : 0;
        const tcell *e = &dt[s[j]];
        uint64_t win = be64((own ? at[j] : ans) + (pos[k] >> 3)) << (pos[k] & 7);
        uint64_t rbit = (uint64_t)i * 6, r = (be64(raw + (rbit >> 3)) << (rbit & 7)) >> 58;
        s[j] = e->base + (e->nb ? (uint32_t)(win >> e->shr) : 0);
        pos[k] += e->nb;
        out[i] = e->word | scatter[r];
    }
}

/* pair codes, 64 lanes in one stream: the reference for pair64 (step i is lane i mod 64, its
 * twelve raw bits the i-th 12 of the raw stream, the first six the first word's) */
static void pair64_ref(uint16_t *out, size_t n, const uint8_t *ans, const uint8_t *raw)
{
    uint32_t s[64];
    uint64_t pos = 0;
    for (int j = 0; j < 64; j++)
        s[j] = lane32_start(j);
    for (size_t i = 0; i < n / 2; i++) {
        const tcell2 *e = &dtp[s[i % 64]];
        uint64_t win = be64(ans + (pos >> 3)) << (pos & 7);
        uint64_t rbit = (uint64_t)i * 12, r = (be64(raw + (rbit >> 3)) << (rbit & 7)) >> 52;
        s[i % 64] = e->base + (uint32_t)(win >> e->shr);
        pos += e->nb;
        out[2 * i] = (uint16_t)(e->word | scatter[r >> 6]);
        out[2 * i + 1] = (uint16_t)(e->word >> 16 | scatter[r & 63]);
    }
}

/* raw bits inline: word J's six raw bits follow its state bits in the window (shift: nb + 6) */
#define INLINE_WORD(S, J)                                                                           \
    do {                                                                                            \
        const tcell *e = &dt[S];                                                                    \
        S = e->base + (size_t)(win >> 1 >> (63 - e->nb));                                           \
        out[i + (J)] = e->word | scatter[(win << e->nb) >> 58];                                     \
        win <<= e->nb + 6;                                                                          \
        pos += e->nb + 6u;                                                                          \
    } while (0)

__attribute__((noinline)) static void tans4_inline(uint16_t *out, size_t n, const uint8_t *ans)
{
    size_t s0 = 1, s1 = 2, s2 = 3, s3 = 4;
    uint64_t pos = 0;
    for (size_t i = 0; i < n; i += 4) {
        uint64_t win = be64(ans + (pos >> 3)) << (pos & 7);
        INLINE_WORD(s0, 0);
        INLINE_WORD(s1, 1);
        win = be64(ans + (pos >> 3)) << (pos & 7);
        INLINE_WORD(s2, 2);
        INLINE_WORD(s3, 3);
    }
    out[0] ^= (uint16_t)(s0 + s1 + s2 + s3);
}

#ifdef HAVE_AVX2_PATH
/* inclusive prefix sum of 8 x 32-bit lanes */
__attribute__((target("avx2"))) static inline __m256i prefix8(__m256i x)
{
    __m256i c;
    x = _mm256_add_epi32(x, _mm256_slli_si256(x, 4));
    x = _mm256_add_epi32(x, _mm256_slli_si256(x, 8));
    c = _mm256_permutevar8x32_epi32(x, _mm256_setr_epi32(7, 7, 7, 7, 3, 3, 3, 3));
    return _mm256_add_epi32(x, _mm256_blend_epi32(_mm256_setzero_si256(), c, 0xF0));
}

__attribute__((target("avx2"), noinline)) static void tans32(uint16_t *out, size_t n, const uint8_t *ans, const uint8_t *raw)
{
    __m256i st[4];
    uint32_t pos = 0;
    /* raw: lane j's 6 bits start at bit 6j of the 6 bytes of its group of 8 words: bytes 6j/8 and
     * 6j/8 + 1 as a big-endian 16-bit value, shifted right by 10 - 6j mod 8 */
    const __m256i rbytes = _mm256_setr_epi8(1, 0, -1, -1, 1, 0, -1, -1, 2, 1, -1, -1, 3, 2, -1, -1,
                                            4, 3, -1, -1, 4, 3, -1, -1, 5, 4, -1, -1, 6, 5, -1, -1);
    const __m256i rshift = _mm256_setr_epi32(10, 4, 6, 8, 10, 4, 6, 8);
    const __m256i m7 = _mm256_set1_epi32(7), m15 = _mm256_set1_epi32(15), m31 = _mm256_set1_epi32(31);
    const __m256i m32 = _mm256_set1_epi32(32), m63 = _mm256_set1_epi32(63), mbase = _mm256_set1_epi32((1 << LOG) - 1);
    const __m256i bytes4 = _mm256_set1_epi32(0x01010101), be = _mm256_set1_epi32(0x00010203);
    for (int v = 0; v < 4; v++) {
        uint32_t s0[8];
        for (int j = 0; j < 8; j++)
            s0[j] = lane32_start(8 * v + j);
        st[v] = _mm256_loadu_si256((const __m256i *)s0);
    }
    for (size_t i = 0; i < n; i += 32) {
        for (int v = 0; v < 4; v++) {
            __m256i c = _mm256_i32gather_epi32((const int *)dt32, st[v], 4);
            __m256i nb = _mm256_and_si256(_mm256_srli_epi32(c, 12), m15);
            __m256i incl = prefix8(nb);
            /* each lane's first bit, from the byte that holds the group's first bit */
            __m256i rel = _mm256_add_epi32(_mm256_set1_epi32((int)(pos & 7)), _mm256_sub_epi32(incl, nb));
            __m256i blk = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(ans + (pos >> 3))));
            __m256i idx = _mm256_add_epi32(_mm256_mullo_epi32(_mm256_srli_epi32(rel, 3), bytes4), be);
            __m256i w = _mm256_shuffle_epi8(blk, idx);
            __m256i r, o;
            __m128i r16;
            w = _mm256_sllv_epi32(w, _mm256_and_si256(rel, m7));
            w = _mm256_srlv_epi32(w, _mm256_sub_epi32(m32, nb)); /* (a count of 0 reads nothing) */
            st[v] = _mm256_add_epi32(_mm256_and_si256(c, mbase), w);
            pos += (uint32_t)_mm256_extract_epi32(incl, 7);
            r16 = _mm_loadu_si128((const __m128i *)(raw + (i / 8 + (size_t)v) * 6));
            r = _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(r16), rbytes);
            r = _mm256_and_si256(_mm256_srlv_epi32(r, rshift), m63);
            r = _mm256_or_si256(_mm256_and_si256(r, m31), _mm256_slli_epi32(_mm256_and_si256(r, m32), 10));
            o = _mm256_or_si256(_mm256_srli_epi32(c, 16), r);
            _mm_storeu_si128((__m128i *)(out + i + 8 * (size_t)v),
                             _mm_packus_epi32(_mm256_castsi256_si128(o), _mm256_extracti128_si256(o, 1)));
        }
    }
}
#endif

#ifdef HAVE_AVX512_PATH
#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vbmi"), noinline))
/* Gathers with a fresh destination: a gather merges into its destination register, and the
 * compiler drops a zeroing it sees as dead, so that each gather waited for the one before it in
 * the same register (0.42 against 0.28 ns a word for pair64 in one build). gather32: 16 dwords at
 * base + the byte offsets in off; gather64: 8 qwords at base + 8 * idx. */
__attribute__((target("avx512f"), always_inline)) static inline __m512i gather32(const void *base, __m512i off)
{
    __m512i r;
    __mmask16 k;
    __asm__("kxnorw %1, %1, %1\n\tvpxord %0, %0, %0\n\tvpgatherdd (%2,%3,1), %0%{%1%}"
            : "=&v"(r), "=&Yk"(k)
            : "r"(base), "v"(off));
    return r;
}
__attribute__((target("avx512f"), always_inline)) static inline __m512i gather64(const uint64_t *base, __m256i idx)
{
    __m512i r;
    __mmask8 k;
    __asm__("kxnorb %1, %1, %1\n\tvpxord %0, %0, %0\n\tvpgatherdq (%2,%3,8), %0%{%1%}"
            : "=&v"(r), "=&Yk"(k)
            : "r"(base), "v"(idx));
    return r;
}
/* word j of 16 (bits 6j.. of 12 raw bytes): bytes 6j/8 and 6j/8 + 1 big-endian in the low half
 * of its 32 bits, shifted right by 10 - 6j mod 8 */
static uint8_t raw16_index[64];
static uint32_t raw16_shift[16];

static void make_raw16(void)
{
    for (int j = 0; j < 16; j++) {
        raw16_index[4 * j] = (uint8_t)(6 * j / 8 + 1);
        raw16_index[4 * j + 1] = (uint8_t)(6 * j / 8);
        raw16_index[4 * j + 2] = raw16_index[4 * j + 3] = 63; /* a byte of the load past the 12 read */
        raw16_shift[j] = (uint32_t)(10 - 6 * j % 8);
    }
}

/* the sixteen words' raw bits joined with their cells' words, stored */
AVX512 static void join16(uint16_t *out, const uint8_t *raw, __m512i c)
{
    __m512i r = _mm512_permutexvar_epi8(_mm512_loadu_si512(raw16_index), _mm512_loadu_si512(raw));
    const __m512i m31 = _mm512_set1_epi32(31), m32 = _mm512_set1_epi32(32);
    r = _mm512_and_si512(_mm512_srlv_epi32(r, _mm512_loadu_si512(raw16_shift)), _mm512_set1_epi32(63));
    r = _mm512_or_si512(_mm512_and_si512(r, m31), _mm512_slli_epi32(_mm512_and_si512(r, m32), 10));
    _mm256_storeu_si256((__m256i *)out, _mm512_cvtepi32_epi16(_mm512_or_si512(_mm512_srli_epi32(c, 16), r)));
}

/* 64 lanes, four vectors of 16; lane j's stream starts at bit off[j] of ans */
AVX512 static void tans64_own(uint16_t *out, size_t n, const uint8_t *ans, const uint32_t off[64], const uint8_t *raw)
{
    __m512i st[4], pos[4];
    const __m512i m7 = _mm512_set1_epi32(7), m15 = _mm512_set1_epi32(15), m32 = _mm512_set1_epi32(32);
    const __m512i mbase = _mm512_set1_epi32((1 << LOG) - 1);
    const __m512i bswap = _mm512_broadcast_i32x4(_mm_setr_epi8(3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12));
    for (int v = 0; v < 4; v++) {
        uint32_t s0[16];
        for (int j = 0; j < 16; j++)
            s0[j] = lane32_start(16 * v + j);
        st[v] = _mm512_loadu_si512(s0);
        pos[v] = _mm512_loadu_si512(off + 16 * v);
    }
    for (size_t i = 0; i < n; i += 64) {
        for (int v = 0; v < 4; v++) {
            __m512i c = gather32(dt32, _mm512_slli_epi32(st[v], 2));
            __m512i nb = _mm512_and_si512(_mm512_srli_epi32(c, 12), m15);
            __m512i w = gather32(ans, _mm512_srli_epi32(pos[v], 3));
            w = _mm512_sllv_epi32(_mm512_shuffle_epi8(w, bswap), _mm512_and_si512(pos[v], m7));
            w = _mm512_srlv_epi32(w, _mm512_sub_epi32(m32, nb)); /* (a count of 32 reads nothing) */
            st[v] = _mm512_add_epi32(_mm512_and_si512(c, mbase), w);
            pos[v] = _mm512_add_epi32(pos[v], nb);
            join16(out + i + 16 * (size_t)v, raw + (i / 16 + (size_t)v) * 12, c);
        }
    }
}

/* 16 lanes' next states in one stream: their bit counts' prefix sum gives each lane's place after
 * *pos, its bits come from one 64-byte load (vpermb); *pos moves past all of them */
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vbmi"), always_inline)) static inline __m512i next16(__m512i c, __m512i nb, const uint8_t *ans,
                                                                   uint64_t *pos)
{
    const __m512i m7 = _mm512_set1_epi32(7), m32 = _mm512_set1_epi32(32), zero = _mm512_setzero_si512();
    const __m512i mbase = _mm512_set1_epi32((1 << LOG) - 1);
    const __m512i bytes4 = _mm512_set1_epi32(0x01010101), be = _mm512_set1_epi32(0x00010203);
    __m512i x = nb, rel, w;
    x = _mm512_add_epi32(x, _mm512_alignr_epi32(x, zero, 15)); /* inclusive prefix sum */
    x = _mm512_add_epi32(x, _mm512_alignr_epi32(x, zero, 14));
    x = _mm512_add_epi32(x, _mm512_alignr_epi32(x, zero, 12));
    x = _mm512_add_epi32(x, _mm512_alignr_epi32(x, zero, 8));
    rel = _mm512_add_epi32(_mm512_set1_epi32((int)(*pos & 7)), _mm512_sub_epi32(x, nb));
    w = _mm512_permutexvar_epi8(_mm512_add_epi32(_mm512_mullo_epi32(_mm512_srli_epi32(rel, 3), bytes4), be),
                                _mm512_loadu_si512(ans + (*pos >> 3)));
    w = _mm512_srlv_epi32(_mm512_sllv_epi32(w, _mm512_and_si512(rel, m7)), _mm512_sub_epi32(m32, nb));
    *pos += (uint32_t)_mm_extract_epi32(_mm512_extracti32x4_epi32(x, 3), 3);
    return _mm512_add_epi32(_mm512_and_si512(c, mbase), w);
}

/* 64 lanes in one stream, four vectors of 16 */
AVX512 static void tans64(uint16_t *out, size_t n, const uint8_t *ans, const uint8_t *raw)
{
    __m512i st[4];
    uint64_t pos = 0;
    const __m512i m15 = _mm512_set1_epi32(15);
    for (int v = 0; v < 4; v++) {
        uint32_t s0[16];
        for (int j = 0; j < 16; j++)
            s0[j] = lane32_start(16 * v + j);
        st[v] = _mm512_loadu_si512(s0);
    }
    for (size_t i = 0; i < n; i += 64) {
        for (int v = 0; v < 4; v++) {
            __m512i c = gather32(dt32, _mm512_slli_epi32(st[v], 2));
            __m512i nb = _mm512_and_si512(_mm512_srli_epi32(c, 12), m15);
            st[v] = next16(c, nb, ans, &pos);
            join16(out + i + 16 * (size_t)v, raw + (i / 16 + (size_t)v) * 12, c);
        }
    }
}
/* step j of 16 (bits 12j.. of 24 raw bytes): bytes 12j/8 and 12j/8 + 1 big-endian, shifted right
 * by 4 - 12j mod 8 */
static uint8_t raw12_index[64];
static uint32_t raw12_shift[16];
static uint32_t lo_of[16], hi_of[16]; /* the low (high) halves of two vectors of 8 qwords */

static void make_raw12(void)
{
    for (int j = 0; j < 16; j++) {
        raw12_index[4 * j] = (uint8_t)(12 * j / 8 + 1);
        raw12_index[4 * j + 1] = (uint8_t)(12 * j / 8);
        raw12_index[4 * j + 2] = raw12_index[4 * j + 3] = 63;
        raw12_shift[j] = (uint32_t)(4 - 12 * j % 8);
        lo_of[j] = (uint32_t)(2 * j);
        hi_of[j] = (uint32_t)(2 * j + 1);
    }
}

AVX512 static void pair64(uint16_t *out, size_t n, const uint8_t *ans, const uint8_t *raw)
{
    __m512i st[4];
    uint64_t pos = 0;
    const __m512i m15 = _mm512_set1_epi32(15);
    const __m512i m31 = _mm512_set1_epi32(31), m63 = _mm512_set1_epi32(63), m32b = _mm512_set1_epi32(32);
    const __m512i ridx = _mm512_loadu_si512(raw12_index), rsh = _mm512_loadu_si512(raw12_shift);
    const __m512i lo = _mm512_loadu_si512(lo_of), hi = _mm512_loadu_si512(hi_of);
    for (int v = 0; v < 4; v++) {
        uint32_t s0[16];
        for (int j = 0; j < 16; j++)
            s0[j] = lane32_start(16 * v + j);
        st[v] = _mm512_loadu_si512(s0);
    }
    for (size_t i = 0; i < n; i += 128) {
        for (int v = 0; v < 4; v++) {
            __m512i c0 = gather64(dtp64, _mm512_castsi512_si256(st[v]));
            __m512i c1 = gather64(dtp64, _mm512_extracti64x4_epi64(st[v], 1));
            __m512i c = _mm512_permutex2var_epi32(c0, lo, c1), words = _mm512_permutex2var_epi32(c0, hi, c1);
            __m512i nb = _mm512_and_si512(_mm512_srli_epi32(c, 12), m15), r, a, b;
            st[v] = next16(c, nb, ans, &pos);
            r = _mm512_permutexvar_epi8(ridx, _mm512_loadu_si512(raw + (i / 32 + (size_t)v) * 24));
            r = _mm512_srlv_epi32(r, rsh);
            a = _mm512_and_si512(_mm512_srli_epi32(r, 6), m63);
            b = _mm512_and_si512(r, m63);
            a = _mm512_or_si512(_mm512_and_si512(a, m31), _mm512_slli_epi32(_mm512_and_si512(a, m32b), 10));
            b = _mm512_or_si512(_mm512_slli_epi32(_mm512_and_si512(b, m31), 16), _mm512_slli_epi32(_mm512_and_si512(b, m32b), 26));
            _mm512_storeu_si512(out + i + 32 * (size_t)v, _mm512_or_si512(words, _mm512_or_si512(a, b)));
        }
    }
}
#endif

/* The tables: tANS cells with 3 to 6 state bits and a random next-state base; a prefix code that
 * fills its table (a code of length len, 2..7, takes 2^(PLOG - len) aligned cells); the scatter. */
static void make_tables(void)
{
    uint32_t u = 0;
    srand(1);
    for (u = 0; u < (1u << LOG); u++) {
        int nb = 3 + rand() % 4;
        dt[u].nb = (uint8_t)nb;
        dt[u].shr = (uint8_t)(64 - nb);
        dt[u].base = (uint16_t)((uint32_t)(rand() % (1 << (LOG - nb))) << nb);
        dt[u].sym = (uint16_t)(rand() % 1024);
        dt[u].word = (uint16_t)(dt[u].sym << 5);
        dt32[u] = (uint32_t)dt[u].word << 16 | (uint32_t)nb << 12 | dt[u].base;
    }
    for (u = 0; u < (1u << LOG); u++) {
        int nb = 6 + rand() % 7;
        dtp[u].nb = (uint8_t)nb;
        dtp[u].shr = (uint8_t)(64 - nb);
        dtp[u].base = (uint16_t)((uint32_t)(rand() % (1 << (LOG - nb))) << nb);
        dtp[u].word = (uint32_t)(rand() % 1024) << 21 | (uint32_t)(rand() % 1024) << 5;
        dtp64[u] = (uint64_t)dtp[u].word << 32 | (uint64_t)nb << 12 | dtp[u].base;
    }
    for (u = 0; u < (1u << PLOG);) {
        int len = 2 + rand() % 6;
        uint32_t k, span = 1u << (PLOG - len);
        uint16_t word = (uint16_t)((rand() % 1024) << 5);
        if (u % span != 0 || u + span > (1u << PLOG))
            continue;
        for (k = 0; k < span; k++, u++) {
            pt[u].len = (uint8_t)len;
            pt[u].word = word;
        }
    }
    for (int i = 0; i < 64; i++)
        scatter[i] = (uint16_t)(((i >> 5) << 15) | (i & 31));
}

int main(void)
{
    const size_t n = N_WORDS, sb = n + 64; /* bytes per stream: at most 7 bits a word */
    uint8_t *ans = malloc(4 * sb), *raw = malloc(n + 64);
    uint16_t *out = malloc(n * 2), *ref = malloc(n * 2);
    const uint8_t *at[4];
    enum { SHAPES = 11 };
    double best[SHAPES];
    const char *names[SHAPES] = {"tans4",  "tans4 sym", "tans4 own", "tans32 (AVX2)",     "prefix4",
                                 "prefix4 sym", "pair4", "tans4 inline", "tans64 own (AVX-512)", "tans64 (AVX-512)", "pair64 (AVX-512)"};
    uint32_t off[64];
    int avx2 = 0, avx512 = 0;
    if (!ans || !raw || !out || !ref)
        return 1;
    make_tables();
    for (size_t i = 0; i < 4 * sb; i++)
        ans[i] = (uint8_t)rand();
    for (size_t i = 0; i < n + 64; i++)
        raw[i] = (uint8_t)rand();
    for (int j = 0; j < 4; j++)
        at[j] = ans + (size_t)j * sb;
    for (int v = 0; v < SHAPES; v++)
        best[v] = 1;
#ifdef HAVE_AVX2_PATH
    avx2 = __builtin_cpu_supports("avx2");
    if (avx2) {
        lanes_ref(ref, n, 32, 0, ans, at, raw);
        tans32(out, n, ans, raw);
        if (memcmp(out, ref, n * 2) != 0) {
            fprintf(stderr, "decode_loops: the AVX2 32-lane loop differs from its scalar reference\n");
            return 1;
        }
    }
#endif
#ifdef HAVE_AVX512_PATH
    avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vbmi");
    if (avx512) {
        const uint8_t *at64[64];
        make_raw16();
        for (int j = 0; j < 64; j++) {
            off[j] = (uint32_t)j * (uint32_t)(n / 64 + 16) * 8; /* a lane: at most 6 bits a word */
            at64[j] = ans + off[j] / 8;
        }
        lanes_ref(ref, n, 64, 1, ans, at64, raw);
        tans64_own(out, n, ans, off, raw);
        if (memcmp(out, ref, n * 2) != 0) {
            fprintf(stderr, "decode_loops: the AVX-512 64-lane loop (own streams) differs from its scalar reference\n");
            return 1;
        }
        lanes_ref(ref, n, 64, 0, ans, at64, raw);
        tans64(out, n, ans, raw);
        if (memcmp(out, ref, n * 2) != 0) {
            fprintf(stderr, "decode_loops: the AVX-512 64-lane loop differs from its scalar reference\n");
            return 1;
        }
        make_raw12();
        pair64_ref(ref, n, ans, raw);
        pair64(out, n, ans, raw);
        if (memcmp(out, ref, n * 2) != 0) {
            fprintf(stderr, "decode_loops: the AVX-512 64-lane pair loop differs from its scalar reference\n");
            return 1;
        }
    }
#endif
    for (int r = 0; r < REPS; r++) {
        for (int v = 0; v < SHAPES; v++) {
            double t = now_s();
            switch (v) {
            case 0: tans4(out, n, ans, raw); break;
            case 1: tans4_sym(out, n, ans); break;
            case 2: tans4_own(out, n, at, raw); break;
#ifdef HAVE_AVX2_PATH
            case 3: if (avx2) tans32(out, n, ans, raw); break;
#endif
            case 4: prefix4(out, n, at, raw); break;
            case 5: prefix4_sym(out, n, at); break;
            case 6: pair4(out, n, ans, raw); break;
            case 7: tans4_inline(out, n, ans); break;
#ifdef HAVE_AVX512_PATH
            case 8: if (avx512) tans64_own(out, n, ans, off, raw); break;
            case 9: if (avx512) tans64(out, n, ans, raw); break;
            case 10: if (avx512) pair64(out, n, ans, raw); break;
#endif
            default: break;
            }
            t = now_s() - t;
            if (t < best[v])
                best[v] = t;
        }
    }
    printf("decode loops, %d words, best of %d (ns per word; relative to tans4, ntc's loop):\n", N_WORDS, REPS);
    for (int v = 0; v < SHAPES; v++) {
        if (v == 3 && !avx2)
            printf("  %-20s  (no AVX2 on this machine)\n", names[v]);
        else if (v >= 8 && !avx512)
            printf("  %-20s  (no AVX-512 with VBMI on this machine)\n", names[v]);
        else
            printf("  %-20s  %6.3f  %5.2fx\n", names[v], best[v] / (double)n * 1e9, best[v] / best[0]);
    }
    printf("(checksum %u)\n", out[0]);
    free(ans);
    free(raw);
    free(out);
    free(ref);
    return 0;
}
