/*
 * nt_ans.h — the ANS core of ntc: tANS and rANS coders, count normalisation, bit I/O, the
 * stream header and model section, and the block encode/decode drivers.
 *
 * Header-only, C99, libc only, every symbol static: the compiler writes this file verbatim into
 * each generated T.c (one source of truth), and the runtime library includes it as it is.
 * The stream it reads and writes is specified byte by byte in spec/stream.md.
 *
 * Read me first — the three twists of this coder:
 *   1. ANS is last-in, first-out. The encoder walks the words from last to first and *prepends*
 *      each word's bits, writing bytes from the end of a buffer towards its start; the decoder
 *      then reads one forward bit stream, MSB first, in word order. Forward reading is what
 *      lets a hardware decoder consume the stream as it arrives.
 *   2. Every word's bits are contiguous: its ANS state bits, then (for an escaped code) the code
 *      itself, then its raw bits. A decoder knows all three widths from its current state before
 *      it reads any bit, so one read of nb + raw bits serves the word.
 *   3. L lanes: word i belongs to lane i mod L, each lane with its own state, all sharing the
 *      one bit stream. Lanes break the state-to-state dependency chain in software and let a
 *      hardware decoder keep one state register per lane.
 * The encoder starts every lane at a fixed state; the decoder must end there, which checks the
 * whole stream for free.
 */
#ifndef NT_ANS_H
#define NT_ANS_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Every function is static (the core is pasted into each generated file) and may go unused. */
#if defined(__GNUC__)
#define NT_FN static __attribute__((unused))
#define NT_INLINE static inline __attribute__((always_inline, unused))
#define NT_LIKELY(x) __builtin_expect(!!(x), 1)
#define NT_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define NT_PREFETCH(p) __builtin_prefetch(p)
#else
#define NT_FN static
#define NT_INLINE static inline
#define NT_LIKELY(x) (x)
#define NT_UNLIKELY(x) (x)
#define NT_PREFETCH(p) ((void)(p))
#endif

/* On x86 with GCC or Clang, the generated coders are compiled twice, plain and for BMI2 (shifts
 * by a register without the CL dance), and pick one at run time, as zstd does. Define
 * NT_NO_DISPATCH to build only the plain one. */
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__)) && !defined(NT_NO_DISPATCH)
#define NT_DISPATCH_BMI2 1
#define NT_TARGET_BMI2 __attribute__((target("bmi,bmi2")))
NT_FN int nt_ans_cpu_bmi2(void)
{
    static volatile int known = -1;
    if (known < 0)
        known = __builtin_cpu_supports("bmi2") ? 1 : 0;
    return known;
}
#else
#define NT_DISPATCH_BMI2 0
#endif

/* ------------------------------------------------------------------ errors */

/* Errors are returned as (size_t)-code, FSE-style; nt_ans_is_error() tells them apart. */
enum {
    NT_OK = 0,
    NT_ERR_GENERIC = 1,
    NT_ERR_DST_TOO_SMALL,
    NT_ERR_SRC_TRUNCATED,
    NT_ERR_BAD_MAGIC,
    NT_ERR_BAD_VERSION,
    NT_ERR_WRONG_TYPE,
    NT_ERR_CORRUPT_HEADER,
    NT_ERR_CORRUPT_MODEL,
    NT_ERR_CORRUPT_DATA,
    NT_ERR_TOO_LARGE,
    NT_ERR_NO_MEMORY,
    NT_ERR_BAD_ARGUMENT,
    NT_ERR_WORD_RANGE,
    NT_ERR_MAX
};
#define NT_ERROR(e) ((size_t) - (NT_ERR_##e))

NT_FN int nt_ans_is_error(size_t r) { return r > (size_t)-NT_ERR_MAX; }

NT_FN const char *nt_ans_error_name(size_t r)
{
    static const char *const names[NT_ERR_MAX] = {
        "no error",
        "error",
        "destination buffer too small",
        "stream truncated",
        "not an ntc stream (bad magic)",
        "unsupported stream version",
        "stream was written for another type",
        "corrupt stream header",
        "corrupt model in stream",
        "corrupt data (final state or length check failed)",
        "size too large",
        "out of memory",
        "bad argument",
        "input word wider than the type's storage word",
    };
    if (!nt_ans_is_error(r))
        return names[0];
    return names[(size_t)0 - r];
}

/* ------------------------------------------------------------------ limits and sizes */

#define NT_ANS_MAGIC0 0x6E /* 'n' */
#define NT_ANS_MAGIC1 0x74 /* 't' */
#define NT_ANS_VERSION 1
#define NT_ANS_MAX_LOG 16
#define NT_ANS_MAX_LANES 32
#define NT_ANS_RANS_EXTRA 8     /* rANS state has prob_bits + 8 bits of precision */
#define NT_ANS_MAX_COUNT ((uint64_t)1 << 56) /* words per stream */

/* Header: magic (2), version and kind (1), fingerprint (2), varint n (<= 9). */
#define NT_ANS_HEADER_MAX 14
/* Per block: the model section. */
#define NT_ANS_BLOCK_OVERHEAD(code_bits) (12 + ((4 + 3 + 2 * 12 + ((size_t)1 << (code_bits)) * 40) + 7) / 8)

/* ------------------------------------------------------------------ small helpers */

NT_INLINE int nt_ans_highbit32(uint32_t v) /* v > 0 */
{
#if defined(__GNUC__)
    return 31 - __builtin_clz(v);
#else
    int r = 0;
    while (v >>= 1)
        r++;
    return r;
#endif
}

NT_INLINE int nt_ans_ctz64(uint64_t v) /* v > 0 */
{
#if defined(__GNUC__)
    return __builtin_ctzll(v);
#else
    int r = 0;
    while (!(v & 1)) {
        v >>= 1;
        r++;
    }
    return r;
#endif
}

/* x rotated left by k, 0 < k < 64 (one instruction where the machine has one: RORX with BMI2,
 * which leaves x in place). */
NT_INLINE uint64_t nt_ans_rotl64(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

NT_INLINE uint64_t nt_ans_load_be64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return __builtin_bswap64(v);
#else
    {
        const uint8_t *b = p;
        v = 0;
        for (int i = 0; i < 8; i++)
            v = (v << 8) | b[i];
        return v;
    }
#endif
}

NT_INLINE void nt_ans_store_be64(uint8_t *p, uint64_t v)
{
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap64(v);
    memcpy(p, &v, 8);
#else
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
#endif
}

/* ------------------------------------------------------------------ bit writer (prepending) */

/* Writes bytes from `end` down towards `limit`. prepend(v, k) places the k bits of v *before*
 * every bit written so far, in stream (MSB-first) order. */
typedef struct {
    uint64_t acc;      /* pending bits, the earliest in stream order most significant */
    int nacc;          /* number of pending bits, < 8 between calls */
    uint8_t *p;        /* first written byte */
    uint8_t *limit;    /* may not write below this */
    int overflow;
} nt_bitw;

NT_FN void nt_bitw_init(nt_bitw *w, uint8_t *limit, uint8_t *end)
{
    w->acc = 0;
    w->nacc = 0;
    w->p = end;
    w->limit = limit;
    w->overflow = 0;
}

/* v < 2^k, k <= 32. Branch-free flush: the low 32 pending bits are stored as the 4 bytes below p
 * (big-endian, so the latest bit lands last) and p moves down by the whole bytes among them;
 * the bytes below the new p that were stored early are rewritten by the next flush. */
NT_INLINE void nt_bitw_prepend(nt_bitw *w, uint64_t v, int k)
{
    uint32_t low;
    int nbytes;
    w->acc |= v << w->nacc;
    w->nacc += k;
    if (NT_UNLIKELY(w->p - w->limit < 4)) {
        w->overflow = 1;
        w->acc = 0;
        w->nacc = 0;
        return;
    }
    low = (uint32_t)w->acc;
    w->p[-1] = (uint8_t)low;
    w->p[-2] = (uint8_t)(low >> 8);
    w->p[-3] = (uint8_t)(low >> 16);
    w->p[-4] = (uint8_t)(low >> 24);
    nbytes = w->nacc >> 3;
    w->p -= nbytes;
    w->acc >>= 8 * nbytes; /* nbytes <= 4 */
    w->nacc &= 7;
}

/* Bits without a flush: the caller flushes (nt_bitw_flush) before 64 bits are pending. */
NT_INLINE void nt_bitw_add(nt_bitw *w, uint64_t v, int k)
{
    w->acc |= v << w->nacc;
    w->nacc += k;
}

/* Writes the whole bytes among up to 63 pending bits: 8 bytes stored big-endian below p, p moved
 * down by the whole bytes (the others are rewritten by the next flush). */
NT_INLINE void nt_bitw_flush(nt_bitw *w)
{
    int nbytes = w->nacc >> 3;
    uint64_t a = w->acc;
    if (NT_UNLIKELY(w->p - w->limit < 8)) {
        w->overflow = 1;
        w->acc = 0;
        w->nacc = 0;
        return;
    }
    nt_ans_store_be64(w->p - 8, a);
    w->p -= nbytes;
    w->acc = nbytes == 8 ? 0 : w->acc >> (8 * nbytes);
    w->nacc &= 7;
}

/* Any number of bits up to 64 (split in chunks of 32, last chunk first). */
NT_FN void nt_bitw_prepend_wide(nt_bitw *w, uint64_t v, int k)
{
    if (k > 32) {
        nt_bitw_prepend(w, v & 0xffffffffu, 32);
        nt_bitw_prepend(w, v >> 32, k - 32);
    } else {
        nt_bitw_prepend(w, v, k);
    }
}

/* The stream starts with zero bits up to a byte boundary, then a single 1 bit (the sentinel). */
NT_FN void nt_bitw_finish(nt_bitw *w)
{
    nt_bitw_prepend(w, 1, 1);
    if (w->nacc)
        nt_bitw_prepend(w, 0, 8 - w->nacc);
}

/* ------------------------------------------------------------------ bit reader (forward) */

typedef struct {
    const uint8_t *buf;
    size_t size;       /* bytes */
    uint64_t pos;      /* bit position */
    uint64_t nbits;    /* size * 8 */
    uint64_t fast_end; /* reads starting below this bit position may load 8 bytes unchecked */
} nt_bitr;

NT_FN void nt_bitr_init(nt_bitr *r, const uint8_t *buf, size_t size)
{
    r->buf = buf;
    r->size = size;
    r->pos = 0;
    r->nbits = (uint64_t)size * 8;
    r->fast_end = size >= 8 ? (uint64_t)(size - 8) * 8 : 0;
}

/* Peek k bits (1 <= k <= 57) at the current position; bits past the end read as zero. */
NT_INLINE uint64_t nt_bitr_peek(const nt_bitr *r, int k)
{
    if (NT_LIKELY(r->pos < r->fast_end))
        return (nt_ans_load_be64(r->buf + (r->pos >> 3)) << (r->pos & 7)) >> (64 - k);
    {
        uint64_t v = 0;
        size_t byte = (size_t)(r->pos >> 3);
        for (int i = 0; i < 8; i++)
            v = (v << 8) | (byte + i < r->size ? r->buf[byte + i] : 0);
        return (v << (r->pos & 7)) >> (64 - k);
    }
}

/* Read k bits, 0 <= k <= 57. Reading past the end is caught by the caller through nt_bitr_over. */
NT_INLINE uint64_t nt_bitr_read(nt_bitr *r, int k)
{
    uint64_t v = k ? nt_bitr_peek(r, k) : 0;
    r->pos += (uint64_t)k;
    return v;
}

NT_FN uint64_t nt_bitr_read_wide(nt_bitr *r, int k)
{
    if (k > 32) {
        uint64_t hi = nt_bitr_read(r, k - 32);
        return (hi << 32) | nt_bitr_read(r, 32);
    }
    return nt_bitr_read(r, k);
}

NT_INLINE int nt_bitr_over(const nt_bitr *r) { return r->pos > r->nbits; }

/* ------------------------------------------------------------------ varints (LEB128) */

NT_FN size_t nt_varint_put(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    do {
        uint8_t b = (uint8_t)(v & 0x7f);
        v >>= 7;
        p[n++] = (uint8_t)(b | (v ? 0x80 : 0));
    } while (v);
    return n;
}

/* Returns bytes used, or 0 when truncated or longer than 9 bytes or not minimal. */
NT_FN size_t nt_varint_get(const uint8_t *p, size_t avail, uint64_t *v)
{
    uint64_t r = 0;
    for (size_t i = 0; i < 9 && i < avail; i++) {
        r |= (uint64_t)(p[i] & 0x7f) << (7 * i);
        if (!(p[i] & 0x80)) {
            if (i > 0 && p[i] == 0)
                return 0; /* non-minimal encoding */
            *v = r;
            return i + 1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ normalisation */

/* log2 without libm (only used to rank choices, so 1e-7 accuracy is plenty). x > 0. */
NT_FN double nt_ans_log2(double x)
{
    uint64_t b;
    int e;
    double m, t, t2;
    memcpy(&b, &x, sizeof b);
    e = (int)((b >> 52) & 0x7ff) - 1023;
    b = (b & 0x000fffffffffffffull) | 0x3ff0000000000000ull;
    memcpy(&m, &b, sizeof m);                       /* x = m 2^e, m in [1, 2) */
    t = (m - 1) / (m + 1);                          /* ln m = 2 atanh t, t <= 1/3 */
    t2 = t * t;
    return e + 2.8853900817779268 * t * (1 + t2 * (1.0 / 3 + t2 * (1.0 / 5 + t2 * (1.0 / 7 + t2 * (1.0 / 9 + t2 / 11)))));
}

/* nt_ans_normalize_used's heap: moves heap[h] down to its place among heap[0 .. hn-1], a
 * candidate going before another by the cheaper change of cost (down: the smaller; up: the
 * larger), then by the lower symbol. */
#define NT_NORM_BEFORE(A, B) (cost[A] != cost[B] ? (down ? cost[A] < cost[B] : cost[A] > cost[B]) : (A) < (B))
NT_FN void nt_norm_sift(int *heap, int hn, int h, const double *cost, int down)
{
    for (;;) {
        int c = 2 * h + 1, x;
        if (c >= hn)
            return;
        if (c + 1 < hn && NT_NORM_BEFORE(heap[c + 1], heap[c]))
            c++;
        if (!NT_NORM_BEFORE(heap[c], heap[h]))
            return;
        x = heap[c];
        heap[c] = heap[h];
        heap[h] = x;
        h = c;
    }
}

/* Scales the counts of the used symbols (cnt[0 .. used-1], each > 0, in symbol order) to
 * integers p[] summing to 2^log, each at least 1, minimising the coded size
 * sum(cnt * -nt_ans_log2(p / 2^log)) by greedy exchange. Deterministic. Returns 0, or -1 when
 * there are more symbols than the table has cells. */
NT_FN int nt_ans_normalize_used(const double *cnt, int used, int log, uint32_t *p)
{
    double total = 0;
    int64_t sum = 0;
    const int64_t m = (int64_t)1 << log;
    if (used == 0 || used > m)
        return -1;
    for (int i = 0; i < used; i++)
        total += cnt[i];
    for (int i = 0; i < used; i++) {
        double ideal = cnt[i] * (double)m / total;
        int64_t v = (int64_t)(ideal + 0.5);
        if (v < 1)
            v = 1;
        if (v > m)
            v = m;
        p[i] = (uint32_t)v;
        sum += v;
    }
    /* Greedy exchange: the change of cost for one cell less or more is cnt * log(p / (p -+ 1)).
     * Each step takes the symbol whose change costs least (the first such, in symbol order); only
     * its own cost changes. The candidates (going down, those with more than one cell) are kept
     * in a binary heap ordered by (cost, symbol), so a step costs a log instead of a scan. */
    if (sum != m) {
        const int down = sum > m;
        double *cost = (double *)malloc((sizeof(double) + sizeof(int)) * (size_t)used);
        int *heap = (int *)(cost + used), hn = 0;
        if (!cost)
            return -1;
#define NT_NORM_COST(I)                                                                             \
    (down ? cnt[I] * (nt_ans_log2((double)p[I]) - nt_ans_log2((double)p[I] - 1))                    \
          : cnt[I] * (nt_ans_log2((double)p[I] + 1) - nt_ans_log2((double)p[I])))
        for (int i = 0; i < used; i++)
            if (!down || p[i] > 1) {
                cost[i] = NT_NORM_COST(i);
                heap[hn++] = i;
            }
        for (int h = hn / 2; h-- > 0;)
            nt_norm_sift(heap, hn, h, cost, down);
        while (sum != m) {
            int best;
            if (hn == 0) {
                free(cost);
                return -1;
            }
            best = heap[0];
            if (down) {
                p[best]--;
                sum--;
            } else {
                p[best]++;
                sum++;
            }
            if (!down || p[best] > 1)
                cost[best] = NT_NORM_COST(best);
            else
                heap[0] = heap[--hn];
            nt_norm_sift(heap, hn, 0, cost, down);
        }
#undef NT_NORM_COST
        free(cost);
    }
    return 0;
}
#undef NT_NORM_BEFORE

/* The used symbols of count[0 .. nsym-1] (count > 0), in order: their numbers in sym[] (may be
 * NULL) and their counts in cnt[]. Returns how many. */
NT_FN int nt_ans_used(const double *count, int nsym, int *sym, double *cnt)
{
    int used = 0;
    for (int s = 0; s < nsym; s++)
        if (count[s] > 0) {
            if (sym)
                sym[used] = s;
            cnt[used++] = count[s];
        }
    return used;
}

/* nt_ans_normalize_used on count[0 .. nsym-1] (weights >= 0, not all zero), the unused symbols
 * getting 0: norm[0 .. nsym-1]. */
NT_FN int nt_ans_normalize(const double *count, int nsym, int log, uint32_t *norm)
{
    double *cnt = (double *)malloc(sizeof *cnt * (size_t)(nsym > 0 ? nsym : 1));
    uint32_t *p = (uint32_t *)malloc(sizeof *p * (size_t)(nsym > 0 ? nsym : 1));
    int r = -1;
    if (cnt && p) {
        const int used = nt_ans_used(count, nsym, NULL, cnt);
        r = nt_ans_normalize_used(cnt, used, log, p);
        for (int s = 0, i = 0; s < nsym && r == 0; s++)
            norm[s] = count[s] > 0 ? p[i++] : 0;
    }
    free(cnt);
    free(p);
    return r;
}

/* ------------------------------------------------------------------ tANS tables */

/* A decode table cell: the state's symbol, how many state bits to read, and the base of the next
 * state; shr = 64 - nb, so that the fast decoder reads the nb bits at the top of a 64-bit window
 * as window >> shr. shr = 0 marks the cells the fast decoder leaves to its careful path: the
 * escape cell's, and those with nb = 0 (a symbol of probability above 1/2), where that shift is
 * not defined. Tables with neither (nt_tans_all_fast) take a fast loop with no test. */
typedef struct {
    uint16_t base;
    uint8_t nb;
    uint8_t shr;
    uint16_t sym;
    uint16_t word;      /* the symbol's part of the storage word, join(sym, 0), when the codec has
                         * sym_word (words of up to 16 bits that are code bits | raw bits); else 0 */
} nt_tans_dcell;

/* Encode tables: for each symbol, FSE's deltaNbBits / deltaFindState; and the state table. */
typedef struct {
    int32_t find_state;
    uint32_t delta_nb;
} nt_tans_csym;

/* The spread: symbol s goes to norm[s] cells, stepping through the table by a stride coprime with
 * its size. Fills spread[0 .. 2^log - 1]. seq (2^log + 4 entries) is scratch: the symbols are
 * first written in order, four at a time with no test per symbol, then placed along the walk two
 * at a time, which gives the cells the walk one symbol after another would. Returns 0, or -1 if
 * the counts do not fill the table. */
NT_FN int nt_tans_spread(const uint32_t *norm, int nsym, int log, uint16_t *spread, uint16_t *seq)
{
    const uint32_t size = 1u << log, mask = size - 1;
    const uint32_t step = (size >> 1) + (size >> 3) + 3;
    uint32_t p = 0, pos = 0;
    for (int s = 0; s < nsym; s++) {
        uint32_t n = norm[s];
        uint64_t four;
        /* most codes of a wide code space are unused, in runs: four zero counts in one test */
        if ((s & 3) == 0 && s + 4 <= nsym && (n | norm[s + 1] | norm[s + 2] | norm[s + 3]) == 0) {
            s += 3;
            continue;
        }
        if (n > size - p)
            return -1;
        four = (uint64_t)s * 0x0001000100010001u;
        memcpy(seq + p, &four, 8); /* (seq has 4 entries to spare) */
        for (uint32_t i = 4; i < n; i += 4)
            memcpy(seq + p + i, &four, 8);
        p += n;
    }
    if (p != size)
        return -1;
    for (uint32_t u = 0; u < size; u += 2) { /* (size is even: table logs are 5 and up) */
        spread[pos] = seq[u];
        spread[(pos + step) & mask] = seq[u + 1];
        pos = (pos + 2 * step) & mask;
    }
    return 0;
}

/* Builds the decode table from normalised counts (phase 1: spread; phase 2: decode cells).
 * sym_word (may be NULL) gives each symbol's part of the storage word. scratch:
 * NT_TANS_SCRATCH_WORDS(log, nsym) uint32_t. */
#define NT_TANS_SCRATCH_WORDS(log, nsym) (((size_t)1 << (log)) + 2 + (size_t)(nsym))
NT_FN int nt_tans_build_dtable(const uint32_t *norm, const uint16_t *sym_word, int nsym, int log, nt_tans_dcell *dt,
                               uint32_t *scratch)
{
    const uint32_t size = 1u << log;
    uint16_t *spread = (uint16_t *)scratch;             /* size uint16 */
    uint16_t *seq = spread + size;                      /* size + 4 uint16 */
    uint32_t *next = scratch + size + 2;                /* nsym */
    if (nt_tans_spread(norm, nsym, log, spread, seq) != 0)
        return -1;
    memcpy(next, norm, (size_t)nsym * sizeof *next);
    for (uint32_t u = 0; u < size; u++) {
        uint16_t s = spread[u];
        uint32_t x = next[s]++;               /* x in [norm, 2 norm) */
        int nb = log - nt_ans_highbit32(x);
        dt[u].sym = s;
        dt[u].nb = (uint8_t)nb;
        dt[u].shr = (uint8_t)(nb == 0 || s == nsym - 1 ? 0 : 64 - nb); /* nsym - 1: the escape */
        dt[u].base = (uint16_t)((x << nb) - size);
        dt[u].word = sym_word ? sym_word[s] : 0;
    }
    return 0;
}

/* Whether every decode cell of a table has state bits and none is the escape's (the last
 * symbol's): no symbol above half the table, none in the escape. */
NT_FN int nt_tans_all_fast(const uint32_t *norm, int nsym, int log)
{
    uint32_t high = norm[nsym - 1] ? 1u << log : 0;
    for (int s = 0; s < nsym - 1; s++)
        high = norm[s] > high ? norm[s] : high;
    return high <= (1u << log) / 2;
}

/* Builds the encode tables: state[] (2^log entries) and csym[] (nsym). */
NT_FN int nt_tans_build_ctable(const uint32_t *norm, int nsym, int log, uint32_t *state,
                                nt_tans_csym *csym, uint32_t *scratch)
{
    const uint32_t size = 1u << log;
    uint16_t *spread = (uint16_t *)scratch, *seq = spread + size; /* as in nt_tans_build_dtable */
    uint32_t *cumul = scratch + size + 2;
    if (nt_tans_spread(norm, nsym, log, spread, seq) != 0)
        return -1;
    {
        uint32_t c = 0;
        for (int s = 0; s < nsym; s++) {
            cumul[s] = c;
            c += norm[s];
        }
    }
    for (int s = 0; s < nsym; s++) {
        uint32_t n = norm[s];
        if (n == 0) {
            csym[s].find_state = 0;
            csym[s].delta_nb = 0;
            continue;
        }
        {
            int max_out = log - (n > 1 ? nt_ans_highbit32(n - 1) : 0);
            if (n == 1)
                max_out = log;
            csym[s].delta_nb = ((uint32_t)max_out << 16) - (n << max_out);
            csym[s].find_state = (int32_t)cumul[s] - (int32_t)n;
        }
    }
    for (uint32_t u = 0; u < size; u++)
        state[cumul[spread[u]]++] = size + u;
    return 0;
}

/* ------------------------------------------------------------------ rANS tables */

/* rANS with bitwise renormalisation: state x in [2^S, 2^(S+1)), S = prob_bits + NT_ANS_RANS_EXTRA.
 * Decode: slot = x mod 2^P; s = sym(slot); x = f_s (x >> P) + slot - c_s; read S - highbit(x) bits.
 * The decode cell of a slot holds s, f_s and slot - c_s. */
typedef struct {
    uint16_t sym;
    uint8_t raw;
    uint8_t pad;
    uint16_t freq;      /* f_s (a freq of 2^16 is stored as 0: only one symbol, prob_bits 16) */
    uint16_t offset;    /* slot - c_s */
} nt_rans_dcell;

NT_FN void nt_rans_build_dtable(const uint32_t *norm, const uint8_t *raw_bits, int nsym, int log,
                                 nt_rans_dcell *dt)
{
    uint32_t slot = 0;
    for (int s = 0; s < nsym; s++) {
        for (uint32_t k = 0; k < norm[s]; k++, slot++) {
            dt[slot].sym = (uint16_t)s;
            dt[slot].raw = raw_bits[s];
            dt[slot].pad = 0;
            dt[slot].freq = (uint16_t)norm[s];
            dt[slot].offset = (uint16_t)k;
        }
    }
    (void)log;
}

/* ------------------------------------------------------------------ the codec description */

typedef struct nt_ans_codec {
    int word_bytes;             /* 1, 2, 4 or 8 */
    int word_bits;              /* the storage word's width; wider input words are rejected */
    int code_bits;              /* width of an escaped code in the stream */
    int ncodes;                 /* codes; the escape symbol is number ncodes */
    const uint8_t *raw_bits;    /* ncodes + 1 entries; the escape's entry is 0 */
    int raw_bits_max;
    int raw_bits_min;
    int coder;                  /* 0 tANS, 1 rANS */
    int log;                    /* tANS table log or rANS probability bits */
    int lanes;
    uint64_t block;             /* words per block, 0 = one block */
    uint32_t chunk;             /* words per chunk, a multiple of 8 */
    int adaptive;
    uint16_t fingerprint;
    /* Static model (adaptive: NULL). */
    const uint32_t *norm;       /* ncodes + 1 */
    const nt_tans_dcell *tans_dt;
    const uint32_t *tans_state;
    const nt_tans_csym *tans_csym;
    const nt_rans_dcell *rans_dt;
    /* For 16-bit words that are the bitwise or of a code part and a raw part (split types):
     * join(code, 0) for every symbol, copied into the decode cells so that a word is one or of
     * the cell's part and join(0, raw). NULL otherwise. */
    const uint16_t *sym_word;
} nt_ans_codec;

/* Split a word into code and raw bits / join them back (generated per type, inlined). */
typedef int (*nt_split_fn)(uint64_t word, uint64_t *raw);
typedef uint64_t (*nt_join_fn)(int code, uint64_t raw);

NT_INLINE uint64_t nt_load_word(const void *src, size_t i, int bytes)
{
    switch (bytes) {
    case 1: return ((const uint8_t *)src)[i];
    case 2: return ((const uint16_t *)src)[i];
    case 4: return ((const uint32_t *)src)[i];
    default: return ((const uint64_t *)src)[i];
    }
}

NT_INLINE void nt_store_word(void *dst, size_t i, uint64_t w, int bytes)
{
    switch (bytes) {
    case 1: ((uint8_t *)dst)[i] = (uint8_t)w; break;
    case 2: ((uint16_t *)dst)[i] = (uint16_t)w; break;
    case 4: ((uint32_t *)dst)[i] = (uint32_t)w; break;
    default: ((uint64_t *)dst)[i] = w; break;
    }
}

/* Largest number of bits one word can take in the body. */
NT_FN int nt_ans_word_bits_max(const nt_ans_codec *c)
{
    return c->log + c->code_bits + c->raw_bits_max;
}

NT_FN size_t nt_ans_compress_bound(const nt_ans_codec *c, size_t n)
{
    uint64_t blocks = c->block ? (n + c->block - 1) / c->block : 1;
    uint64_t state_bits = (uint64_t)c->lanes * (uint64_t)(c->log + NT_ANS_RANS_EXTRA);
    uint64_t per_block = NT_ANS_BLOCK_OVERHEAD(c->code_bits) + (state_bits + 8) / 8 + 1;
    uint64_t chunks = (uint64_t)n / c->chunk + blocks;
    uint64_t body = ((uint64_t)n * (uint64_t)nt_ans_word_bits_max(c) + 7) / 8 + chunks * 12;
    uint64_t total = NT_ANS_HEADER_MAX + blocks * per_block + body + 16;
    if (n > NT_ANS_MAX_COUNT || total > (uint64_t)SIZE_MAX / 2)
        return 0;
    return (size_t)total;
}

/* ------------------------------------------------------------------ model section (adaptive) */

/* Bits of an Exp-Golomb code of order k for v >= 0. */
NT_FN int nt_eg_bits(uint32_t v, int k)
{
    uint32_t q = (v >> k) + 1;
    return 2 * nt_ans_highbit32(q) + 1 + k;
}

/* A tiny forward MSB-first bit writer for the model section. */
typedef struct {
    uint8_t *p;
    size_t cap, len;
    uint64_t acc;
    int nacc;
    int overflow;
} nt_fbitw;

NT_FN void nt_fbitw_put(nt_fbitw *w, uint32_t v, int k) /* k <= 32 */
{
    w->acc = (w->acc << k) | (k ? (uint64_t)v & ((1ull << k) - 1) : 0);
    w->nacc += k;
    while (w->nacc >= 8) {
        w->nacc -= 8;
        if (w->len < w->cap)
            w->p[w->len++] = (uint8_t)(w->acc >> w->nacc);
        else
            w->overflow = 1;
    }
}

NT_FN void nt_fbitw_flush(nt_fbitw *w)
{
    if (w->nacc)
        nt_fbitw_put(w, 0, 8 - w->nacc);
}

NT_FN void nt_fbitw_eg(nt_fbitw *w, uint32_t v, int k)
{
    uint32_t q = (v >> k) + 1;
    int hb = nt_ans_highbit32(q);
    nt_fbitw_put(w, 0, hb);
    nt_fbitw_put(w, q, hb + 1);
    nt_fbitw_put(w, v & ((1u << k) - 1), k);
}

/* Width of a code number in the model section. */
NT_FN int nt_ans_sym_width(int ncodes)
{
    return ncodes > 1 ? nt_ans_highbit32((uint32_t)(ncodes - 1)) + 1 : 0;
}

/* A model section's size at each Exp-Golomb order k = 0 .. 7, to start with: its fixed fields
 * (log, lo, hi, k) and `zeros` counts of 0. */
NT_INLINE void nt_ans_eg_init(int *eg, int ncodes, int zeros)
{
    for (int k = 0; k < 8; k++)
        eg[k] = 4 + 2 * nt_ans_sym_width(ncodes) + 3 + zeros * nt_eg_bits(0, k);
}

/* A model section's size at each Exp-Golomb order k = 0 .. 7: eg[k] += the bits of v. */
NT_INLINE void nt_ans_eg_add(int *eg, uint32_t v)
{
    for (int k = 0; k < 8; k++)
        eg[k] += nt_eg_bits(v, k);
}

/* The smallest of eg[0 .. 7] and its order (the first on a tie). */
NT_FN int nt_ans_eg_best(const int *eg, int *k_out)
{
    int best = 0;
    for (int k = 1; k < 8; k++)
        best = eg[k] < eg[best] ? k : best;
    if (k_out)
        *k_out = best;
    return eg[best];
}

/* Size in bits of a model section for these counts, and the best Exp-Golomb order. */
NT_FN int nt_ans_model_bits(const uint32_t *norm, int ncodes, int *k_out)
{
    int lo = 0, hi = ncodes - 1, eg[8];
    while (lo < ncodes && !norm[lo])
        lo++;
    while (hi > lo && !norm[hi])
        hi--;
    nt_ans_eg_init(eg, ncodes, 0);
    for (int s = lo; s < hi; s++)
        nt_ans_eg_add(eg, norm[s]);
    return nt_ans_eg_best(eg, k_out);
}

/* Model section: log - 5 (4 bits), first code lo and last code hi (w bits each), k (3 bits),
 * then norm[lo .. hi-1] as Exp-Golomb(k); norm[hi] is what remains of 2^log. Byte-padded. */
NT_FN size_t nt_ans_model_write(uint8_t *dst, size_t cap, const uint32_t *norm, int ncodes, int log)
{
    nt_fbitw w = {dst, cap, 0, 0, 0, 0};
    int lo = 0, hi = ncodes - 1, k = 0, sw = nt_ans_sym_width(ncodes);
    while (lo < ncodes && !norm[lo])
        lo++;
    while (hi > lo && !norm[hi])
        hi--;
    nt_ans_model_bits(norm, ncodes, &k);
    nt_fbitw_put(&w, (uint32_t)(log - 5), 4);
    nt_fbitw_put(&w, (uint32_t)lo, sw);
    nt_fbitw_put(&w, (uint32_t)hi, sw);
    nt_fbitw_put(&w, (uint32_t)k, 3);
    for (int s = lo; s < hi; s++)
        nt_fbitw_eg(&w, norm[s], k);
    nt_fbitw_flush(&w);
    return w.overflow ? NT_ERROR(DST_TOO_SMALL) : w.len;
}

/* Reads a model section; checks that it describes a valid table. Returns bytes used or error. */
NT_FN size_t nt_ans_model_read(const uint8_t *src, size_t size, uint32_t *norm, int ncodes, int *log_out,
                               int log_min, int log_max)
{
    nt_bitr r;
    int sw = nt_ans_sym_width(ncodes), log, lo, hi, k;
    uint64_t sum = 0;
    nt_bitr_init(&r, src, size);
    log = (int)nt_bitr_read(&r, 4) + 5;
    lo = (int)(sw ? nt_bitr_read(&r, sw) : 0);
    hi = (int)(sw ? nt_bitr_read(&r, sw) : 0);
    k = (int)nt_bitr_read(&r, 3);
    if (nt_bitr_over(&r))
        return NT_ERROR(SRC_TRUNCATED);
    if (log < log_min || log > log_max || lo > hi || hi >= ncodes)
        return NT_ERROR(CORRUPT_MODEL);
    for (int s = 0; s <= ncodes; s++)
        norm[s] = 0;
    for (int s = lo; s < hi; s++) {
        int zeros = 0;
        uint32_t q, v;
        while (!nt_bitr_read(&r, 1)) {
            if (nt_bitr_over(&r))
                return NT_ERROR(SRC_TRUNCATED);
            if (++zeros > 17)
                return NT_ERROR(CORRUPT_MODEL);
        }
        q = (uint32_t)((1ull << zeros) | nt_bitr_read(&r, zeros));
        v = ((q - 1) << k) | (uint32_t)nt_bitr_read(&r, k);
        if (nt_bitr_over(&r))
            return NT_ERROR(SRC_TRUNCATED);
        sum += v;
        if (sum >= ((uint64_t)1 << log))
            return NT_ERROR(CORRUPT_MODEL);
        norm[s] = v;
    }
    norm[hi] = (uint32_t)(((uint64_t)1 << log) - sum);
    if (norm[lo] == 0)
        return NT_ERROR(CORRUPT_MODEL);
    *log_out = log;
    return (size_t)((r.pos + 7) / 8);
}

/* Picks the table size for an adaptive block: the smallest total of model bits plus coded bits
 * plus NT_ANS_CELL_BITS per table cell, the decoder's price for building the table (building a
 * cell takes about as many instructions as decoding two words). On small blocks it trades a
 * little size for speed: on stories260K-bf16, 47 tensors of 64 to 32768 words, `ntc unpack` is
 * about 10 % faster for a container 0.17 % larger; on blocks of 64K words it rarely changes the
 * choice. */
#define NT_ANS_CELL_BITS 0.5
/* ... with cell_bits the price of a table cell in bits (nt_ans_choose_log: NT_ANS_CELL_BITS) */
NT_FN int nt_ans_choose_log_priced(const double *count, int ncodes, int log_max, int log_min, uint32_t *norm,
                                   double cell_bits)
{
    /* the used codes only: sym[], cnt[]; p[] and best_p[] their counts normalised */
    void *mem = malloc(((sizeof(int) + sizeof(double) + 2 * sizeof(uint32_t)) * (size_t)(ncodes > 0 ? ncodes : 1)));
    double *cnt = (double *)mem;
    int *sym = (int *)(cnt + ncodes);
    uint32_t *p = (uint32_t *)(sym + ncodes), *best_p = p + ncodes;
    int used, best_log = -1;
    double best = 0, total = 0, entropy = 0;
    if (!mem)
        return -1;
    used = nt_ans_used(count, ncodes, sym, cnt);
    for (int i = 0; i < used; i++)
        total += cnt[i];
    /* The coded bits at any log are at least the counts' entropy (a cross-entropy against the
     * normalized table is never below it), so a log whose cell price alone takes the total past
     * the best so far, and every larger one, can be passed over. (Kept low by more than
     * nt_ans_log2's error on both sums, so that it never skips a log that would have won.) */
    for (int i = 0; i < used; i++)
        entropy += cnt[i] * nt_ans_log2(total / cnt[i]);
    entropy -= 1e-6 * total + 1;
    for (int log = log_min; log <= log_max; log++) {
        double bits;
        int eg[8];
        if (((int64_t)1 << log) < used)
            continue;
        if (best_log >= 0 && entropy + cell_bits * (double)((int64_t)1 << log) >= best)
            break;
        if (nt_ans_normalize_used(cnt, used, log, p) != 0)
            continue;
        /* the model section (nt_ans_model_bits): codes sym[0] .. sym[used-1], the counts of all
         * but the last, the unused ones between them as zeros */
        nt_ans_eg_init(eg, ncodes, sym[used - 1] - sym[0] - (used - 1));
        for (int i = 0; i < used - 1; i++)
            nt_ans_eg_add(eg, p[i]);
        bits = nt_ans_eg_best(eg, NULL);
        for (int i = 0; i < used; i++)
            bits += cnt[i] * ((double)log - nt_ans_log2((double)p[i]));
        bits += cell_bits * (double)((int64_t)1 << log);
        if (best_log < 0 || bits < best - 1e-9) {
            best = bits;
            best_log = log;
            memcpy(best_p, p, sizeof(uint32_t) * (size_t)used);
        }
    }
    if (best_log >= 0) {
        for (int s = 0; s <= ncodes; s++)
            norm[s] = 0;
        for (int i = 0; i < used; i++)
            norm[sym[i]] = best_p[i];
    }
    free(mem);
    return best_log;
}

NT_FN int nt_ans_choose_log(const double *count, int ncodes, int log_max, int log_min, uint32_t *norm)
{
    return nt_ans_choose_log_priced(count, ncodes, log_max, log_min, norm, NT_ANS_CELL_BITS);
}

/* ------------------------------------------------------------------ the stream header */

/* Header byte 2: the format version in the high nibble, the coder and model kind in the low. */
NT_INLINE uint8_t nt_ans_header_kind(const nt_ans_codec *c)
{
    return (uint8_t)((NT_ANS_VERSION << 4) | (c->coder & 3) | (c->adaptive ? 4 : 0));
}

NT_FN size_t nt_ans_header_write(uint8_t *dst, size_t cap, const nt_ans_codec *c, uint64_t n)
{
    uint8_t h[NT_ANS_HEADER_MAX];
    size_t len = 5;
    h[0] = NT_ANS_MAGIC0;
    h[1] = NT_ANS_MAGIC1;
    h[2] = nt_ans_header_kind(c);
    h[3] = (uint8_t)(c->fingerprint & 0xff);
    h[4] = (uint8_t)(c->fingerprint >> 8);
    len += nt_varint_put(h + len, n);
    if (len > cap)
        return NT_ERROR(DST_TOO_SMALL);
    memcpy(dst, h, len);
    return len;
}

NT_FN size_t nt_ans_header_read(const uint8_t *src, size_t size, const nt_ans_codec *c, uint64_t *n)
{
    size_t used;
    if ((size >= 1 && src[0] != NT_ANS_MAGIC0) || (size >= 2 && src[1] != NT_ANS_MAGIC1))
        return NT_ERROR(BAD_MAGIC);
    if (size >= 3 && (src[2] >> 4) != NT_ANS_VERSION)
        return NT_ERROR(BAD_VERSION);
    if (size < 6)
        return NT_ERROR(SRC_TRUNCATED);
    if (src[2] != nt_ans_header_kind(c) || (uint16_t)(src[3] | (src[4] << 8)) != c->fingerprint)
        return NT_ERROR(WRONG_TYPE);
    used = nt_varint_get(src + 5, size - 5, n);
    if (!used)
        return (size - 5 < 9 && (src[size - 1] & 0x80)) ? NT_ERROR(SRC_TRUNCATED) : NT_ERROR(CORRUPT_HEADER);
    if (*n > NT_ANS_MAX_COUNT)
        return NT_ERROR(CORRUPT_HEADER);
    return 5 + used;
}

/* ------------------------------------------------------------------ block encoder */

/* The working tables of one block: the static ones, or ones built from an adaptive model. */
typedef struct {
    int log;
    const uint32_t *norm;
    const nt_tans_dcell *tans_dt;
    const uint32_t *tans_state;
    const nt_tans_csym *tans_csym;
    const nt_rans_dcell *rans_dt;
    uint32_t *cumul;            /* rANS encoder: cumulative counts (ncodes + 2) */
} nt_ans_tables;

/* ------------------------------------------------------------------ blocks and chunks */

/* A block's words are cut into chunks of c->chunk words. Each chunk is its raw part (the raw
 * bits of its words, packed MSB-first, byte-padded; for a type whose codes have different raw
 * widths, preceded by its byte length as a varint) followed by its ANS part (the state bits of
 * its words and any escaped codes, byte-padded). The first chunk's ANS part starts with the
 * sentinel and the initial states. Raw bits never share a byte with ANS bits: a decoder reads
 * raw bits at fixed places and ANS bits from a narrow window. */

/* Bytes of a chunk's raw part when all codes have the same raw width. */
NT_INLINE size_t nt_ans_raw_part_size(const nt_ans_codec *c, size_t nc)
{
    return (size_t)(((uint64_t)nc * (uint64_t)c->raw_bits_max + 7) / 8);
}

/* Writes the raw part of words [i0, i0 + nc) of src at dst. Returns bytes written, or an error. */
NT_INLINE size_t nt_ans_put_raw_part(const nt_ans_codec *c, const void *src, size_t i0, size_t nc, uint8_t *dst,
                                     size_t cap, nt_split_fn split)
{
    const int uniform = c->raw_bits_min == c->raw_bits_max, R = c->raw_bits_max;
    size_t at = 0;
    if (uniform && R == 8) {
        if (nc > cap)
            return NT_ERROR(DST_TOO_SMALL);
        for (size_t i = 0; i < nc; i++) {
            uint64_t raw;
            split(nt_load_word(src, i0 + i, c->word_bytes), &raw);
            dst[i] = (uint8_t)raw;
        }
        return nc;
    }
    if (uniform && R > 0 && R <= 32) {
        /* Every word R bits: packed through a 64-bit accumulator, 32 bits stored at a time. */
        const size_t bytes = nt_ans_raw_part_size(c, nc);
        uint64_t acc = 0;
        int nacc = 0;
        size_t i = 0;
        uint8_t tail[4];
        if (bytes > cap)
            return NT_ERROR(DST_TOO_SMALL);
        /* Below 8 bits, eight words are R whole bytes: put together without a chain through an
         * accumulator and stored as one 64-bit word while 8 bytes fit in the part (the next
         * group overwrites the 8 - R bytes past its own). The rest goes on below. */
        if (R < 8)
            for (; i + 8 <= nc && at + 8 <= bytes; i += 8, at += (size_t)R) {
                uint64_t r[8];
                for (int j = 0; j < 8; j++)
                    split(nt_load_word(src, i0 + i + (size_t)j, c->word_bytes), &r[j]);
                nt_ans_store_be64(dst + at, ((r[0] << (7 * R)) | (r[1] << (6 * R)) | (r[2] << (5 * R)) |
                                             (r[3] << (4 * R)) | (r[4] << (3 * R)) | (r[5] << (2 * R)) |
                                             (r[6] << R) | r[7]) << (64 - 8 * R));
            }
        for (; i < nc; i++) {
            uint64_t raw;
            split(nt_load_word(src, i0 + i, c->word_bytes), &raw);
            acc = (acc << R) | raw;
            nacc += R;
            if (nacc >= 32) {
                const uint32_t v = (uint32_t)(acc >> (nacc - 32));
                nacc -= 32;
                dst[at] = (uint8_t)(v >> 24);
                dst[at + 1] = (uint8_t)(v >> 16);
                dst[at + 2] = (uint8_t)(v >> 8);
                dst[at + 3] = (uint8_t)v;
                at += 4;
            }
        }
        if (nacc > 0) { /* the last bits, then zeros to the byte */
            const uint32_t v = (uint32_t)(acc << (32 - nacc));
            tail[0] = (uint8_t)(v >> 24);
            tail[1] = (uint8_t)(v >> 16);
            tail[2] = (uint8_t)(v >> 8);
            tail[3] = (uint8_t)v;
            memcpy(dst + at, tail, bytes - at);
        }
        return bytes;
    }
    {
        /* Generic: count the bytes first (for the varint), then pack. */
        uint64_t bits = 0;
        size_t bytes, vl = 0;
        nt_fbitw w;
        for (size_t i = 0; i < nc && !uniform; i++) {
            uint64_t raw;
            bits += (uint64_t)c->raw_bits[split(nt_load_word(src, i0 + i, c->word_bytes), &raw)];
        }
        if (uniform)
            bits = (uint64_t)nc * (uint64_t)R;
        bytes = (size_t)((bits + 7) / 8);
        if (!uniform) {
            uint8_t v[10];
            vl = nt_varint_put(v, bytes);
            if (vl > cap)
                return NT_ERROR(DST_TOO_SMALL);
            memcpy(dst, v, vl);
        }
        w.p = dst + vl;
        w.cap = cap - vl;
        w.len = 0;
        w.acc = 0;
        w.nacc = 0;
        w.overflow = 0;
        for (size_t i = 0; i < nc; i++) {
            uint64_t raw;
            const int rb = c->raw_bits[split(nt_load_word(src, i0 + i, c->word_bytes), &raw)];
            if (rb > 32) {
                nt_fbitw_put(&w, (uint32_t)(raw >> 32), rb - 32);
                nt_fbitw_put(&w, (uint32_t)raw, 32);
            } else {
                nt_fbitw_put(&w, (uint32_t)raw, rb);
            }
        }
        nt_fbitw_flush(&w);
        if (w.overflow)
            return NT_ERROR(DST_TOO_SMALL);
        at = vl + w.len;
    }
    return at;
}

/* The fast paths (1, 2, 4 or 8 lanes) keep the lane states in named scalars s0..s7, which the
 * compiler holds in registers; an array indexed by a variable lane would live in memory. */
#define NT_LANES_LOAD(T, st)                                                                        \
    T s0 = (st)[0], s1 = lanes > 1 ? (st)[1] : 0, s2 = lanes > 2 ? (st)[2] : 0;                     \
    T s3 = lanes > 2 ? (st)[3] : 0, s4 = lanes > 4 ? (st)[4] : 0, s5 = lanes > 4 ? (st)[5] : 0;     \
    T s6 = lanes > 4 ? (st)[6] : 0, s7 = lanes > 4 ? (st)[7] : 0
#define NT_LANES_SAVE(st)                                                                           \
    do {                                                                                            \
        (st)[0] = (uint32_t)s0;                                                                     \
        if (lanes > 1)                                                                              \
            (st)[1] = (uint32_t)s1;                                                                 \
        if (lanes > 2) {                                                                            \
            (st)[2] = (uint32_t)s2;                                                                 \
            (st)[3] = (uint32_t)s3;                                                                 \
        }                                                                                           \
        if (lanes > 4) {                                                                            \
            (st)[4] = (uint32_t)s4;                                                                 \
            (st)[5] = (uint32_t)s5;                                                                 \
            (st)[6] = (uint32_t)s6;                                                                 \
            (st)[7] = (uint32_t)s7;                                                                 \
        }                                                                                           \
    } while (0)

/* Encodes the ANS parts of words [0, n) of src (one block) into w, last word first, and records
 * where each chunk's part starts: seg[k] for chunk k, seg[nchunks] = the end. */
NT_INLINE int nt_ans_encode_block(const nt_ans_codec *c, const nt_ans_tables *t, const void *src, size_t n,
                                  nt_bitw *w, nt_split_fn split, uint8_t **seg)
{
    const int lanes = c->lanes, log = t->log, esc = c->ncodes;
    const size_t chunk = c->chunk, nchunks = (n + chunk - 1) / chunk;
    uint32_t st[NT_ANS_MAX_LANES];
    int j = n ? (int)((n - 1) % (size_t)lanes) : 0; /* lane of the last word */
    const uint32_t size = 1u << log;
    const int S = log + NT_ANS_RANS_EXTRA;
    const uint32_t L = 1u << S;
    for (int l = 0; l < lanes; l++)
        st[l] = c->coder == 0 ? size : L; /* tANS: state index 0; rANS: x = L */
    seg[nchunks] = w->p;
    for (size_t k = nchunks; k-- > 0;) {
        const size_t i0 = k * chunk;
        nt_bitw_flush(w);
        if (k + 1 < nchunks) {
            nt_bitw_finish(w); /* chunk k + 1's ANS part starts on a byte, with its sentinel */
            seg[k + 1] = w->p;
        }
        size_t i = (k + 1 == nchunks ? n : i0 + chunk);
        if (c->coder == 0 && (lanes == 1 || lanes == 2 || lanes == 4 || lanes == 8) && chunk % 8 == 0) {
            /* Fast path for tANS: the words above the last whole round one by one, then whole
             * rounds of `lanes` words, last lane first, with the states in named scalars. */
            while (i > i0 && i % (size_t)lanes) {
                const size_t w_ = --i;
                uint64_t raw;
                const int code = split(nt_load_word(src, w_, c->word_bytes), &raw);
                const int escaped = !c->adaptive && t->norm[code] == 0;
                const nt_tans_csym cs = t->tans_csym[escaped ? esc : code];
                const uint32_t x = st[j];
                int nb;
                if (escaped)
                    nt_bitw_prepend(w, (uint64_t)code, c->code_bits);
                nb = (int)((x + cs.delta_nb) >> 16);
                nt_bitw_add(w, x & ((1u << nb) - 1), nb);
                nt_bitw_flush(w);
                st[j] = t->tans_state[(int32_t)(x >> nb) + cs.find_state];
                j = j ? j - 1 : lanes - 1;
            }
            NT_LANES_LOAD(uint32_t, st);
/* Word I in lane state S: an escaped code first (static models only), then the state bits. */
#define NT_TANS_ENC_WORD(S, I, FLUSH)                                                               \
    do {                                                                                            \
        uint64_t raw_;                                                                              \
        const int code_ = split(nt_load_word(src, (I), c->word_bytes), &raw_);                      \
        const int escaped_ = !c->adaptive && t->norm[code_] == 0;                                   \
        const nt_tans_csym cs_ = t->tans_csym[escaped_ ? esc : code_];                              \
        const int nb_ = (int)((S + cs_.delta_nb) >> 16);                                            \
        if (NT_UNLIKELY(escaped_)) {                                                                \
            nt_bitw_flush(w); /* (prepend takes at most 32 pending bits) */                         \
            nt_bitw_prepend(w, (uint64_t)code_, c->code_bits);                                      \
        }                                                                                           \
        nt_bitw_add(w, S & ((1u << nb_) - 1), nb_);                                                 \
        if (FLUSH)                                                                                  \
            nt_bitw_flush(w);                                                                       \
        S = t->tans_state[(int32_t)(S >> nb_) + cs_.find_state];                                    \
    } while (0)
            /* A word adds at most `log` bits and a flush leaves at most 7 pending: with log <= 14,
             * four words fit in the 64-bit accumulator between flushes. */
            const int flush2 = log > 14;
            while (i > i0) {
                i -= (size_t)lanes;
                if (lanes > 4) {
                    NT_TANS_ENC_WORD(s7, i + 7, 0);
                    NT_TANS_ENC_WORD(s6, i + 6, flush2);
                    NT_TANS_ENC_WORD(s5, i + 5, 0);
                    NT_TANS_ENC_WORD(s4, i + 4, 1);
                }
                if (lanes > 2) {
                    NT_TANS_ENC_WORD(s3, i + 3, 0);
                    NT_TANS_ENC_WORD(s2, i + 2, flush2);
                }
                if (lanes > 1)
                    NT_TANS_ENC_WORD(s1, i + 1, 0);
                NT_TANS_ENC_WORD(s0, i, 1);
            }
#undef NT_TANS_ENC_WORD
            NT_LANES_SAVE(st);
            j = lanes - 1; /* the lane of word i0 - 1 */
            continue;
        }
        while (i-- > i0) {
            uint64_t raw;
            const int code = split(nt_load_word(src, i, c->word_bytes), &raw);
            const int escaped = t->norm[code] == 0, sym = escaped ? esc : code;
            const uint32_t x = st[j];
            if (escaped)
                nt_bitw_prepend(w, (uint64_t)code, c->code_bits);
            if (c->coder == 0) {
                /* at most 16 state bits a word: flush every other word */
                const nt_tans_csym cs = t->tans_csym[sym];
                const int nb = (int)((x + cs.delta_nb) >> 16);
                nt_bitw_add(w, x & ((1u << nb) - 1), nb);
                if (i & 1)
                    nt_bitw_flush(w);
                st[j] = t->tans_state[(int32_t)(x >> nb) + cs.find_state];
            } else {
                const uint32_t f = t->norm[sym];
                uint32_t y;
                int nb = log - nt_ans_highbit32(f); /* then x >> nb has highbit S - nb */
                if (nb > 0 && (x >> nb) < (f << (S - log)))
                    nb--;
                y = x >> nb; /* y in [f 2^(S-P), 2 f 2^(S-P)) */
                nt_bitw_prepend(w, x & ((1u << nb) - 1), nb);
                st[j] = ((y / f) << log) + (y % f) + t->cumul[sym]; /* x = C(s, y) */
            }
            j = j ? j - 1 : lanes - 1;
        }
    }
    nt_bitw_flush(w);
    for (int l = lanes; l-- > 0;)
        nt_bitw_prepend(w, st[l] - (c->coder == 0 ? size : L), c->coder == 0 ? log : S);
    nt_bitw_finish(w);
    seg[0] = w->p;
    return w->overflow ? -1 : 0;
}

/* ------------------------------------------------------------------ block decoder */

/* The end of a word on the careful paths, after its state: an escaped code's number, the checks,
 * then the word join(code, its raw bits) stored as word i0 + i of dst (i: its place in the
 * chunk, which places a uniform raw width's bits). Returns 0 or an error code. */
NT_INLINE int nt_ans_word_out(const nt_ans_codec *c, nt_bitr *r, nt_bitr *rr, int code, void *dst, size_t i0,
                              size_t i, nt_join_fn join)
{
    if (code == c->ncodes) {
        code = (int)nt_bitr_read(r, c->code_bits);
        if (code >= c->ncodes)
            return NT_ERR_CORRUPT_DATA;
    }
    if (nt_bitr_over(r))
        return NT_ERR_SRC_TRUNCATED;
    if (c->raw_bits_min == c->raw_bits_max)
        rr->pos = (uint64_t)i * (uint64_t)c->raw_bits_max;
    nt_store_word(dst, i0 + i, join(code, nt_bitr_read_wide(rr, c->raw_bits[code])), c->word_bytes);
    return nt_bitr_over(rr) ? NT_ERR_CORRUPT_DATA : 0;
}

/* Decodes the n words of one block from src (avail bytes); *used is set to the bytes the block
 * took. Returns 0 or an error code (positive NT_ERR_*). */
NT_INLINE int nt_ans_decode_block(const nt_ans_codec *c, const nt_ans_tables *t, const uint8_t *src,
                                  size_t avail, void *dst, size_t n, nt_join_fn join, size_t *used)
{
    const int lanes = c->lanes, log = t->log, esc = c->ncodes, R = c->raw_bits_max;
    const int uniform = c->raw_bits_min == c->raw_bits_max;
    const int S = log + NT_ANS_RANS_EXTRA;
    const uint32_t L = 1u << S;
    /* cells the fast path must test for (tANS): the escape, cells with no state bits */
    const int slow = c->coder == 0 && !nt_tans_all_fast(t->norm, esc + 1, log);
    uint32_t st[NT_ANS_MAX_LANES];
    size_t p = 0;
    for (size_t i0 = 0; i0 < n; i0 += c->chunk) {
        const size_t nc = n - i0 < c->chunk ? n - i0 : c->chunk;
        const uint8_t *raw;
        size_t raw_size, i = 0;
        nt_bitr r, rr;
        /* the raw part */
        if (uniform) {
            raw_size = nt_ans_raw_part_size(c, nc);
        } else {
            uint64_t v;
            size_t vl = nt_varint_get(src + p, avail - p, &v);
            if (!vl)
                return avail - p < 10 ? NT_ERR_SRC_TRUNCATED : NT_ERR_CORRUPT_DATA;
            p += vl;
            if (v > avail - p)
                return NT_ERR_SRC_TRUNCATED;
            raw_size = (size_t)v;
        }
        if (raw_size > avail - p)
            return NT_ERR_SRC_TRUNCATED;
        raw = src + p;
        p += raw_size;
        nt_bitr_init(&rr, raw, raw_size);
        /* the ANS part: leading zero bits and a sentinel 1, then (first chunk) the states */
        if (p >= avail)
            return NT_ERR_SRC_TRUNCATED;
        if (src[p] == 0)
            return NT_ERR_CORRUPT_DATA;
        nt_bitr_init(&r, src + p, avail - p);
        r.pos = (uint64_t)(8 - nt_ans_highbit32(src[p]));
        if (i0 == 0) {
            for (int j = 0; j < lanes; j++)
                st[j] = c->coder == 0 ? (uint32_t)nt_bitr_read(&r, log) : L + (uint32_t)nt_bitr_read(&r, S);
        }
        if (c->coder == 0) {
            const nt_tans_dcell *dt = t->tans_dt;
            const int fast = uniform && R <= 57 && (lanes == 1 || lanes == 2 || lanes == 4 || lanes == 8) &&
                             c->chunk % 8 == 0;
            size_t i_stop = nc; /* where the careful path hands back to the fast one */
          again:
            /* Fast path: rounds of `lanes` words (lanes 1, 2, 4 or 8, all codes with the same raw
             * width); one 64-bit window of ANS bits serves `per` words, and every 8-byte load stays
             * inside the buffer. The states are named scalars so that they stay in registers; a
             * cell it does not take (an escape, no state bits) sends the rest of that round to the
             * careful path, which hands back at the round's end: no call inside the loop. */
            if (fast) {
                const int per = 57 / log < lanes ? 57 / log : lanes;
                const uint64_t round_bits = (uint64_t)lanes * (uint64_t)(log + c->code_bits);
                /* Positions count bits from the start of the raw part, which the ANS part follows
                 * (one base pointer for both). In the loop the ANS part has 8 bytes to spare, so
                 * a window of raw bits (whose bits past the raw part go unused) is in bounds. */
                const uint64_t rbase = (uint64_t)raw_size * 8;
                const uint64_t pos_end = (r.fast_end > round_bits ? r.fast_end - round_bits : 0) + rbase;
                uint64_t pos = r.pos + rbase, win = 0, rwin = 0;
                /* raw widths other than 8 and 16: one 64-bit window of raw bits serves rper words */
                const int raw_win = R != 8 && R != 16 && R > 0 && R <= 57;
                const int rper = raw_win ? (57 / R < lanes ? 57 / R : lanes) : 1;
                /* ... and when it serves a whole round of whole bytes (R even with 4 lanes), a
                 * pointer to the round's raw bytes replaces the bit position */
                const int raw_bytes = raw_win && rper == lanes && (lanes * R) % 8 == 0;
/* In a batch of rounds, pointers instead of indices, so that the lane states keep their
 * registers: ob, the output of the round's first word; rp (raw widths 8 and 16, and raw_bytes),
 * its raw bytes; rbit (other widths), its first raw bit. */
#define NT_TANS_RAW_LOAD(J)                                                                         \
    if (raw_bytes && (J) == 0)                                                                      \
        rwin = nt_ans_load_be64(rp);                                                                \
    else if (raw_win && !raw_bytes && (J) % rper == 0)                                              \
        rwin = nt_ans_load_be64(raw + ((rbit + (uint64_t)(J) * (uint64_t)R) >> 3))                  \
               << ((rbit + (uint64_t)(J) * (uint64_t)R) & 7)
#define NT_TANS_RAW(J)                                                                              \
    (raw_win  ? nt_ans_rotl64(rwin, (J) % rper * R + R) & (((uint64_t)1 << R) - 1)                  \
     : R == 8 ? (uint64_t)rp[J]                                                                     \
     : R == 16 ? ((uint64_t)rp[2 * (J)] << 8) | rp[2 * (J) + 1]                                     \
               : 0) /* R = 0: no raw bits */
#define NT_TANS_STORE(J, W)                                                                         \
    do {                                                                                            \
        if (c->sym_word)                                                                            \
            ((uint16_t *)ob)[J] = (uint16_t)(W);                                                    \
        else                                                                                        \
            nt_store_word(ob, (J), (W), c->word_bytes);                                             \
    } while (0)
/* One word of lane J with state S: a new window first when J starts one. With SLOW (a table with
 * cells the fast path does not take: the escape, cells with no state bits; shr = 0), such a cell
 * leaves for fast_exit with i set to that word, and the careful path decodes the rest of the
 * round; without, there is no test at all. */
#define NT_TANS_WINDOW() (win = nt_ans_load_be64(raw + (pos >> 3)) << (pos & 7))
/* A new window at word J of a round when J % PER == 0: PER a constant folds the test away; with
 * PER 0, the run-time per is counted down in wl instead of a division per word. */
#define NT_TANS_WINDOW_DUE(J, PER)                                                                  \
    ((PER) ? (J) % ((PER) ? (PER) : 1) == 0 : (J) == 0 ? (wl = per, 1) : --wl == 0 ? (wl = per, 1) : 0)
#define NT_TANS_FAST_WORD(S, J, PER, SLOW)                                                          \
    do {                                                                                            \
        const nt_tans_dcell *const e = &dt[S];                                                      \
        if (NT_TANS_WINDOW_DUE(J, PER))                                                             \
            NT_TANS_WINDOW();                                                                       \
        NT_TANS_RAW_LOAD(J);                                                                        \
        if ((SLOW) && NT_UNLIKELY(e->shr == 0)) {                                                   \
            i = (size_t)(ob - (uint8_t *)dst) / (size_t)c->word_bytes - i0 + (J);                   \
            NT_LANES_SAVE(st);                                                                      \
            goto fast_exit;                                                                         \
        } else {                                                                                    \
            /* x = base + the next nb bits; the word = join(symbol, its raw bits), with the         \
             * symbol's part from the cell when the codec has sym_word */                           \
            S = e->base + (size_t)(win >> e->shr);                                                  \
            win <<= e->nb;                                                                          \
            pos += e->nb; /* from the cell, not the window: the next load need not wait */          \
            NT_TANS_STORE(J, c->sym_word ? e->word | join(0, NT_TANS_RAW(J))                        \
                                         : join(e->sym, NT_TANS_RAW(J)));                           \
        }                                                                                           \
    } while (0)
                {
                    /* (lane of word i0 + i is i mod lanes: chunks are multiples of 8 words) */
                    /* Batches of rounds that cannot run past the end of the words or, taking the
                     * most bits a round can take, past pos_end: only a counter to check inside. */
                    const size_t i_end = nc - nc % (size_t)lanes;
                    while (i < i_end && pos < pos_end) {
                        size_t rounds = (size_t)((pos_end - pos - 1) / round_bits) + 1;
                        if (rounds > (i_end - i) / (size_t)lanes)
                            rounds = (i_end - i) / (size_t)lanes;
                        {
                            uint8_t *ob = (uint8_t *)dst + (i0 + i) * (size_t)c->word_bytes;
                            const uint8_t *rp = raw + (raw_win && !raw_bytes ? 0 : i * (size_t)R / 8);
                            uint64_t rbit = (uint64_t)i * (uint64_t)R;
                            uint8_t *const ob_stop = ob + rounds * (size_t)lanes * (size_t)c->word_bytes;
                            /* The states live in registers for one batch only (wide: a state
                             * indexes the table as it is). */
                            NT_LANES_LOAD(size_t, st);
                            int wl = 0; /* NT_TANS_WINDOW_DUE's count, with PER 0 */
/* With 4 lanes, GCC left to itself keeps one lane's state on the stack (a store and a load in
 * that lane's chain every round); an empty asm that wants the four states in registers at the top
 * of each round makes it spill a pointer instead (about 3 % faster decodes). */
#if defined(__GNUC__) && defined(__x86_64__)
#define NT_TANS_KEEP_STATES()                                                                       \
    do {                                                                                            \
        if (lanes == 4)                                                                             \
            __asm__("" : "+r"(s0), "+r"(s1), "+r"(s2), "+r"(s3));                                   \
    } while (0)
#else
#define NT_TANS_KEEP_STATES() ((void)0)
#endif
/* One round: a word of each lane, a new window every PER words. Each round asks for the stream
 * 256 bytes ahead: a chunk's ANS part begins past its raw part, where the hardware prefetcher
 * has not been, and without it the window loads wait for memory (bf16_exp_mant2 on 16 MB:
 * 0.92-0.99 against 0.79 ns a word). (A hint, not a load: past the stream's end it reads nothing.) */
#define NT_TANS_ROUNDS(PER, SLOW)                                                                   \
    for (; ob != ob_stop;) {                                                                        \
        NT_TANS_KEEP_STATES();                                                                      \
        NT_PREFETCH((const void *)((uintptr_t)raw + (uintptr_t)(pos >> 3) + 256u));                 \
        NT_TANS_FAST_WORD(s0, 0, PER, SLOW);                                                        \
        if (lanes > 1)                                                                              \
            NT_TANS_FAST_WORD(s1, 1, PER, SLOW);                                                    \
        if (lanes > 2) {                                                                            \
            NT_TANS_FAST_WORD(s2, 2, PER, SLOW);                                                    \
            NT_TANS_FAST_WORD(s3, 3, PER, SLOW);                                                    \
        }                                                                                           \
        if (lanes > 4) {                                                                            \
            NT_TANS_FAST_WORD(s4, 4, PER, SLOW);                                                    \
            NT_TANS_FAST_WORD(s5, 5, PER, SLOW);                                                    \
            NT_TANS_FAST_WORD(s6, 6, PER, SLOW);                                                    \
            NT_TANS_FAST_WORD(s7, 7, PER, SLOW);                                                    \
        }                                                                                           \
        ob += (size_t)lanes * (size_t)c->word_bytes;                                                \
        if (raw_win && !raw_bytes)                                                                  \
            rbit += (uint64_t)lanes * (uint64_t)R;                                                  \
        else                                                                                        \
            rp += (size_t)lanes * (size_t)R / 8;                                                    \
    }
                            /* One window a round (table_log <= 14 with 4 lanes) is the usual
                             * case: with PER a constant, the test of each word folds away even
                             * when the table size is only known at run time (adaptive models). */
                            if (per == lanes && !slow) {
                                NT_TANS_ROUNDS(lanes, 0)
                            } else if (per == lanes) {
                                NT_TANS_ROUNDS(lanes, 1)
                            } else {
                                NT_TANS_ROUNDS(0, 1)
                            }
                            NT_LANES_SAVE(st);
                            i += rounds * (size_t)lanes;
                        }
                    }
                }
#undef NT_TANS_ROUNDS
#undef NT_TANS_KEEP_STATES
#undef NT_TANS_FAST_WORD
#undef NT_TANS_WINDOW_DUE
#undef NT_TANS_STORE
#undef NT_TANS_RAW_LOAD
#undef NT_TANS_RAW
#undef NT_TANS_WINDOW
                i_stop = nc;
                if (0) {
                  fast_exit: /* word i, lane J: the careful path takes the round's lanes J.. */
                    i_stop = i + (size_t)lanes - (i % (size_t)lanes);
                }
                r.pos = pos - rbase;
            }
            /* Careful path: the rest of the chunk (or of a round the fast path left), with every
             * check. */
            for (; i < i_stop; i++) {
                uint32_t *x = &st[(i0 + i) % (size_t)lanes];
                const nt_tans_dcell e = dt[*x];
                int code = e.sym, err;
                *x = e.base + (uint32_t)nt_bitr_read(&r, e.nb);
                if ((err = nt_ans_word_out(c, &r, &rr, code, dst, i0, i, join)) != 0)
                    return err;
            }
            if (i < nc)
                goto again;
        } else {
            const uint32_t mask = (1u << log) - 1;
            const nt_rans_dcell *dt = t->rans_dt;
            for (; i < nc; i++) {
                uint32_t *px = &st[(i0 + i) % (size_t)lanes], x = *px;
                const nt_rans_dcell e = dt[x & mask];
                const uint32_t f = e.freq ? e.freq : (1u << 16);
                int code = e.sym, nb, err;
                x = f * (x >> log) + e.offset; /* x = f_s (x >> P) + slot - c_s */
                nb = S - nt_ans_highbit32(x);
                *px = (x << nb) | (uint32_t)nt_bitr_read(&r, nb);
                if ((err = nt_ans_word_out(c, &r, &rr, code, dst, i0, i, join)) != 0)
                    return err;
            }
        }
        /* the ANS part ends exactly on a byte boundary; the raw part is zero-padded to one */
        if (nt_bitr_over(&r))
            return NT_ERR_SRC_TRUNCATED;
        if (r.pos & 7)
            return NT_ERR_CORRUPT_DATA;
        if (uniform)
            rr.pos = (uint64_t)nc * (uint64_t)R;
        else if ((rr.pos + 7) / 8 != raw_size)
            return NT_ERR_CORRUPT_DATA; /* the varint told the size: it must be used exactly */
        if ((rr.pos & 7) && rr.pos <= rr.nbits && nt_bitr_read(&rr, (int)(8 - (rr.pos & 7))) != 0)
            return NT_ERR_CORRUPT_DATA;
        p += (size_t)(r.pos >> 3);
    }
    for (int j = 0; j < lanes; j++)
        if (st[j] != (c->coder == 0 ? 0 : L))
            return NT_ERR_CORRUPT_DATA;
    *used = p;
    return 0;
}

/* ------------------------------------------------------------------ whole streams */

/* Scratch for building one block's tables from an adaptive model (or nothing, for static). */
typedef struct {
    uint32_t *norm;             /* ncodes + 1 */
    double *count;              /* ncodes + 1 */
    uint32_t *hist;             /* encoder: 4 (ncodes + 1), the counting's four tables */
    uint32_t *scratch;
    nt_tans_dcell *tans_dt;
    uint32_t *tans_state;
    nt_tans_csym *tans_csym;
    nt_rans_dcell *rans_dt;
    uint32_t *cumul;
} nt_ans_work;

NT_FN void nt_ans_work_free(nt_ans_work *w)
{
    free(w->norm);
    free(w->count);
    free(w->hist);
    free(w->scratch);
    free(w->tans_dt);
    free(w->tans_state);
    free(w->tans_csym);
    free(w->rans_dt);
    free(w->cumul);
    memset(w, 0, sizeof *w);
}

NT_FN int nt_ans_work_alloc(nt_ans_work *w, const nt_ans_codec *c, int encoder)
{
    size_t nsym = (size_t)c->ncodes + 1, size = (size_t)1 << c->log;
    memset(w, 0, sizeof *w);
    /* (the decoder needs only the model, the scratch of the table build and the table) */
    if (encoder && !(w->cumul = (uint32_t *)calloc(nsym + 1, sizeof(uint32_t))))
        goto fail;
    if (c->adaptive) {
        w->norm = (uint32_t *)calloc(nsym, sizeof(uint32_t));
        w->scratch = (uint32_t *)malloc(NT_TANS_SCRATCH_WORDS(c->log, nsym) * sizeof(uint32_t));
        if (!w->norm || !w->scratch)
            goto fail;
        if (encoder) {
            w->count = (double *)calloc(nsym, sizeof(double));
            w->hist = (uint32_t *)malloc(4 * nsym * sizeof(uint32_t));
            if (!w->count || !w->hist)
                goto fail;
        }
        if (c->coder == 0) {
            if (encoder) {
                w->tans_state = (uint32_t *)malloc(size * sizeof(uint32_t));
                w->tans_csym = (nt_tans_csym *)malloc(nsym * sizeof(nt_tans_csym));
                if (!w->tans_state || !w->tans_csym)
                    goto fail;
            } else if (!(w->tans_dt = (nt_tans_dcell *)malloc(size * sizeof(nt_tans_dcell)))) {
                goto fail;
            }
        } else if (!encoder && !(w->rans_dt = (nt_rans_dcell *)malloc(size * sizeof(nt_rans_dcell)))) {
            goto fail;
        }
    }
    return 0;
fail:
    nt_ans_work_free(w);
    return -1;
}

NT_FN void nt_ans_cumul(const uint32_t *norm, int nsym, uint32_t *cumul)
{
    uint32_t c = 0;
    for (int s = 0; s < nsym; s++) {
        cumul[s] = c;
        c += norm[s];
    }
    cumul[nsym] = c;
}

/* Counts the codes of words [0, n) of src into count[0 .. ncodes] (as doubles, which the model
 * fitting takes). Four tables of 32-bit counts, one word in four each, so that a run of one code
 * (weights' exponents repeat) does not put each increment behind the last; summed every 2^30
 * words and at the end. h: 4 (ncodes + 1) counts of scratch. */
NT_INLINE void nt_ans_count_codes(const nt_ans_codec *c, const void *src, size_t n, nt_split_fn split, uint32_t *h,
                                  double *count)
{
    const size_t nsym = (size_t)c->ncodes + 1, slice = (size_t)1 << 30;
    uint32_t *h0 = h, *h1 = h + nsym, *h2 = h + 2 * nsym, *h3 = h + 3 * nsym;
    for (size_t s = 0; s < nsym; s++)
        count[s] = 0;
    for (size_t i0 = 0; i0 < n; i0 += slice) {
        const size_t i1 = n - i0 < slice ? n : i0 + slice;
        size_t i = i0;
        uint64_t raw;
        memset(h, 0, 4 * nsym * sizeof *h);
        for (; i + 4 <= i1; i += 4) {
            h0[split(nt_load_word(src, i, c->word_bytes), &raw)]++;
            h1[split(nt_load_word(src, i + 1, c->word_bytes), &raw)]++;
            h2[split(nt_load_word(src, i + 2, c->word_bytes), &raw)]++;
            h3[split(nt_load_word(src, i + 3, c->word_bytes), &raw)]++;
        }
        for (; i < i1; i++)
            h0[split(nt_load_word(src, i, c->word_bytes), &raw)]++;
        for (size_t s = 0; s < nsym; s++)
            count[s] += (double)h0[s] + (double)h1[s] + (double)h2[s] + (double)h3[s];
    }
}

/* The whole encoder: header, then each block (its model if adaptive, then its chunks). */
NT_INLINE size_t nt_ans_encode(const nt_ans_codec *c, void *dst, size_t cap, const void *src, size_t n,
                               nt_split_fn split)
{
    uint8_t *out = (uint8_t *)dst;
    uint8_t **seg = NULL;
    size_t pos, res;
    nt_ans_work wk;
    nt_ans_tables t;
    /* a block longer than the input is the whole input (and sizes the chunk table below) */
    const uint64_t bsize = c->block && c->block < (uint64_t)n ? c->block : (uint64_t)n;
    const int uniform = c->raw_bits_min == c->raw_bits_max;
    if (!dst || (!src && n))
        return NT_ERROR(BAD_ARGUMENT);
    if (n > NT_ANS_MAX_COUNT)
        return NT_ERROR(TOO_LARGE);
    if (c->word_bits < 8 * c->word_bytes)
        for (size_t i = 0; i < n; i++)
            if (nt_load_word(src, i, c->word_bytes) >> c->word_bits)
                return NT_ERROR(WORD_RANGE);
    res = nt_ans_header_write(out, cap, c, n);
    if (nt_ans_is_error(res) || n == 0)
        return res;
    pos = res;
    if (nt_ans_work_alloc(&wk, c, 1) != 0)
        return NT_ERROR(NO_MEMORY);
    seg = (uint8_t **)malloc(sizeof(uint8_t *) * (size_t)((bsize + c->chunk - 1) / c->chunk + 1));
    if (!seg) {
        nt_ans_work_free(&wk);
        return NT_ERROR(NO_MEMORY);
    }
    memset(&t, 0, sizeof t);
    t.log = c->log;
    t.norm = c->norm;
    t.tans_state = c->tans_state;
    t.tans_csym = c->tans_csym;
    t.cumul = wk.cumul;
    if (!c->adaptive)
        nt_ans_cumul(c->norm, c->ncodes + 1, wk.cumul);
    res = 0;
    for (uint64_t b0 = 0; b0 < n && !res; b0 += bsize) {
        const size_t bn = (size_t)((n - b0) < bsize ? (n - b0) : bsize), nchunks = (bn + c->chunk - 1) / c->chunk;
        const uint8_t *bsrc = (const uint8_t *)src + b0 * (uint64_t)c->word_bytes;
        uint64_t raw_room = uniform ? (uint64_t)(bn / c->chunk) * nt_ans_raw_part_size(c, c->chunk) +
                                          nt_ans_raw_part_size(c, bn % c->chunk)
                                    : ((uint64_t)bn * (uint64_t)c->raw_bits_max + 7) / 8 + 10 * (uint64_t)nchunks;
        nt_bitw w;
        if (c->adaptive) {
            int log;
            nt_ans_count_codes(c, bsrc, bn, split, wk.hist, wk.count);
            log = nt_ans_choose_log(wk.count, c->ncodes, c->log, c->coder == 0 ? 5 : 8, wk.norm);
            if (log < 0) {
                res = NT_ERROR(GENERIC);
                break;
            }
            res = nt_ans_model_write(out + pos, cap - pos, wk.norm, c->ncodes, log);
            if (nt_ans_is_error(res))
                break;
            pos += res;
            res = 0;
            t.log = log;
            t.norm = wk.norm;
            if (c->coder == 0) {
                nt_tans_build_ctable(wk.norm, c->ncodes + 1, log, wk.tans_state, wk.tans_csym, wk.scratch);
                t.tans_state = wk.tans_state;
                t.tans_csym = wk.tans_csym;
            } else {
                nt_ans_cumul(wk.norm, c->ncodes + 1, wk.cumul);
            }
        }
        /* The ANS parts are written backwards from the end of dst, leaving room for the raw parts;
         * then each chunk's raw part is written and its ANS part moved down after it. */
        if (raw_room > cap - pos) {
            res = NT_ERROR(DST_TOO_SMALL);
            break;
        }
        nt_bitw_init(&w, out + pos + raw_room, out + cap);
        if (nt_ans_encode_block(c, &t, bsrc, bn, &w, split, seg) != 0) {
            res = NT_ERROR(DST_TOO_SMALL);
            break;
        }
        for (size_t k = 0; k < nchunks; k++) {
            const size_t i0 = k * c->chunk, nc = bn - i0 < c->chunk ? bn - i0 : c->chunk;
            const size_t len = (size_t)(seg[k + 1] - seg[k]);
            size_t rl = nt_ans_put_raw_part(c, bsrc, i0, nc, out + pos, (size_t)(seg[k] - (out + pos)), split);
            if (nt_ans_is_error(rl)) {
                res = rl;
                break;
            }
            pos += rl;
            memmove(out + pos, seg[k], len);
            pos += len;
        }
    }
    free(seg);
    nt_ans_work_free(&wk);
    return res ? res : pos;
}

/* The whole decoder. Decodes into dst (capacity n words); returns the number of words. */
NT_INLINE size_t nt_ans_decode(const nt_ans_codec *c, void *dst, size_t n, const void *src, size_t size,
                               nt_join_fn join)
{
    const uint8_t *in = (const uint8_t *)src;
    uint64_t count, bsize;
    size_t pos, res;
    nt_ans_work wk;
    nt_ans_tables t;
    if (!src || (!dst && n))
        return NT_ERROR(BAD_ARGUMENT);
    res = nt_ans_header_read(in, size, c, &count);
    if (nt_ans_is_error(res))
        return res;
    pos = res;
    if (count > n)
        return NT_ERROR(DST_TOO_SMALL);
    if (count == 0)
        return pos == size ? 0 : NT_ERROR(CORRUPT_DATA);
    bsize = c->block ? c->block : count;
    if (nt_ans_work_alloc(&wk, c, 0) != 0)
        return NT_ERROR(NO_MEMORY);
    memset(&t, 0, sizeof t);
    t.log = c->log;
    t.norm = c->norm;
    t.tans_dt = c->tans_dt;
    t.rans_dt = c->rans_dt;
    for (uint64_t b0 = 0; b0 < count; b0 += bsize) {
        size_t bn = (size_t)((count - b0) < bsize ? (count - b0) : bsize);
        size_t used = 0;
        int err;
        if (c->adaptive) {
            int log;
            res = nt_ans_model_read(in + pos, size - pos, wk.norm, c->ncodes, &log, c->coder == 0 ? 5 : 8,
                                    c->log);
            if (nt_ans_is_error(res)) {
                nt_ans_work_free(&wk);
                return res;
            }
            pos += res;
            t.log = log;
            t.norm = wk.norm;
            if (c->coder == 0) {
                if (nt_tans_build_dtable(wk.norm, c->sym_word, c->ncodes + 1, log, wk.tans_dt, wk.scratch) != 0) {
                    nt_ans_work_free(&wk);
                    return NT_ERROR(CORRUPT_MODEL);
                }
                t.tans_dt = wk.tans_dt;
            } else {
                nt_rans_build_dtable(wk.norm, c->raw_bits, c->ncodes + 1, log, wk.rans_dt);
                t.rans_dt = wk.rans_dt;
            }
        }
        err = nt_ans_decode_block(c, &t, in + pos, size - pos, (uint8_t *)dst + b0 * (uint64_t)c->word_bytes, bn,
                                  join, &used);
        if (err) {
            nt_ans_work_free(&wk);
            return (size_t)0 - (size_t)err;
        }
        pos += used;
    }
    nt_ans_work_free(&wk);
    if (pos != size)
        return NT_ERROR(CORRUPT_DATA);
    return (size_t)count;
}

#endif /* NT_ANS_H */
