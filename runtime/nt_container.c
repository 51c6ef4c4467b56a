/*
 * nt_container.c — the .ntz container declared in nt_container.h and specified in
 * spec/container.md: planning (files -> segments), packing on N threads with an in-order writer,
 * reading and checking the index, unpacking (whole, or one tensor), and the analysis behind
 * `ntc stats`.
 *
 * Every member file is cut into segments that cover it exactly: its header bytes, each tensor's
 * data (in parts of at most NT_CONTAINER_PART_BYTES), and any bytes between or after them.
 * Unpacking writes each segment's bytes back at its offset, so the output is the input byte for
 * byte, whatever the header holds. Each segment carries XXH3-64 of its original bytes.
 *
 * Threads take segments in order; a finished segment waits for its turn to be given its place in
 * the output, so the container is the same for any -j. Each thread holds one part's buffers.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#define _DEFAULT_SOURCE 1 /* madvise(MADV_DONTNEED): glibc's posix_madvise ignores DONTNEED */
#include "nt_container.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>
#ifdef __SSE2__
#include <emmintrin.h> /* plane_join */
#endif

/* XXH3-64 in the library's widest vector code for this CPU where the library has its x86
 * dispatch (Debian's does; its plain XXH3_64bits is the scalar code, several times slower), else
 * the plain one: the same hashes. The dispatch entry is a weak reference, so that a libxxhash
 * built without it still links. */
#if defined(__GNUC__) && defined(__ELF__) && (defined(__x86_64__) || defined(__i386__))
extern XXH64_hash_t XXH3_64bits_dispatch(const void *input, size_t len) __attribute__((weak));
static XXH64_hash_t hash64(const void *p, size_t n)
{
    return XXH3_64bits_dispatch ? XXH3_64bits_dispatch(p, n) : XXH3_64bits(p, n);
}
#else
#define hash64 XXH3_64bits
#endif

#define HEAD_SIZE 16
#define TAIL_SIZE 40
#define INDEX_MAX ((uint64_t)1 << 30)   /* an index (uncompressed) larger than this is refused */
static const uint8_t head_magic[8] = {0x89, 'N', 'T', 'Z', '\r', '\n', 0x1a, '\n'};
static const uint8_t tail_magic[8] = {0x89, 'N', 'T', 'Z', 'E', 'N', 'D', '\n'};
static const uint8_t index_magic[4] = {'N', 'T', 'Z', 'I'};

enum { SEG_TENSOR = 0, SEG_HEADER = 1, SEG_BYTES = 2 };
enum { FILE_SAFETENSORS = 0, FILE_NPY = 1, FILE_BYTES = 2 };
#define INDEX_FLAG_DIRECTORY 1u
/* A group member follows the segment before it of its dtype by at most this many segments. */
#define GROUP_REACH 64
#define TYPE_SOURCE_MAX ((uint64_t)1 << 20)

/* ------------------------------------------------------------------ errors */

static int errf(char *err, size_t errlen, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static int errf(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (!err || !errlen)
        return -1;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    for (char *p = err; *p; p++) /* names come from files: one printable line */
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    return -1;
}

/* ------------------------------------------------------------------ little-endian bytes */

typedef struct {
    uint8_t *p;
    size_t len, cap;
    int oom;
} buf_t;

static void buf_put(buf_t *b, const void *src, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *np = realloc(b->p, cap);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint64_t get_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static void buf_le(buf_t *b, uint64_t v, int n)
{
    uint8_t t[8];
    put_le(t, v, n);
    buf_put(b, t, (size_t)n);
}

/* A bounds-checked reader of the index. */
typedef struct {
    const uint8_t *p;
    size_t len, pos;
    int bad;
} rd_t;

static uint64_t rd_le(rd_t *r, int n)
{
    if (r->bad || r->len - r->pos < (size_t)n) {
        r->bad = 1;
        return 0;
    }
    r->pos += (size_t)n;
    return get_le(r->p + r->pos - n, n);
}

/* A length-prefixed string, copied with a terminating zero (NULL on error). */
static char *rd_str(rd_t *r, int lenbytes)
{
    uint64_t n = rd_le(r, lenbytes);
    char *s;
    if (r->bad || r->len - r->pos < n) {
        r->bad = 1;
        return NULL;
    }
    if (memchr(r->p + r->pos, 0, (size_t)n)) {
        r->bad = 1;
        return NULL;
    }
    s = malloc((size_t)n + 1);
    if (!s) {
        r->bad = 1;
        return NULL;
    }
    memcpy(s, r->p + r->pos, (size_t)n);
    s[n] = 0;
    r->pos += (size_t)n;
    return s;
}

/* ------------------------------------------------------------------ the in-memory index */

typedef struct {
    char *name;         /* relative path, '/'-separated */
    uint64_t size;
    int kind;
    /* pack only */
    nt_tensor_file tf;
    const uint8_t *map;
    int own_map;        /* map is ours (FILE_BYTES), else tf's */
} file_t;

typedef struct {
    uint32_t file;
    int kind;
    int codec;
    char dtype[16];
    uint32_t part, nparts;
    uint64_t offset, length;
    uint64_t payload_offset, payload_size;
    uint64_t xxh3;
    char *name;         /* tensor name; "" for header and bytes segments */
    /* unpack only: the segment whose stream holds this one's words (itself unless it is a member of
     * a group, codec NT_CONTAINER_CODEC_GROUP), where they start in what that stream decodes to, the
     * next member of the group (0: none), and for a head, the bytes its stream decodes to */
    uint64_t head, group_off, next_member, group_len;
    /* pack only */
    nt_dtype dt;
    int word_bytes;
} seg_t;

typedef struct {
    file_t *files;
    uint32_t nfiles;
    seg_t *segs;
    uint64_t nsegs, segs_cap;
    uint32_t flags;
    char *type_source;
    /* reading */
    const uint8_t *map;
    uint64_t map_size;
    int fd;             /* the container, open, payloads are read from it (container_open); 0: none */
    uint64_t data_end;  /* payloads lie in [HEAD_SIZE, data_end) */
    uint8_t *index_raw; /* the decompressed index */
    ZSTD_DCtx *dc;      /* the index's zstd context, handed on to an unpack worker (making one
                         * costs about 8 us, as much as decoding a small frame ten times) */
} index_t;

static void index_free(index_t *x)
{
    ZSTD_freeDCtx(x->dc);
    for (uint32_t i = 0; i < x->nfiles; i++) {
        file_t *f = &x->files[i];
        if (f->own_map && f->map)
            munmap((void *)f->map, (size_t)f->size);
        else
            nt_tensor_file_close(&f->tf);
        free(f->name);
    }
    for (uint64_t i = 0; i < x->nsegs; i++)
        free(x->segs[i].name);
    free(x->files);
    free(x->segs);
    free(x->type_source);
    free(x->index_raw);
    if (x->map)
        munmap((void *)x->map, (size_t)x->map_size);
    if (x->fd > 0)
        close(x->fd);
    memset(x, 0, sizeof *x);
}

static seg_t *seg_add(index_t *x)
{
    if (x->nsegs == x->segs_cap) {
        uint64_t cap = x->segs_cap ? x->segs_cap * 2 : 64;
        seg_t *ns = realloc(x->segs, (size_t)cap * sizeof *ns);
        if (!ns)
            return NULL;
        x->segs = ns;
        x->segs_cap = cap;
    }
    seg_t *s = &x->segs[x->nsegs++];
    memset(s, 0, sizeof *s);
    return s;
}

/* The dtypes the pairs may code (by bits of nt_dtype), and their word sizes. */
static int dtype_word_bytes(nt_dtype d)
{
    switch (d) {
    case NT_DT_BF16:
    case NT_DT_F16:
        return 2;
    case NT_DT_F32:
        return 4;
    default:
        return 0;
    }
}

/* Adds segments for bytes [off, off + len) of file fi: parts of at most the part size. */
static int add_range(index_t *x, uint32_t fi, int kind, const nt_tensor *t, uint64_t off, uint64_t len)
{
    uint64_t part = NT_CONTAINER_PART_BYTES, nparts = len ? (len + part - 1) / part : 1;
    if (nparts > UINT32_MAX)
        return -1;
    for (uint64_t k = 0; k < nparts; k++) {
        seg_t *s = seg_add(x);
        if (!s)
            return -1;
        s->file = fi;
        s->kind = kind;
        s->part = (uint32_t)k;
        s->nparts = (uint32_t)nparts;
        s->offset = off + k * part;
        s->length = (k + 1 < nparts) ? part : len - k * part;
        s->dt = NT_DT_OTHER;
        if (t) {
            s->dt = t->dtype;
            snprintf(s->dtype, sizeof s->dtype, "%s", t->dtype_name);
            s->word_bytes = dtype_word_bytes(t->dtype);
        }
        s->name = strdup(t ? t->name : "");
        if (!s->name)
            return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ planning a pack */

static int has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && strcmp(s + n - m, suf) == 0;
}

/* Maps the file at path whole; with keep_fd, leaves it open there (else 0: fd 0, not ours, is
 * never kept). */
static int map_whole(const char *path, const uint8_t **map, uint64_t *size, int *keep_fd, char *err, size_t errlen)
{
    struct stat st;
    int fd = open(path, O_RDONLY);
    *map = NULL;
    *size = 0;
    if (fd < 0)
        return errf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return errf(err, errlen, "%s: not a regular file", path);
    }
    *size = (uint64_t)st.st_size;
    if (st.st_size > 0) {
        void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            int e = errno;
            close(fd);
            return errf(err, errlen, "%s: cannot map: %s", path, strerror(e));
        }
        *map = m;
    }
    if (keep_fd && fd > 0)
        *keep_fd = fd;
    else
        close(fd);
    return 0;
}

/* Adds one member file: parsed (safetensors, .npy) and cut into segments, or stored as bytes. */
static int plan_file(index_t *x, const char *path, const char *name, char *err, size_t errlen)
{
    file_t *nf = realloc(x->files, (x->nfiles + 1) * sizeof *nf);
    uint32_t fi = x->nfiles;
    if (!nf)
        return errf(err, errlen, "out of memory");
    x->files = nf;
    file_t *f = &x->files[fi];
    memset(f, 0, sizeof *f);
    x->nfiles++;
    if (!(f->name = strdup(name)))
        return errf(err, errlen, "out of memory");
    if (strlen(name) > 65535)
        return errf(err, errlen, "%s: file name too long", path);
    if (has_suffix(path, ".safetensors") || has_suffix(path, ".npy")) {
        char e[512];
        if (nt_tensor_file_open(&f->tf, path, 0, e, sizeof e) != 0)
            return errf(err, errlen, "%s", e);
        f->map = f->tf.map;
        f->size = f->tf.map_size;
        f->kind = f->tf.kind == NT_TF_NPY ? FILE_NPY : FILE_SAFETENSORS;
        /* header, then tensors in offset order with whatever lies between them stored as bytes */
        uint64_t at = f->tf.header_size;
        if (add_range(x, fi, SEG_HEADER, NULL, 0, at) != 0)
            return errf(err, errlen, "out of memory");
        for (int i = 0; i < f->tf.ntensors; i++) {
            const nt_tensor *t = &f->tf.tensors[i];
            if (strlen(t->name) > 65535)
                return errf(err, errlen, "%s: tensor name too long", path);
            if (t->size == 0)
                continue; /* empty tensors own no bytes: the header carries them */
            if (t->offset < at)
                return errf(err, errlen, "%s: tensor '%s' overlaps another", path, t->name);
            if (t->offset > at && add_range(x, fi, SEG_BYTES, NULL, at, t->offset - at) != 0)
                return errf(err, errlen, "out of memory");
            if (add_range(x, fi, SEG_TENSOR, t, t->offset, t->size) != 0)
                return errf(err, errlen, "out of memory");
            at = t->offset + t->size;
        }
        if (at < f->size && add_range(x, fi, SEG_BYTES, NULL, at, f->size - at) != 0)
            return errf(err, errlen, "out of memory");
        return 0;
    }
    if (map_whole(path, &f->map, &f->size, NULL, err, errlen) != 0)
        return -1;
    f->own_map = 1;
    f->kind = FILE_BYTES;
    if (f->size && add_range(x, fi, SEG_BYTES, NULL, 0, f->size) != 0)
        return errf(err, errlen, "out of memory");
    return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Every regular file under dir (recursively, sorted by relative name). */
static int plan_dir(index_t *x, const char *dir, const char *rel, int depth, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *e;
    if (!d)
        return errf(err, errlen, "%s: cannot open directory: %s", dir, strerror(errno));
    if (depth > 32) {
        closedir(d);
        return errf(err, errlen, "%s: directories nested too deeply", dir);
    }
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn) {
                rc = errf(err, errlen, "out of memory");
                break;
            }
            names = nn;
        }
        if (!(names[n++] = strdup(e->d_name))) {
            rc = errf(err, errlen, "out of memory");
            break;
        }
    }
    closedir(d);
    if (rc == 0)
        qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n && rc == 0; i++) {
        size_t pl = strlen(dir) + strlen(names[i]) + 2, rl = strlen(rel) + strlen(names[i]) + 2;
        char *path = malloc(pl), *r = malloc(rl);
        struct stat st;
        if (!path || !r) {
            free(path);
            free(r);
            rc = errf(err, errlen, "out of memory");
            break;
        }
        snprintf(path, pl, "%s/%s", dir, names[i]);
        snprintf(r, rl, "%s%s%s", rel, *rel ? "/" : "", names[i]);
        if (stat(path, &st) != 0)
            rc = errf(err, errlen, "%s: %s", path, strerror(errno));
        else if (S_ISDIR(st.st_mode))
            rc = plan_dir(x, path, r, depth + 1, err, errlen);
        else if (S_ISREG(st.st_mode))
            rc = plan_file(x, path, r, err, errlen);
        /* other kinds (sockets, devices) are skipped */
        free(path);
        free(r);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* ------------------------------------------------------------------ codes, bounds, choosing */

/* Per pair: the code and raw-bit count of every 16-bit key, tabulated once. */
typedef struct {
    const nt_pair *p;
    uint16_t *code;     /* 65536 */
    uint8_t *raw;       /* 65536 */
    int same;           /* 1 + an earlier pair with the same codes and raw bits for every key (and
                         * the same dtypes, word size and code count), whose bound it shares; 0 */
} pair_tab_t;

typedef struct {
    pair_tab_t tab[NT_CONTAINER_MAX_PAIRS];
    int n;
    const nt_pair *forced;
    double fast_slack;
    int (*type_pair)(void *user, const char *source, const nt_pair **pair);
    void *type_user;
} pairs_t;

static void pairs_free(pairs_t *ps)
{
    for (int i = 0; i < ps->n; i++) {
        free(ps->tab[i].code);
        free(ps->tab[i].raw);
    }
    memset(ps, 0, sizeof *ps);
}

static int pairs_init(pairs_t *ps, const nt_pack_options *opt, char *err, size_t errlen)
{
    memset(ps, 0, sizeof *ps);
    int n = opt ? opt->npairs : 0;
    if (n > NT_CONTAINER_MAX_PAIRS - 1)
        return errf(err, errlen, "too many coding pairs");
    for (int i = 0; i <= n; i++) {
        const nt_pair *p = i < n ? &opt->pairs[i] : (opt ? opt->forced : NULL);
        if (p)
            ps->tab[ps->n++].p = p;
    }
    ps->forced = opt ? opt->forced : NULL;
    ps->fast_slack = opt ? opt->fast_slack : 0;
    ps->type_pair = opt ? opt->type_pair : NULL;
    ps->type_user = opt ? opt->type_user : NULL;
    return 0;
}

/* Makes p the forced pair, in the place of the one there was. */
static int pairs_force(pairs_t *ps, const nt_pair *p, char *err, size_t errlen)
{
    int k = 0;
    while (k < ps->n && (!ps->forced || ps->tab[k].p != ps->forced))
        k++;
    if (k == ps->n) {
        if (ps->n == NT_CONTAINER_MAX_PAIRS)
            return errf(err, errlen, "too many coding pairs");
        ps->n++;
    }
    free(ps->tab[k].code);
    free(ps->tab[k].raw);
    memset(&ps->tab[k], 0, sizeof ps->tab[k]);
    ps->tab[k].p = p;
    ps->forced = p;
    return 0;
}

/* Tabulates the code and raw bits of every key for the pairs that code one of the dtypes in
 * mask (bits 1 << nt_dtype): what the bounds need. Done before any thread starts. */
static int pairs_tables(pairs_t *ps, unsigned mask, char *err, size_t errlen)
{
    if (mask & (1u << NT_DT_F32))
        mask |= 1u << NT_DT_BF16; /* codec fp32_planes codes the high halves as bf16 words */
    for (int i = 0; i < ps->n; i++) {
        pair_tab_t *t = &ps->tab[i];
        const nt_pair *p = t->p;
        if (!(p->dtypes & mask) || !p->code_of || t->code)
            continue;
        t->code = malloc(65536 * sizeof *t->code);
        t->raw = malloc(65536);
        if (!t->code || !t->raw)
            return errf(err, errlen, "out of memory");
        if (p->code_split) {
            /* 512 calls instead of 65536: a key's code from its two bytes' */
            uint16_t hi[256], lo[256];
            int rb = 0, c;
            for (uint32_t b = 0; b < 256; b++) {
                c = p->code_of(p->ctx, b << 8, &rb);
                hi[b] = (uint16_t)(c < 0 ? 0 : c);
                c = p->code_of(p->ctx, b, &rb);
                lo[b] = (uint16_t)(c < 0 ? 0 : c);
            }
            for (uint32_t k = 0; k < 65536; k++)
                t->code[k] = (uint16_t)(hi[k >> 8] | lo[k & 255]);
            memset(t->raw, rb, 65536);
        } else {
            for (uint32_t k = 0; k < 65536; k++) {
                int rb = 0, c = p->code_of(p->ctx, k, &rb);
                t->code[k] = (uint16_t)(c < 0 ? 0 : c);
                t->raw[k] = (uint8_t)rb;
            }
        }
        for (int j = 0; j < i && !t->same; j++) {
            const pair_tab_t *u = &ps->tab[j];
            if (u->code && !u->same && u->p->dtypes == p->dtypes && u->p->word_bytes == p->word_bytes &&
                u->p->ncodes == p->ncodes && memcmp(u->code, t->code, 65536 * sizeof *t->code) == 0 &&
                memcmp(u->raw, t->raw, 65536) == 0)
                t->same = j + 1;
        }
    }
    return 0;
}

static const nt_pair *pairs_find(const pairs_t *ps, int id)
{
    for (int i = 0; i < ps->n; i++)
        if (ps->tab[i].p->id == id)
            return ps->tab[i].p;
    return NULL;
}

static double bound_from_counts(const uint64_t *cc, int ncodes, uint64_t n, double raw_bits)
{
    double bits = raw_bits;
    for (int c = 0; c < ncodes; c++)
        if (cc[c])
            bits += (double)cc[c] * log2((double)n / (double)cc[c]);
    return bits;
}

double nt_pair_bound_bits(const nt_pair *p, const uint64_t *hist)
{
    uint64_t *cc = calloc((size_t)(p->ncodes > 0 ? p->ncodes : 1), sizeof *cc), n = 0;
    double raw = 0, bits;
    if (!cc)
        return -1;
    for (uint32_t k = 0; k < 65536; k++) {
        if (!hist[k])
            continue;
        int rb = 0, c = p->code_of(p->ctx, k, &rb);
        if (c >= 0 && c < p->ncodes)
            cc[c] += hist[k];
        raw += (double)hist[k] * rb;
        n += hist[k];
    }
    bits = bound_from_counts(cc, p->ncodes, n, raw);
    free(cc);
    return bits;
}

static uint32_t key_of(const uint8_t *w, size_t i, int wb)
{
    uint16_t v;
    memcpy(&v, w + i * (size_t)wb + (size_t)(wb - 2), 2); /* little-endian: the top 16 bits */
    return v;
}

/* Pairs whose codes seg_bounds counts in one pass over a small part's words. */
#define SEG_PAIRS 4
/* Below this many words, seg_bounds counts each word's codes directly (about 5 instructions a
 * word and pair); from it, a histogram of the 65536 keys first (a 512 KiB clear, 2 a word, then
 * about 8 a key and pair). */
#define SEG_SMALL 131072

/* Per-thread scratch. */
typedef struct {
    uint64_t *hist;     /* 65536 */
    uint64_t *cc;       /* SEG_PAIRS x 4096 code counts */
    uint8_t *aligned;   /* a part's words, when the mapping is not aligned for them */
    size_t aligned_cap;
    uint8_t *out[2];
    size_t out_cap[2];
    uint8_t *split;     /* codec fp32_planes: a part's high halves, then its two low byte planes */
    size_t split_cap;
    ZSTD_CCtx *zc;      /* one zstd context for every frame (a new one each time costs its setup) */
} scratch_t;

static void scratch_free(scratch_t *s)
{
    free(s->hist);
    free(s->cc);
    free(s->aligned);
    free(s->out[0]);
    free(s->out[1]);
    free(s->split);
    ZSTD_freeCCtx(s->zc);
    memset(s, 0, sizeof *s);
}

static int scratch_init(scratch_t *s)
{
    memset(s, 0, sizeof *s);
    s->hist = calloc(65536, sizeof *s->hist);
    s->cc = calloc((size_t)SEG_PAIRS * 4096, sizeof *s->cc);
    s->zc = ZSTD_createCCtx();
    return s->hist && s->cc && s->zc ? 0 : -1;
}

/* Makes *p hold at least need bytes (its contents are not kept). Buffers of 2 MiB and more are
 * aligned to 2 MiB and asked to be backed by huge pages where the kernel offers them on request:
 * a fresh 16 MiB buffer then takes 8 page faults instead of 4096 (unpack --check of MiniLM fp32
 * spent about a fifth of its time faulting in its buffers). */
#define HUGE_PAGE ((size_t)2 << 20)
static int grow(uint8_t **p, size_t *cap, size_t need)
{
    void *q = NULL;
    if (*cap >= need)
        return 0;
    free(*p);
    *p = NULL;
    *cap = 0;
    if (need >= HUGE_PAGE) {
        size_t size = (need + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
        if (posix_memalign(&q, HUGE_PAGE, size) != 0)
            return -1;
#ifdef MADV_HUGEPAGE
        (void)madvise(q, size, MADV_HUGEPAGE); /* a hint: without it, small pages */
#endif
        need = size;
    } else if (!(q = malloc(need ? need : 1))) {
        return -1;
    }
    *p = q;
    *cap = need;
    return 0;
}

/* Counts the codes (cc[j]) and raw bits (r[j]) of m pairs' tables over n words of wb bytes. */
static inline __attribute__((always_inline)) void count_codes(const uint8_t *w, uint64_t n, int wb, int m,
                                                              const uint16_t *const *code,
                                                              const uint8_t *const *raw, uint64_t *const *cc,
                                                              uint64_t *r)
{
    /* (in locals, which the counts cannot alias: registers) */
    const uint16_t *c0 = code[0], *c1 = code[m > 1], *c2 = code[m > 2 ? 2 : 0], *c3 = code[m > 3 ? 3 : 0];
    const uint8_t *r0 = raw[0], *r1 = raw[m > 1], *r2 = raw[m > 2 ? 2 : 0], *r3 = raw[m > 3 ? 3 : 0];
    uint64_t *n0 = cc[0], *n1 = cc[m > 1], *n2 = cc[m > 2 ? 2 : 0], *n3 = cc[m > 3 ? 3 : 0];
    uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (uint64_t i = 0; i < n; i++) {
        const uint32_t key = key_of(w, (size_t)i, wb);
        n0[c0[key]]++;
        s0 += r0[key];
        if (m > 1) {
            n1[c1[key]]++;
            s1 += r1[key];
        }
        if (m > 2) {
            n2[c2[key]]++;
            s2 += r2[key];
        }
        if (m > 3) {
            n3[c3[key]]++;
            s3 += r3[key];
        }
    }
    r[0] += s0;
    r[m > 1] += s1;
    r[m > 2 ? 2 : 0] += s2;
    r[m > 3 ? 3 : 0] += s3;
}

/* Whether pair k's codes can be counted for words of dtype dt and wb bytes (its table of codes by
 * key is made, it codes the dtype at that width, its codes fit the counters). */
static int pair_countable(const pairs_t *ps, int k, nt_dtype dt, int wb)
{
    const pair_tab_t *t = &ps->tab[k];
    return t->code && (t->p->dtypes & (1u << dt)) && t->p->word_bytes == wb && t->p->ncodes <= 4096;
}

/* Order-0 bounds (bits) of every applicable pair for n words of w; bits[k] < 0 when pair k does
 * not apply. Fills s->hist with the key histogram when want_hist (and leaves it filled). */
static void seg_bounds(const pairs_t *ps, scratch_t *s, const uint8_t *w, uint64_t n, nt_dtype dt, int wb,
                       double *bits, int want_hist)
{
    const int small = n < SEG_SMALL && !want_hist;
    int ks[NT_CONTAINER_MAX_PAIRS], nk = 0; /* the pairs to count, none sharing another's bound */
    for (int k = 0; k < ps->n; k++) {
        bits[k] = -1;
        if (pair_countable(ps, k, dt, wb) && !ps->tab[k].same)
            ks[nk++] = k;
    }
    if (small) {
        /* one pass over the words counts the codes of up to SEG_PAIRS pairs at once */
        for (int g = 0; g < nk; g += SEG_PAIRS) {
            const int m = nk - g < SEG_PAIRS ? nk - g : SEG_PAIRS;
            const uint16_t *code[SEG_PAIRS];
            const uint8_t *raw[SEG_PAIRS];
            uint64_t *cc[SEG_PAIRS], r[SEG_PAIRS] = {0};
            for (int j = 0; j < m; j++) {
                const pair_tab_t *t = &ps->tab[ks[g + j]];
                code[j] = t->code;
                raw[j] = t->raw;
                cc[j] = s->cc + (size_t)j * 4096;
                memset(cc[j], 0, (size_t)t->p->ncodes * sizeof *cc[j]);
            }
            /* (the word size and the number of pairs made constants, so that the loop unrolls) */
#define SEG_COUNT(WB, M) count_codes(w, n, WB, M, code, raw, cc, r)
            if (wb == 2)
                m == 1 ? SEG_COUNT(2, 1) : m == 2 ? SEG_COUNT(2, 2) : m == 3 ? SEG_COUNT(2, 3) : SEG_COUNT(2, 4);
            else
                m == 1 ? SEG_COUNT(4, 1) : m == 2 ? SEG_COUNT(4, 2) : m == 3 ? SEG_COUNT(4, 3) : SEG_COUNT(4, 4);
#undef SEG_COUNT
            for (int j = 0; j < m; j++)
                bits[ks[g + j]] = bound_from_counts(cc[j], ps->tab[ks[g + j]].p->ncodes, n, (double)r[j]);
        }
    } else {
        memset(s->hist, 0, 65536 * sizeof *s->hist);
        for (uint64_t i = 0; i < n; i++)
            s->hist[key_of(w, (size_t)i, wb)]++;
        for (int j = 0; j < nk; j++) {
            const pair_tab_t *t = &ps->tab[ks[j]];
            double raw = 0;
            memset(s->cc, 0, (size_t)t->p->ncodes * sizeof *s->cc);
            for (uint32_t key = 0; key < 65536; key++) {
                if (!s->hist[key])
                    continue;
                s->cc[t->code[key]] += s->hist[key];
                raw += (double)s->hist[key] * t->raw[key];
            }
            bits[ks[j]] = bound_from_counts(s->cc, t->p->ncodes, n, raw);
        }
    }
    for (int k = 0; k < ps->n; k++)
        if (ps->tab[k].same && bits[ps->tab[k].same - 1] >= 0)
            bits[k] = bits[ps->tab[k].same - 1];
}

/* Bytes no pair codes: one zstd frame (level 12 up to 1 MiB, else 3), kept if smaller. (Level 19
 * took a third of the time of packing a small checkpoint, for 0.01 % of its size.) */
static int zstd_segment(scratch_t *s, const seg_t *sg, const uint8_t *src, const uint8_t **payload, uint64_t *psize,
                        int *codec)
{
    const size_t cap = (size_t)sg->length; /* a frame no smaller than the bytes is not kept */
    size_t r;
    if (sg->length < 64)
        return 0;
    if (grow(&s->out[0], &s->out_cap[0], cap) != 0)
        return -1;
    r = ZSTD_compressCCtx(s->zc, s->out[0], cap, src, (size_t)sg->length, sg->length <= ((uint64_t)1 << 20) ? 12 : 3);
    if (!ZSTD_isError(r) && r < sg->length) {
        *payload = s->out[0];
        *psize = r;
        *codec = NT_CONTAINER_CODEC_ZSTD;
    }
    return 0;
}

/* Whether pair k has a model per block of fewer than n words (then it can beat its bound). */
static int per_block(const pairs_t *ps, int k, uint64_t n)
{
    return ps->tab[k].p->block && ps->tab[k].p->block < n;
}

/* Whether pair k need not be tried on n words: a pair tried before had the same bound and one
 * model covers the n words in both, so they code them alike (the same codes, one table each). */
static int same_as_tried(const pairs_t *ps, const double *bits, const int *tried, int k, uint64_t n)
{
    if (per_block(ps, k, n))
        return 0;
    for (int j = 0; j < k; j++)
        if (tried[j] && bits[j] == bits[k] && !per_block(ps, j, n))
            return 1;
    return 0;
}

/* Codec fp32_planes (spec/container.md): n fp32 words (little-endian bytes at w) as their high
 * halves, a stream of a bf16 pair, then their low halves as one zstd frame of two byte planes
 * (every word's byte 0, then every word's byte 1). It pays where the low mantissa bits are not
 * random: weights once held in half precision (low bits zero), repeated rows. plane_split and
 * plane_join are each other's inverse. */
static void plane_split(const uint8_t *w, uint64_t n, uint8_t *hi, uint8_t *lo)
{
    for (uint64_t i = 0; i < n; i++) {
        lo[i] = w[4 * i];
        lo[n + i] = w[4 * i + 1];
        hi[2 * i] = w[4 * i + 2];
        hi[2 * i + 1] = w[4 * i + 3];
    }
}

static void plane_join(const uint8_t *restrict hi, const uint8_t *restrict lo, uint64_t n, uint8_t *restrict w)
{
    const uint8_t *lo1 = lo + n;
    uint64_t i = 0;
#ifdef __SSE2__
    /* 16 words a step: interleave the two low planes byte by byte, then with the high halves
     * two bytes at a time */
    for (; i + 16 <= n; i += 16) {
        const __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(lo + i));
        const __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(lo1 + i));
        const __m128i h0 = _mm_loadu_si128((const __m128i *)(const void *)(hi + 2 * i));
        const __m128i h1 = _mm_loadu_si128((const __m128i *)(const void *)(hi + 2 * i + 16));
        const __m128i ab0 = _mm_unpacklo_epi8(a, b), ab1 = _mm_unpackhi_epi8(a, b);
        __m128i *o = (__m128i *)(void *)(w + 4 * i);
        _mm_storeu_si128(o, _mm_unpacklo_epi16(ab0, h0));
        _mm_storeu_si128(o + 1, _mm_unpackhi_epi16(ab0, h0));
        _mm_storeu_si128(o + 2, _mm_unpacklo_epi16(ab1, h1));
        _mm_storeu_si128(o + 3, _mm_unpackhi_epi16(ab1, h1));
    }
#endif
    for (; i < n; i++) {
        w[4 * i] = lo[i];
        w[4 * i + 1] = lo1[i];
        w[4 * i + 2] = hi[2 * i];
        w[4 * i + 3] = hi[2 * i + 1];
    }
}

/* Whether zstd level 1 takes at least 1 % off a 64 KiB sample of each low plane (16 slices spread
 * over it): the cheap test before the whole part is tried (on weights trained in fp32 the low
 * planes are noise; where they are not, it is often only in some rows). tmp: 128 KiB + the
 * frame's bound of 64 KiB. */
static int planes_promising(ZSTD_CCtx *zc, const uint8_t *lo, uint64_t n, uint8_t *tmp, size_t tmp_cap)
{
    const size_t k = n < 65536 ? (size_t)n : 65536, slice = k / 16;
    size_t total = 0;
    for (int pl = 0; pl < 2; pl++) {
        const uint8_t *plane = lo + (size_t)pl * (size_t)n;
        size_t r;
        for (size_t j = 0; j < 16; j++)
            memcpy(tmp + j * slice, plane + (size_t)((n - slice) * j / 15), slice);
        r = ZSTD_compressCCtx(zc, tmp + 16 * slice, tmp_cap - 16 * slice, tmp, 16 * slice, 1);
        total += ZSTD_isError(r) ? 16 * slice : r;
    }
    return total < 32 * slice - 32 * slice / 100;
}

#define PLANES_HEAD 9 /* the high halves' pair id (u8) and stream size (u64) */
#define PLANES_RAW 0x80 /* in the pair id: the low planes follow raw, not as a zstd frame */

/* Encodes the n words at w with the pair `forced` (>= 0), else with every pair whose bound is
 * within 0.2 % + 2 KiB of the best (the bound leaves out the model and the coder's own loss; a
 * forced type is only used where it applies, and a pair that would code the words as one tried
 * before is skipped). With a tail (codec fp32_planes) each result is framed as the pair id (u8),
 * the stream size (u64), the stream, then the tail. A result is kept in s->out[*cur] (the two
 * buffers take turns) when it is smaller than length and than the one kept before; between two
 * of this call alike in size, the pair listed first.
 *
 * The pairs are tried in the order of their bounds, and one whose bound alone already passes the
 * size kept is not tried: no stream of a pair with one model for the n words is shorter than
 * the words' order-0 entropy under its codes (a static code's length is at least the entropy;
 * tANS's rounding moves a stream's length by far less than the 0.01 % + 64 bytes allowed for
 * it). A pair with a model per block of fewer than n words can beat that bound and is always
 * tried, before the pairs of the same bound: where its blocks beat the bound (a tensor whose
 * statistics drift, such as an embedding), the pairs with one model for the n words need not be
 * coded at all. The result is the one trying every pair in list order would keep. */
static int try_pairs(const pairs_t *ps, scratch_t *s, const uint8_t *w, uint64_t n, const double *bits, int forced,
                     const uint8_t *tail, size_t tail_size, uint64_t length, int *cur, int *have,
                     const uint8_t **payload, uint64_t *psize, int *codec)
{
    const size_t head = tail ? PLANES_HEAD : 0;
    int tried[NT_CONTAINER_MAX_PAIRS] = {0}, order[NT_CONTAINER_MAX_PAIRS], kept = -1;
    double best = -1;
    for (int k = 0; k < ps->n; k++) {
        int j = k;
        if (bits[k] >= 0 && ps->tab[k].p != ps->forced && !ps->tab[k].p->fast && (best < 0 || bits[k] < best))
            best = bits[k];
        /* by bound, a pair with a model per block before the others of its bound, then in list
         * order (an insertion sort: a handful of pairs) */
        for (; j > 0 && (bits[order[j - 1]] > bits[k] ||
                         (bits[order[j - 1]] == bits[k] && per_block(ps, k, n) && !per_block(ps, order[j - 1], n)));
             j--)
            order[j] = order[j - 1];
        order[j] = k;
    }
    for (int o = 0; o < ps->n; o++) {
        const int k = order[o];
        const nt_pair *p = ps->tab[k].p;
        /* room for the stored size: a result that does not fit is not worth keeping */
        const size_t cap = (size_t)length + 1024;
        size_t r;
        if (bits[k] < 0 || p->fast || (forced >= 0 && k != forced) || (tail && p->id > 255))
            continue;
        if (forced < 0 &&
            (p == ps->forced || bits[k] > best * 1.002 + 2048 * 8 || same_as_tried(ps, bits, tried, k, n)))
            continue;
        if (forced < 0 && *have >= 0 && !per_block(ps, k, n) &&
            bits[k] * (1 - 1e-4) / 8 - 64 + (double)(head + tail_size) > (double)*psize)
            continue;
        tried[k] = 1;
        if (grow(&s->out[*cur], &s->out_cap[*cur], head + cap + tail_size) != 0)
            return -1;
        r = p->encode(s->out[*cur] + head, cap, w, (size_t)n);
        if (p->is_error(r))
            continue; /* too large: try the others, else store */
        if (tail) {
            s->out[*cur][0] = (uint8_t)p->id;
            put_le(s->out[*cur] + 1, (uint64_t)r, 8);
            memcpy(s->out[*cur] + head + r, tail, tail_size);
        }
        r += head + tail_size;
        if (r < length && (*have < 0 || r < *psize || (r == *psize && kept > k))) {
            *payload = s->out[*cur];
            *psize = r;
            *codec = tail ? NT_CONTAINER_CODEC_FP32_PLANES : p->id;
            *have = *cur;
            *cur ^= 1;
            kept = k;
        }
    }
    return 0;
}

/* Splits n F32 words at w (length bytes) into s->split: the high halves (*hi), the low planes
 * (*lo), then room for the low planes' zstd frame (*zlo, *zcap bytes). */
static int planes_split(scratch_t *s, const uint8_t *w, uint64_t n, uint64_t length, uint8_t **hi, uint8_t **lo,
                        uint8_t **zlo, size_t *zcap)
{
    *zcap = ZSTD_compressBound((size_t)(2 * n));
    if (grow(&s->split, &s->split_cap, (size_t)length + *zcap) != 0)
        return -1;
    *hi = s->split;
    *lo = *hi + 2 * n;
    *zlo = *lo + 2 * n;
    plane_split(w, n, *hi, *lo);
    return 0;
}

/* Tries codec fp32_planes on n words at w (length bytes): the low planes once, then the high
 * halves with the bf16 pairs try_pairs chooses; a result is kept as try_pairs keeps it. */
static int planes_segment(const pairs_t *ps, scratch_t *s, const uint8_t *w, uint64_t n, uint64_t length,
                          int *cur, int *have, const uint8_t **payload, uint64_t *psize, int *codec)
{
    double bits[NT_CONTAINER_MAX_PAIRS];
    uint8_t *hi, *lo, *zlo;
    size_t z, zcap;
    if (n < 1024)
        return 0;
    if (planes_split(s, w, n, length, &hi, &lo, &zlo, &zcap) != 0)
        return -1;
    if (!planes_promising(s->zc, lo, n, zlo, zcap))
        return 0;
    z = ZSTD_compressCCtx(s->zc, zlo, zcap, lo, (size_t)(2 * n), 3);
    if (ZSTD_isError(z) || z >= 2 * n)
        return 0;
    seg_bounds(ps, s, hi, n, NT_DT_BF16, 2, bits, 0);
    return try_pairs(ps, s, hi, n, bits, -1, zlo, z, length, cur, have, payload, psize, codec);
}

/* With --fast-decode: the fast pairs for n words of dtype dt, after the others; one is kept when
 * no more than fast_slack and NT_CONTAINER_FAST_EXTRA bytes larger than what was kept (and
 * smaller than the bytes). */
static int try_fast(const pairs_t *ps, scratch_t *s, const uint8_t *w, uint64_t n, nt_dtype dt, int wb,
                    uint64_t length, int *cur, int *have, const uint8_t **payload, uint64_t *psize, int *codec)
{
    /* F32 words: codec fp32_planes, the high halves with a fast bf16 pair, the low planes raw,
     * or where zstd level 1 takes 1 % off them, as its frame (on weights trained in fp32 they
     * are noise) */
    const int planes = dt == NT_DT_F32 && wb == 4;
    const uint8_t *hw = w;
    size_t head = 0, z = 0;
    uint8_t *zlo = NULL, raw = 0;
    if (ps->fast_slack <= 0)
        return 0;
    if (planes) {
        size_t zcap;
        uint8_t *hi, *lo;
        if (n < 1024)
            return 0;
        if (planes_split(s, w, n, length, &hi, &lo, &zlo, &zcap) != 0)
            return -1;
        z = ZSTD_compressCCtx(s->zc, zlo, zcap, lo, (size_t)(2 * n), 1);
        if (ZSTD_isError(z) || z > 2 * n - 2 * n / 100) {
            zlo = lo;
            z = 2 * n;
            raw = PLANES_RAW;
        }
        hw = hi;
        head = PLANES_HEAD;
        dt = NT_DT_BF16;
        wb = 2;
    }
    for (int k = 0; k < ps->n; k++) {
        const nt_pair *p = ps->tab[k].p;
        size_t r, cap;
        if (!p->fast || !(p->dtypes & (1u << dt)) || p->word_bytes != wb)
            continue;
        cap = p->compress_bound((size_t)n);
        if (grow(&s->out[*cur], &s->out_cap[*cur], head + cap + z) != 0)
            return -1;
        r = p->encode(s->out[*cur] + head, cap, hw, (size_t)n);
        if (p->is_error(r))
            continue;
        if (planes) {
            s->out[*cur][0] = (uint8_t)(p->id | raw);
            put_le(s->out[*cur] + 1, (uint64_t)r, 8);
            memcpy(s->out[*cur] + head + r, zlo, z);
            r += head + z;
        }
        if (r >= length ||
            (*have >= 0 && ((double)r > (double)*psize * (1 + ps->fast_slack) || r > *psize + NT_CONTAINER_FAST_EXTRA)))
            continue;
        *payload = s->out[*cur];
        *psize = r;
        *codec = planes ? NT_CONTAINER_CODEC_FP32_PLANES : p->id;
        *have = *cur;
        *cur ^= 1;
    }
    return 0;
}

/* Codes one segment: the forced pair, else the pairs try_pairs chooses by bound, then (F32)
 * fp32_planes, then (--fast-decode) the fast pairs; keeps the smallest result (or a fast pair's
 * within fast_slack of it), and only if smaller than the bytes. On return *payload
 * and *psize are what to write and *codec the codec id (0: stored, payload = src). */
static int code_segment(const pairs_t *ps, scratch_t *s, const seg_t *sg, const uint8_t *src, const uint8_t **payload,
                        uint64_t *psize, int *codec, double *bits_out)
{
    double bits[NT_CONTAINER_MAX_PAIRS];
    const int wb = sg->word_bytes;
    const uint8_t *w = src;
    uint64_t n;
    int cur = 0, have = -1, any = 0, forced = -1;
    *payload = src;
    *psize = sg->length;
    *codec = NT_CONTAINER_CODEC_STORED;
    if (sg->length == 0)
        return 0;
    if (sg->kind != SEG_TENSOR || !wb || sg->length % (uint64_t)wb)
        return zstd_segment(s, sg, src, payload, psize, codec);
    n = sg->length / (uint64_t)wb;
    if ((uintptr_t)src % (uintptr_t)wb) {
        if (grow(&s->aligned, &s->aligned_cap, (size_t)sg->length) != 0)
            return -1;
        memcpy(s->aligned, src, (size_t)sg->length);
        w = s->aligned;
    }
    seg_bounds(ps, s, w, n, sg->dt, wb, bits, bits_out != NULL);
    if (bits_out)
        memcpy(bits_out, bits, sizeof bits);
    for (int k = 0; k < ps->n; k++) {
        if (bits[k] >= 0)
            any = 1;
        if (bits[k] >= 0 && ps->forced && ps->tab[k].p == ps->forced)
            forced = k;
    }
    if (!any)
        return zstd_segment(s, sg, src, payload, psize, codec);
    if (try_pairs(ps, s, w, n, bits, forced, NULL, 0, sg->length, &cur, &have, payload, psize, codec) != 0)
        return -1;
    if (sg->dt == NT_DT_F32 && wb == 4 && forced < 0 &&
        planes_segment(ps, s, src, n, sg->length, &cur, &have, payload, psize, codec) != 0)
        return -1;
    if (forced < 0 && try_fast(ps, s, w, n, sg->dt, wb, sg->length, &cur, &have, payload, psize, codec) != 0)
        return -1;
    return 0;
}

/* Hands the mapped pages of [p, p + n) back to the kernel (they are file-backed: it can re-read
 * them), so that the resident set does not grow with the size of the file. */
static void release_pages(const uint8_t *p, uint64_t n)
{
#ifndef NT_TENSOR_FILE_CHECKED
    long pg = sysconf(_SC_PAGESIZE);
    uintptr_t a = (uintptr_t)p, b = (uintptr_t)(p + n);
    if (pg <= 0 || !p || !n)
        return;
    a = (a + (uintptr_t)pg - 1) / (uintptr_t)pg * (uintptr_t)pg;
    b = b / (uintptr_t)pg * (uintptr_t)pg;
    if (b > a)
        madvise((void *)a, b - a, MADV_DONTNEED);
#else
    (void)p;
    (void)n;
#endif
}

/* The pages of segments that follow one another in a map, given back together: one madvise a
 * run of RELEASE_RUN bytes (or where the run breaks) instead of one a segment, which on a file of
 * small tensors cost more than their table builds. A thread's last run stays until the map is
 * closed: memory stays bounded by a run per thread. */
#define RELEASE_RUN ((uint64_t)4 << 20)
typedef struct {
    const uint8_t *lo, *hi;
} release_run;

static void release_flush(release_run *r)
{
    if (r->hi > r->lo)
        release_pages(r->lo, (uint64_t)(r->hi - r->lo));
    r->lo = r->hi = NULL;
}

static void release_add(release_run *r, const uint8_t *p, uint64_t n)
{
    if (r->hi != p) {
        release_flush(r);
        r->lo = p;
    }
    r->hi = p + n;
    if ((uint64_t)(r->hi - r->lo) >= RELEASE_RUN)
        release_flush(r);
}

/* ------------------------------------------------------------------ progress */

typedef struct {
    int on;
    const char *what;
    uint64_t total, done;
    double last;
} progress_t;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void progress_init(progress_t *pr, int mode, const char *what, uint64_t total)
{
    pr->on = mode > 0 || (mode < 0 && isatty(2));
    pr->what = what;
    pr->total = total;
    pr->done = 0;
    pr->last = 0;
}

static void progress_add(progress_t *pr, uint64_t bytes) /* called under the lock */
{
    double t;
    pr->done += bytes;
    if (!pr->on)
        return;
    t = now_s();
    if (t - pr->last < 0.1 && pr->done < pr->total)
        return;
    pr->last = t;
    fprintf(stderr, "\r%s: %3d%% of %.1f MB", pr->what,
            pr->total ? (int)(100.0 * (double)pr->done / (double)pr->total) : 100, (double)pr->total / 1e6);
    fflush(stderr);
}

static void progress_end(progress_t *pr)
{
    if (pr->on) {
        fprintf(stderr, "\r\033[K");
        fflush(stderr);
    }
}

static int thread_count(const nt_pack_options *opt, uint64_t work)
{
    long n = opt && opt->threads > 0 ? opt->threads : sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        n = 1;
    if (n > 256)
        n = 256;
    if ((uint64_t)n > work)
        n = work ? (long)work : 1;
    return (int)n;
}

/* Reads n bytes at off into p; returns the bytes read (fewer at the file's end) or -1 (errno). */
static int64_t pread_all(int fd, void *p, uint64_t n, uint64_t off)
{
    uint64_t got = 0;
    while (got < n) {
        ssize_t k = pread(fd, (uint8_t *)p + got, (size_t)(n - got), (off_t)(off + got));
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -1;
        if (k == 0)
            break;
        got += (uint64_t)k;
    }
    return (int64_t)got;
}

/* ------------------------------------------------------------------ writing files safely */

static int pwrite_all(int fd, const void *p, uint64_t n, uint64_t off)
{
    const uint8_t *b = p;
    while (n) {
        ssize_t k = pwrite(fd, b, n > ((uint64_t)1 << 30) ? ((size_t)1 << 30) : (size_t)n, (off_t)off);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (k == 0) {
            errno = EIO;
            return -1;
        }
        b += k;
        n -= (uint64_t)k;
        off += (uint64_t)k;
    }
    return 0;
}

static mode_t file_mode(void)
{
    mode_t m = umask(0);
    umask(m);
    return 0666 & ~m;
}

static mode_t dir_mode(void)
{
    mode_t m = umask(0);
    umask(m);
    return 0777 & ~m;
}

/* A temporary file beside path: "DIR/.NAME.ntc-XXXXXX". */
static int temp_beside(const char *path, char **tmp_out, int dir)
{
    const char *b = base_name(path);
    size_t dl = (size_t)(b - path), n = strlen(path) + 32;
    char *t = malloc(n);
    int fd;
    if (!t)
        return -1;
    snprintf(t, n, "%.*s.%s.ntc-XXXXXX", (int)dl, path, b);
    if (dir) {
        fd = mkdtemp(t) ? 0 : -1;
    } else {
        fd = mkstemp(t);
        if (fd >= 0)
            fchmod(fd, file_mode());
    }
    if (fd < 0) {
        free(t);
        return -1;
    }
    *tmp_out = t;
    return fd;
}

/* ------------------------------------------------------------------ the index on disk */

static int index_write(const index_t *x, buf_t *b)
{
    const size_t ts = x->type_source ? strlen(x->type_source) : 0;
    buf_put(b, index_magic, 4);
    buf_le(b, x->flags, 4);
    buf_le(b, x->nfiles, 4);
    buf_le(b, x->nsegs, 8);
    buf_le(b, ts, 4);
    if (ts)
        buf_put(b, x->type_source, ts);
    for (uint32_t i = 0; i < x->nfiles; i++) {
        const file_t *f = &x->files[i];
        size_t nl = strlen(f->name);
        buf_le(b, nl, 2);
        buf_put(b, f->name, nl);
        buf_le(b, f->size, 8);
        buf_le(b, (uint64_t)f->kind, 1);
    }
    for (uint64_t i = 0; i < x->nsegs; i++) {
        const seg_t *s = &x->segs[i];
        size_t dl = strlen(s->dtype), nl = strlen(s->name);
        buf_le(b, s->file, 4);
        buf_le(b, (uint64_t)s->kind, 1);
        buf_le(b, (uint64_t)s->codec, 1);
        buf_le(b, s->part, 4);
        buf_le(b, s->nparts, 4);
        buf_le(b, s->offset, 8);
        buf_le(b, s->length, 8);
        buf_le(b, s->payload_offset, 8);
        buf_le(b, s->payload_size, 8);
        buf_le(b, s->xxh3, 8);
        buf_le(b, dl, 1);
        buf_put(b, s->dtype, dl);
        buf_le(b, nl, 2);
        buf_put(b, s->name, nl);
    }
    return b->oom ? -1 : 0;
}

/* A file name from a container must stay inside the output directory. */
static int safe_name(const char *s)
{
    const char *p = s;
    if (!*s || *s == '/')
        return 0;
    while (*p) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return 0;
        if (!e)
            break;
        p = e + 1;
    }
    return 1;
}

static ZSTD_DCtx *kept_dctx(void);

/* A zstd context, made on first use: *dc, else one kept from an earlier call (kept_dctx), else a
 * new one. */
static ZSTD_DCtx *dctx_get(ZSTD_DCtx **dc)
{
    if (!*dc)
        *dc = kept_dctx();
    return *dc ? *dc : (*dc = ZSTD_createDCtx());
}

/* Decompresses the index frame [z, z + zn) into x->index_raw, which must come to exactly raw bytes.
 * An index of up to 1 MiB is decompressed in one call; a larger one through a buffer that grows
 * with what the frame really holds, so that a tail or a frame header that claims a large index
 * costs nothing until the data is there. */
static int index_inflate(index_t *x, const uint8_t *z, size_t zn, size_t raw)
{
    const size_t one_call = (size_t)1 << 20;
    ZSTD_DCtx *dc = dctx_get(&x->dc);
    ZSTD_inBuffer in;
    ZSTD_outBuffer out;
    size_t cap = raw < one_call ? raw : one_call;
    int rc = -1;
    if (!dc || !(x->index_raw = malloc(cap)))
        return -1;
    if (raw <= one_call) {
        size_t r = ZSTD_decompressDCtx(dc, x->index_raw, cap, z, zn);
        return !ZSTD_isError(r) && r == raw ? 0 : -1;
    }
    /* the writer's frame (level 12) never needs a window above 8 MiB; refuse to allocate more */
    if (ZSTD_isError(ZSTD_DCtx_setParameter(dc, ZSTD_d_windowLogMax, 24)))
        return -1;
    in.src = z;
    in.size = zn;
    in.pos = 0;
    out.dst = x->index_raw;
    out.size = cap;
    out.pos = 0;
    for (;;) {
        size_t r = ZSTD_decompressStream(dc, &out, &in);
        if (ZSTD_isError(r))
            break;
        if (r == 0) { /* the frame is complete: it must be all of the input and of the index */
            rc = in.pos == zn && out.pos == raw ? 0 : -1;
            break;
        }
        if (out.pos == out.size) {
            uint8_t *nb;
            if (cap == raw)
                break; /* more than the tail says */
            cap = cap > raw / 2 ? raw : cap * 2;
            if (!(nb = realloc(x->index_raw, cap)))
                break;
            x->index_raw = nb;
            out.dst = nb;
            out.size = cap;
        } else if (in.pos == in.size) {
            break; /* the frame is cut short */
        }
    }
    ZSTD_DCtx_reset(dc, ZSTD_reset_session_and_parameters);
    return rc;
}

/* Opens a container: maps it, checks head, tail and the index checksum, parses and checks the
 * index (every file covered exactly by its segments, payloads inside the data area). */
static int container_open(index_t *x, const char *path, pairs_t *ps, char *err, size_t errlen)
{
    const uint8_t *m;
    uint64_t size, ioff, isize;
    rd_t r;
    memset(x, 0, sizeof *x);
    /* (the file stays open: payloads are read from it, not from the map, see decode_segment) */
    if (map_whole(path, &m, &size, &x->fd, err, errlen) != 0)
        return -1;
    x->map = m;
    x->map_size = size;
    if (size < 8 || memcmp(m, head_magic, 8) != 0)
        return errf(err, errlen, "%s: not an ntc container (bad magic)", path);
    if (size < HEAD_SIZE + TAIL_SIZE)
        return errf(err, errlen, "%s: truncated container (%llu bytes)", path, (unsigned long long)size);
    if (get_le(m + 8, 4) != NT_CONTAINER_VERSION)
        return errf(err, errlen, "%s: unsupported container version %llu (this ntc reads version %d)", path,
                    (unsigned long long)get_le(m + 8, 4), NT_CONTAINER_VERSION);
    if (get_le(m + 12, 4) != 0)
        return errf(err, errlen, "%s: unknown container flags 0x%llx", path, (unsigned long long)get_le(m + 12, 4));
    if (memcmp(m + size - 8, tail_magic, 8) != 0)
        return errf(err, errlen, "%s: truncated container (no end marker)", path);
    ioff = get_le(m + size - TAIL_SIZE, 8);
    isize = get_le(m + size - TAIL_SIZE + 8, 8);
    if (ioff < HEAD_SIZE || ioff > size - TAIL_SIZE || isize != size - TAIL_SIZE - ioff)
        return errf(err, errlen, "%s: corrupt container (index position)", path);
    if (hash64(m + ioff, (size_t)isize) != get_le(m + size - 24, 8))
        return errf(err, errlen, "%s: corrupt container index (checksum mismatch)", path);
    x->data_end = ioff;
    {
        /* the index is one zstd frame; its size once decompressed is in the tail */
        uint64_t raw = get_le(m + size - 16, 8);
        if (raw > INDEX_MAX || raw < 4 || ZSTD_getFrameContentSize(m + ioff, (size_t)isize) != raw)
            return errf(err, errlen, "%s: corrupt container index (size)", path);
        if (index_inflate(x, m + ioff, (size_t)isize, (size_t)raw) != 0)
            return errf(err, errlen, "%s: corrupt container index (does not decompress)", path);
        isize = raw;
    }
    r.p = x->index_raw;
    r.len = (size_t)isize;
    r.pos = 0;
    r.bad = 0;
    if (isize < 4 || memcmp(r.p, index_magic, 4) != 0)
        return errf(err, errlen, "%s: corrupt container index (magic)", path);
    r.pos = 4;
    x->flags = (uint32_t)rd_le(&r, 4);
    uint64_t nfiles = rd_le(&r, 4), nsegs = rd_le(&r, 8), tsl = rd_le(&r, 4);
    /* each record takes at least 11 (file) / 56 (segment) bytes: bound the allocations by the index size */
    if (r.bad || nfiles > isize / 11 || nsegs > isize / 56 || tsl > TYPE_SOURCE_MAX || tsl > isize)
        return errf(err, errlen, "%s: corrupt container index (counts)", path);
    if (x->flags & ~INDEX_FLAG_DIRECTORY)
        return errf(err, errlen, "%s: unknown index flags 0x%x", path, x->flags);
    if (tsl) {
        if (!(x->type_source = malloc((size_t)tsl + 1)) || r.len - r.pos < tsl)
            return errf(err, errlen, "%s: corrupt container index (type)", path);
        memcpy(x->type_source, r.p + r.pos, (size_t)tsl);
        x->type_source[tsl] = 0;
        r.pos += (size_t)tsl;
        if (ps && ps->type_pair) {
            /* the segments it coded name its pair: build it before they are read */
            const nt_pair *p = NULL;
            if (ps->type_pair(ps->type_user, x->type_source, &p) != 0 || !p)
                return errf(err, errlen, "%s: the type stored in the container does not build", path);
            if (pairs_force(ps, p, err, errlen) != 0)
                return -1;
        }
    }
    x->files = calloc((size_t)(nfiles ? nfiles : 1), sizeof *x->files);
    x->segs = calloc((size_t)(nsegs ? nsegs : 1), sizeof *x->segs);
    if (!x->files || !x->segs)
        return errf(err, errlen, "out of memory");
    for (uint64_t i = 0; i < nfiles; i++) {
        file_t *f = &x->files[i];
        x->nfiles++;
        f->name = rd_str(&r, 2);
        f->size = rd_le(&r, 8);
        f->kind = (int)rd_le(&r, 1);
        if (r.bad || !safe_name(f->name) || f->kind > FILE_BYTES)
            return errf(err, errlen, "%s: corrupt container index (file %llu)", path, (unsigned long long)i);
        for (uint64_t j = 0; j < i; j++)
            if (!strcmp(x->files[j].name, f->name))
                return errf(err, errlen, "%s: corrupt container index (file '%s' twice)", path, f->name);
    }
    if (!(x->flags & INDEX_FLAG_DIRECTORY) && nfiles != 1)
        return errf(err, errlen, "%s: corrupt container index (one file expected)", path);
    {
        uint64_t cur_file = 0, at = 0, pay = HEAD_SIZE;
        for (uint64_t i = 0; i < nsegs; i++) {
            seg_t *s = &x->segs[i];
            char *dt;
            x->nsegs++;
            s->file = (uint32_t)rd_le(&r, 4);
            s->kind = (int)rd_le(&r, 1);
            s->codec = (int)rd_le(&r, 1);
            s->part = (uint32_t)rd_le(&r, 4);
            s->nparts = (uint32_t)rd_le(&r, 4);
            s->offset = rd_le(&r, 8);
            s->length = rd_le(&r, 8);
            s->payload_offset = rd_le(&r, 8);
            s->payload_size = rd_le(&r, 8);
            s->xxh3 = rd_le(&r, 8);
            dt = rd_str(&r, 1);
            s->name = rd_str(&r, 2);
            if (r.bad || !dt || !s->name || strlen(dt) >= sizeof s->dtype) {
                free(dt);
                return errf(err, errlen, "%s: corrupt container index (segment %llu)", path, (unsigned long long)i);
            }
            strcpy(s->dtype, dt);
            free(dt);
            const char *what = *s->name ? s->name : "(header or padding)";
            if (s->file >= nfiles || s->kind > SEG_BYTES || s->part >= s->nparts)
                return errf(err, errlen, "%s: corrupt container index (segment %llu, '%s')", path,
                            (unsigned long long)i, what);
            /* a writer cuts every segment at the part size: nothing larger is ever decoded or allocated */
            if (s->length > NT_CONTAINER_PART_BYTES)
                return errf(err, errlen,
                            "%s: corrupt container index (segment %llu, '%s': %llu bytes, more than a part of %llu)",
                            path, (unsigned long long)i, what, (unsigned long long)s->length,
                            (unsigned long long)NT_CONTAINER_PART_BYTES);
            /* segments in file order, each file covered exactly, payloads back to back */
            while (cur_file < s->file) {
                if (at != x->files[cur_file].size)
                    return errf(err, errlen, "%s: corrupt container index (file '%s' not covered)", path,
                                x->files[cur_file].name);
                cur_file++;
                at = 0;
            }
            if (s->file != cur_file || s->offset != at || s->length > x->files[cur_file].size - at ||
                s->payload_offset != pay || s->payload_size > x->data_end - pay)
                return errf(err, errlen, "%s: corrupt container index (segment %llu, '%s': placement)", path,
                            (unsigned long long)i, what);
            at += s->length;
            pay += s->payload_size;
            s->head = i;
            s->group_len = s->length;
            if (s->codec == NT_CONTAINER_CODEC_GROUP) {
                /* a whole tensor; the segment before it of its dtype, at most GROUP_REACH
                 * segments back in the same file, is the group's head or a member; the head is a
                 * whole tensor coded by a stream (a pair or planes) */
                seg_t *prev = NULL, *h = NULL;
                for (uint64_t k = i; k > 0 && i - k < GROUP_REACH && x->segs[k - 1].file == s->file && !prev; k--)
                    if (x->segs[k - 1].kind == SEG_TENSOR && !strcmp(x->segs[k - 1].dtype, s->dtype))
                        prev = &x->segs[k - 1];
                if (prev)
                    h = &x->segs[prev->head];
                if (!h || s->kind != SEG_TENSOR || s->nparts != 1 || h->nparts != 1 || s->payload_size != 0 ||
                    h->codec == NT_CONTAINER_CODEC_STORED || h->codec == NT_CONTAINER_CODEC_ZSTD)
                    return errf(err, errlen, "%s: corrupt container index ('%s': a group member out of place)", path,
                                what);
                if (s->length > NT_CONTAINER_PART_BYTES - h->group_len)
                    return errf(err, errlen, "%s: corrupt container index ('%s': a group larger than a part)", path,
                                what);
                if (ps) {
                    const nt_pair *p = pairs_find(ps, h->codec);
                    if (s->length % (uint64_t)(h->codec == NT_CONTAINER_CODEC_FP32_PLANES ? 4 : p->word_bytes))
                        return errf(err, errlen, "%s: corrupt container index ('%s': length)", path, what);
                }
                s->head = prev->head;
                s->group_off = h->group_len;
                h->group_len += s->length;
                prev->next_member = i;
            } else if (s->codec == NT_CONTAINER_CODEC_STORED) {
                if (s->payload_size != s->length)
                    return errf(err, errlen, "%s: corrupt container index ('%s': stored size)", path, what);
            } else if (ps && s->codec == NT_CONTAINER_CODEC_FP32_PLANES) {
                if (s->length % 4)
                    return errf(err, errlen, "%s: corrupt container index ('%s': length)", path, what);
            } else if (ps && s->codec != NT_CONTAINER_CODEC_ZSTD) {
                const nt_pair *p = pairs_find(ps, s->codec);
                if (!p)
                    return errf(err, errlen, "%s: tensor '%s' uses codec %d, which this ntc does not know", path,
                                what, s->codec);
                if (s->length % (uint64_t)p->word_bytes)
                    return errf(err, errlen, "%s: corrupt container index ('%s': length)", path, what);
            }
        }
        while (cur_file < nfiles) {
            if (at != x->files[cur_file].size)
                return errf(err, errlen, "%s: corrupt container index (file '%s' not covered)", path,
                            x->files[cur_file].name);
            cur_file++;
            at = 0;
        }
        if (pay != x->data_end)
            return errf(err, errlen, "%s: corrupt container (bytes between payloads and index)", path);
    }
    if (r.pos != r.len)
        return errf(err, errlen, "%s: corrupt container index (trailing bytes)", path);
    return 0;
}

/* ------------------------------------------------------------------ pack */

typedef struct {
    index_t *x;
    const pairs_t *ps;
    int fd;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t *item;     /* the first segment of each work item: a segment, or a run that may share a stream */
    uint64_t nitems;
    uint64_t next_take, next_write, write_pos;
    /* Items coded before their turn to be written, kept (a copy of the payload) so that their
     * thread goes on to the next item instead of waiting; the thread that writes the item before
     * them writes them too. At most stash_max bytes are kept. */
    struct stashed {
        uint8_t *p;     /* NULL: not kept */
        uint64_t size;
    } *stash;           /* per item */
    uint64_t stash_bytes, stash_max;
    int failed;
    char *err;
    size_t errlen;
    progress_t pr;
} pack_job;

static void job_fail(pack_job *j, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void job_fail(pack_job *j, const char *fmt, ...) /* called under the lock */
{
    if (!j->failed) {
        va_list ap;
        char m[1024];
        va_start(ap, fmt);
        vsnprintf(m, sizeof m, fmt, ap);
        va_end(ap);
        errf(j->err, j->errlen, "%s", m);
    }
    j->failed = 1;
    pthread_cond_broadcast(&j->cv);
}

/* May segment s share a stream with its neighbours: a whole tensor of a coded dtype, small enough
 * that a model and a table of its own cost more than they gain. */
static int groupable(const seg_t *s)
{
    return s->kind == SEG_TENSOR && s->nparts == 1 && s->word_bytes && s->length % (uint64_t)s->word_bytes == 0 &&
           s->length <= NT_CONTAINER_GROUP_TENSOR_BYTES;
}

/* Cuts the segments into work items: a run of groupable tensors of one file, at most
 * NT_CONTAINER_GROUP_BYTES in all, or a single segment. Returns the item count. */
static uint64_t plan_items(const index_t *x, uint64_t *item)
{
    uint64_t n = 0, total = 0;
    for (uint64_t i = 0; i < x->nsegs; i++) {
        const seg_t *s = &x->segs[i], *first = n ? &x->segs[item[n - 1]] : NULL;
        /* (the segments between first and s are groupable, of its file: s is right after them) */
        if (first && groupable(s) && groupable(first) && first->file == s->file &&
            total + s->length <= NT_CONTAINER_GROUP_BYTES) {
            total += s->length;
            continue;
        }
        item[n++] = i;
        total = s->length;
    }
    return n;
}

/* What sharing a stream saves, in bits, for each tensor that joins one: its own stream's header
 * (about 64 bits) and model (about 12 bits a used code), and a price for the decoder's time to
 * read that model and build its table (about a microsecond: 256 bits at NT_ANS_CELL_BITS' rate of
 * half a bit for the time of two words). A tensor joins the group before it when coding the two
 * under one model costs less than this more than coding them apart (order-0 estimate, below),
 * and the group is kept when its stream is at most 32 bytes a member larger than theirs. */
#define GROUP_SAVE_BITS(used) (64.0 + 12.0 * (double)(used) + 256.0)
#define GROUP_PRICE_BYTES 32
/* With --fast-decode a stream of a fast pair costs more apart: 64 initial states (about 600
 * bits), a model of pairs of codes, and a table build and end of stream that take as long as a
 * few thousand of its words: FAST_SAVE_BITS more saved, FAST_PRICE_BYTES a member allowed. */
#define FAST_SAVE_BITS 2048.0
#define FAST_PRICE_BYTES 128

static double xlog2x(double v) { return v > 0 ? v * log2(v) : 0; }

/* Marks in start[] where the tensors segs[idx[0]], .. segs[idx[m - 1]] (one dtype, in file order;
 * base holds segs[0]'s bytes and those after it) are cut into groups: a tensor starts a new group
 * when its codes (under the first pair for its dtype) are too unlike the group's so far, or when
 * more than GROUP_REACH segments lie between it and the one before. Returns -1 when no pair has
 * the codes tabulated (each tensor alone). */
static int plan_groups(const pairs_t *ps, scratch_t *s, const seg_t *segs, const uint64_t *idx, uint64_t m,
                       const uint8_t *base, uint8_t *start)
{
    const int wb = segs[idx[0]].word_bytes;
    const pair_tab_t *pt = NULL;
    uint64_t *g = s->cc, *t = s->cc + 4096;
    uint16_t used[4096];
    double ng = 0, sg = 0; /* the group's word count and sum of g log2 g */
    for (int k = 0; k < ps->n && !pt; k++)
        if (pair_countable(ps, k, segs[idx[0]].dt, wb))
            pt = &ps->tab[k];
    if (!pt)
        return -1;
    memset(g, 0, 4096 * sizeof *g);
    memset(t, 0, 4096 * sizeof *t);
    for (uint64_t k = 0; k < m; k++) {
        const seg_t *sk = &segs[idx[k]];
        const uint8_t *src = base + (sk->offset - segs[0].offset);
        const uint64_t n = sk->length / (uint64_t)wb;
        int nu = 0;
        double st = 0, sgt = 0, sg_in = 0;
        for (uint64_t i = 0; i < n; i++) {
            const uint16_t c = pt->code[key_of(src, (size_t)i, wb)];
            if (!t[c]++)
                used[nu++] = c;
        }
        for (int u = 0; u < nu; u++) {
            st += xlog2x((double)t[used[u]]);
            sg_in += xlog2x((double)g[used[u]]);
            sgt += xlog2x((double)(g[used[u]] + t[used[u]]));
        }
        /* the order-0 bits of the group with the tensor, less those of each apart:
         * H(c) = N log2 N - sum c log2 c */
        const double nt = (double)n, merged = xlog2x(ng + nt) - (sg - sg_in + sgt),
                     apart = xlog2x(ng) - sg + xlog2x(nt) - st;
        start[k] = k == 0 || idx[k] - idx[k - 1] > GROUP_REACH ||
                   merged - apart > GROUP_SAVE_BITS(nu) + (ps->fast_slack > 0 ? FAST_SAVE_BITS : 0);
        if (start[k] && ng > 0) {
            memset(g, 0, 4096 * sizeof *g);
            ng = 0;
        }
        sg = start[k] ? st : sg - sg_in + sgt;
        ng += nt;
        for (int u = 0; u < nu; u++) {
            g[used[u]] += t[used[u]];
            t[used[u]] = 0;
        }
    }
    return 0;
}

/* A thread's buffers for coding an item of several segments. */
typedef struct {
    buf_t stage;        /* payloads as they are made */
    buf_t gather;       /* a group's words, back to back */
    buf_t out;          /* the payloads in segment order */
    uint64_t *idx, *at; /* per segment: the item's segments of one dtype; where its payload is in stage */
    uint8_t *done, *start;
    uint64_t cap;
} item_buf_t;

static void item_buf_free(item_buf_t *w)
{
    free(w->stage.p);
    free(w->gather.p);
    free(w->out.p);
    free(w->idx);
    free(w->at);
    free(w->done);
    free(w->start);
}

/* Makes segs[idx[g0]] the head of a group of idx[g0 .. g1-1] with the stream p (size bytes, codec). */
static void group_take(item_buf_t *w, seg_t *segs, uint64_t g0, uint64_t g1, const uint8_t *p, uint64_t size,
                       int codec)
{
    w->at[w->idx[g0]] = w->stage.len;
    buf_put(&w->stage, p, (size_t)size);
    segs[w->idx[g0]].codec = codec;
    segs[w->idx[g0]].payload_size = size;
    for (uint64_t i = g0 + 1; i < g1; i++) {
        segs[w->idx[i]].codec = NT_CONTAINER_CODEC_GROUP;
        segs[w->idx[i]].payload_size = 0;
    }
}

/* Codes the group idx[g0 .. g1-1] as one stream and takes it when that is a stream (a pair or
 * planes) of at most sum + GROUP_PRICE_BYTES a member, sum being the members' payloads apart. */
static int group_code(const pairs_t *ps, scratch_t *s, item_buf_t *w, seg_t *segs, uint64_t g0, uint64_t g1,
                      const uint8_t *base, uint64_t sum)
{
    const uint8_t *p;
    uint64_t size;
    int codec;
    seg_t g = segs[w->idx[g0]];
    const seg_t *last = &segs[w->idx[g1 - 1]];
    const uint8_t *words = base + (g.offset - segs[0].offset);
    int together = 1; /* the members lie back to back in the file: their words as they are */
    for (uint64_t i = g0 + 1; i < g1 && together; i++)
        together = segs[w->idx[i]].offset == segs[w->idx[i - 1]].offset + segs[w->idx[i - 1]].length;
    if (together) {
        g.length = last->offset + last->length - g.offset;
    } else {
        w->gather.len = 0;
        for (uint64_t i = g0; i < g1; i++) {
            const seg_t *sk = &segs[w->idx[i]];
            buf_put(&w->gather, base + (sk->offset - segs[0].offset), (size_t)sk->length);
        }
        if (w->gather.oom)
            return -1;
        words = w->gather.p;
        g.length = w->gather.len;
    }
    if (code_segment(ps, s, &g, words, &p, &size, &codec, NULL) != 0)
        return -1;
    if (codec != NT_CONTAINER_CODEC_STORED && codec != NT_CONTAINER_CODEC_ZSTD &&
        size <= sum + (ps->fast_slack > 0 ? FAST_PRICE_BYTES : GROUP_PRICE_BYTES) * (g1 - g0 - 1))
        group_take(w, segs, g0, g1, p, size, codec);
    return 0;
}

/* Codes the item of segments 0 .. b-1 (base their bytes, back to back). Its tensors of each dtype
 * are cut into groups (plan_groups); a group of several is coded as one stream when that is at
 * most GROUP_PRICE_BYTES a member larger than coding each apart; every other segment is coded on
 * its own. Sets every segment's codec and payload_size, and *payload to the bytes to write, in
 * segment order. */
static int code_item(const pairs_t *ps, scratch_t *s, item_buf_t *w, seg_t *segs, uint64_t b, const uint8_t *base,
                     const uint8_t **payload)
{
    const uint8_t *p;
    if (b == 1)
        return code_segment(ps, s, segs, base, payload, &segs[0].payload_size, &segs[0].codec, NULL);
    if (b > w->cap) {
        free(w->idx);
        free(w->at);
        free(w->done);
        free(w->start);
        w->idx = malloc(b * sizeof *w->idx);
        w->at = malloc(b * sizeof *w->at);
        w->done = malloc((size_t)b);
        w->start = malloc((size_t)b);
        w->cap = w->idx && w->at && w->done && w->start ? b : 0;
        if (!w->cap)
            return -1;
    }
    w->stage.len = 0;
    memset(w->done, 0, (size_t)b);
    for (uint64_t k0 = 0; k0 < b; k0++) {
        uint64_t m = 0;
        if (w->done[k0])
            continue;
        for (uint64_t k = k0; k < b; k++)
            if (!w->done[k] && segs[k].dt == segs[k0].dt && !strcmp(segs[k].dtype, segs[k0].dtype)) {
                w->done[k] = 1;
                w->idx[m++] = k;
            }
        if (plan_groups(ps, s, segs, w->idx, m, base, w->start) != 0)
            memset(w->start, 1, (size_t)m);
        for (uint64_t g0 = 0, g1; g0 < m; g0 = g1) {
            uint64_t sum = 0;
            for (g1 = g0 + 1; g1 < m && !w->start[g1]; g1++)
                ;
            for (uint64_t i = g0; i < g1; i++) {
                seg_t *sk = &segs[w->idx[i]];
                if (code_segment(ps, s, sk, base + (sk->offset - segs[0].offset), &p, &sk->payload_size, &sk->codec,
                                 NULL) != 0)
                    return -1;
                w->at[w->idx[i]] = w->stage.len;
                buf_put(&w->stage, p, (size_t)sk->payload_size);
                sum += sk->payload_size;
            }
            if (g1 - g0 > 1 && group_code(ps, s, w, segs, g0, g1, base, sum) != 0)
                return -1;
        }
    }
    w->out.len = 0;
    for (uint64_t k = 0; k < b && !w->stage.oom; k++)
        buf_put(&w->out, w->stage.p + w->at[k], (size_t)segs[k].payload_size);
    if (w->stage.oom || w->out.oom)
        return -1;
    *payload = w->out.p;
    return 0;
}

static void *pack_worker(void *arg)
{
    pack_job *j = arg;
    scratch_t s;
    item_buf_t own;
    int ok = scratch_init(&s) == 0;
    release_run rel = {NULL, NULL};
    memset(&own, 0, sizeof own);
    for (;;) {
        uint64_t k;
        pthread_mutex_lock(&j->mu);
        if (!ok)
            job_fail(j, "out of memory");
        if (j->failed || j->next_take >= j->nitems) {
            pthread_mutex_unlock(&j->mu);
            break;
        }
        k = j->next_take++;
        pthread_mutex_unlock(&j->mu);

        const uint64_t first = j->item[k], end = k + 1 < j->nitems ? j->item[k + 1] : j->x->nsegs;
        seg_t *sg = &j->x->segs[first];
        const uint8_t *src = j->x->files[sg->file].map + sg->offset;
        uint64_t total = 0;
        for (uint64_t i = first; i < end; i++) {
            seg_t *m = &j->x->segs[i];
            m->xxh3 = hash64(src + total, (size_t)m->length);
            total += m->length;
        }
        const uint8_t *payload;
        if (code_item(j->ps, &s, &own, sg, end - first, src, &payload) != 0) {
            pthread_mutex_lock(&j->mu);
            job_fail(j, "out of memory");
            pthread_mutex_unlock(&j->mu);
            break;
        }
        uint64_t psize = 0, kend;
        uint8_t *kept = NULL;
        for (uint64_t i = first; i < end; i++)
            psize += j->x->segs[i].payload_size;
        /* Our turn to write comes when every item before it is written: the container's layout
         * does not depend on the thread count. Before it, the payload is kept when there is room,
         * and the thread goes on. */
        pthread_mutex_lock(&j->mu);
        if (!j->failed && j->next_write != k && psize <= j->stash_max - j->stash_bytes) {
            j->stash_bytes += psize;
            pthread_mutex_unlock(&j->mu);
            kept = malloc(psize ? (size_t)psize : 1);
            if (kept)
                memcpy(kept, payload, (size_t)psize);
            pthread_mutex_lock(&j->mu);
            if (!kept) {
                j->stash_bytes -= psize;
            } else if (j->next_write != k) {
                j->stash[k].p = kept;
                j->stash[k].size = psize;
                progress_add(&j->pr, total);
                pthread_mutex_unlock(&j->mu);
                release_add(&rel, src, total); /* (the copy is written, not the input) */
                continue;                      /* the writer of the item before takes it */
            }
        }
        while (!j->failed && j->next_write != k)
            pthread_cond_wait(&j->cv, &j->mu);
        if (j->failed) {
            if (kept)
                j->stash_bytes -= psize;
            pthread_mutex_unlock(&j->mu);
            free(kept);
            break;
        }
        /* positions for this item and for the kept ones that follow it, written here */
        const uint64_t at = j->write_pos;
        for (kend = k; kend < j->nitems && (kend == k || j->stash[kend].p); kend++) {
            const uint64_t f = j->item[kend], e = kend + 1 < j->nitems ? j->item[kend + 1] : j->x->nsegs;
            for (uint64_t i = f; i < e; i++) {
                j->x->segs[i].payload_offset = j->write_pos;
                j->write_pos += j->x->segs[i].payload_size;
            }
        }
        j->next_write = kend;
        pthread_cond_broadcast(&j->cv);
        pthread_mutex_unlock(&j->mu);
        int werr = pwrite_all(j->fd, kept ? kept : payload, psize, at) != 0 ? errno : 0;
        uint64_t off = at + psize, freed = kept ? psize : 0;
        free(kept);
        release_add(&rel, src, total);
        /* (items past k are ours alone now: no other thread reads or writes their entries) */
        for (uint64_t q = k + 1; q < kend; q++) {
            if (!werr && pwrite_all(j->fd, j->stash[q].p, j->stash[q].size, off) != 0)
                werr = errno;
            off += j->stash[q].size;
            freed += j->stash[q].size;
            free(j->stash[q].p);
            j->stash[q].p = NULL;
        }
        pthread_mutex_lock(&j->mu);
        j->stash_bytes -= freed;
        if (werr)
            job_fail(j, "cannot write the container: %s", strerror(werr));
        progress_add(&j->pr, total);
        pthread_mutex_unlock(&j->mu);
    }
    /* (the last run goes with the map) */
    scratch_free(&s);
    item_buf_free(&own);
    return NULL;
}

/* Runs fn on n threads (n >= 1), the calling thread being one of them rather than waiting for
 * the others. */
static int run_threads(int n, void *(*fn)(void *), void *arg)
{
    pthread_t th[256];
    int started = 0;
    for (int i = 0; i < n - 1; i++)
        if (pthread_create(&th[i], NULL, fn, arg) == 0)
            started++;
        else
            break;
    fn(arg);
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    return 0;
}

int nt_container_pack(const char *const *inputs, int ninputs, const char *out_path, const nt_pack_options *opt,
                      char *err, size_t errlen)
{
    index_t x;
    pairs_t ps;
    pack_job j;
    char *tmp = NULL;
    int fd = -1, rc = -1, nthreads = 1;
    buf_t ib = {0, 0, 0, 0};
    uint64_t total = 0;
    memset(&x, 0, sizeof x);
    memset(&j, 0, sizeof j);
    if (pairs_init(&ps, opt, err, errlen) != 0)
        return -1;
    if (ninputs < 1) {
        errf(err, errlen, "nothing to pack");
        goto done;
    }
    for (int i = 0; i < ninputs; i++) {
        struct stat st;
        if (stat(inputs[i], &st) != 0) {
            errf(err, errlen, "%s: %s", inputs[i], strerror(errno));
            goto done;
        }
        if (S_ISDIR(st.st_mode)) {
            if (ninputs != 1) {
                errf(err, errlen, "%s: a directory is packed on its own", inputs[i]);
                goto done;
            }
            x.flags |= INDEX_FLAG_DIRECTORY;
            if (plan_dir(&x, inputs[i], "", 0, err, errlen) != 0)
                goto done;
        } else {
            if (ninputs > 1)
                x.flags |= INDEX_FLAG_DIRECTORY;
            for (uint32_t k = 0; k < x.nfiles; k++)
                if (!strcmp(x.files[k].name, base_name(inputs[i]))) {
                    errf(err, errlen, "%s: two inputs named '%s'", inputs[i], base_name(inputs[i]));
                    goto done;
                }
            if (plan_file(&x, inputs[i], base_name(inputs[i]), err, errlen) != 0)
                goto done;
        }
    }
    if (x.nfiles == 0) {
        errf(err, errlen, "%s: no files to pack", inputs[0]);
        goto done;
    }
    if (opt && opt->type_source && !(x.type_source = strdup(opt->type_source))) {
        errf(err, errlen, "out of memory");
        goto done;
    }
    {
        unsigned mask = 0;
        for (uint64_t i = 0; i < x.nsegs; i++) {
            total += x.segs[i].length;
            if (x.segs[i].kind == SEG_TENSOR && x.segs[i].dt < NT_DT_OTHER)
                mask |= 1u << x.segs[i].dt;
        }
        if (pairs_tables(&ps, mask, err, errlen) != 0)
            goto done;
    }

    fd = temp_beside(out_path, &tmp, 0);
    if (fd < 0) {
        errf(err, errlen, "%s: cannot create a temporary file beside it: %s", out_path, strerror(errno));
        goto done;
    }
    {
        uint8_t head[HEAD_SIZE];
        memcpy(head, head_magic, 8);
        put_le(head + 8, NT_CONTAINER_VERSION, 4);
        put_le(head + 12, 0, 4);
        if (pwrite_all(fd, head, HEAD_SIZE, 0) != 0) {
            errf(err, errlen, "%s: cannot write: %s", tmp, strerror(errno));
            goto done;
        }
    }
    if (!(j.item = malloc((size_t)(x.nsegs ? x.nsegs : 1) * sizeof *j.item))) {
        errf(err, errlen, "out of memory");
        goto done;
    }
    j.nitems = plan_items(&x, j.item);
    nthreads = thread_count(opt, j.nitems);
    if (!(j.stash = calloc((size_t)(j.nitems ? j.nitems : 1), sizeof *j.stash))) {
        errf(err, errlen, "out of memory");
        goto done;
    }
    j.stash_max = (uint64_t)(nthreads - 1) * NT_CONTAINER_PART_BYTES;
    j.x = &x;
    j.ps = &ps;
    j.fd = fd;
    j.write_pos = HEAD_SIZE;
    j.err = err;
    j.errlen = errlen;
    pthread_mutex_init(&j.mu, NULL);
    pthread_cond_init(&j.cv, NULL);
    progress_init(&j.pr, opt ? opt->progress : -1, "ntc pack", total);
    run_threads(nthreads, pack_worker, &j);
    progress_end(&j.pr);
    pthread_mutex_destroy(&j.mu);
    pthread_cond_destroy(&j.cv);
    for (uint64_t i = 0; i < j.nitems; i++)
        free(j.stash[i].p); /* (left only after a failure) */
    if (j.failed)
        goto done;
    if (index_write(&x, &ib) != 0) {
        errf(err, errlen, "out of memory");
        goto done;
    }
    {
        uint8_t tail[TAIL_SIZE];
        size_t zcap = ZSTD_compressBound(ib.len), zlen;
        uint8_t *z = malloc(zcap);
        if (!z) {
            errf(err, errlen, "out of memory");
            goto done;
        }
        zlen = ZSTD_compress(z, zcap, ib.p, ib.len, 12);
        if (ZSTD_isError(zlen)) {
            free(z);
            errf(err, errlen, "cannot compress the index: %s", ZSTD_getErrorName(zlen));
            goto done;
        }
        put_le(tail, j.write_pos, 8);
        put_le(tail + 8, zlen, 8);
        put_le(tail + 16, hash64(z, zlen), 8);
        put_le(tail + 24, ib.len, 8);
        memcpy(tail + 32, tail_magic, 8);
        if (pwrite_all(fd, z, zlen, j.write_pos) != 0 || pwrite_all(fd, tail, TAIL_SIZE, j.write_pos + zlen) != 0 ||
            fsync(fd) != 0) {
            free(z);
            errf(err, errlen, "%s: cannot write: %s", tmp, strerror(errno));
            goto done;
        }
        free(z);
    }
    if (close(fd) != 0) {
        fd = -1;
        errf(err, errlen, "%s: cannot write: %s", tmp, strerror(errno));
        goto done;
    }
    fd = -1;
    if (rename(tmp, out_path) != 0) {
        errf(err, errlen, "%s: cannot rename the temporary file to it: %s", out_path, strerror(errno));
        goto done;
    }
    free(tmp);
    tmp = NULL;
    rc = 0;
done:
    if (fd >= 0)
        close(fd);
    if (tmp) {
        unlink(tmp);
        free(tmp);
    }
    free(ib.p);
    free(j.item);
    free(j.stash);
    index_free(&x);
    pairs_free(&ps);
    return rc;
}

/* ------------------------------------------------------------------ unpack */

typedef struct {
    index_t *x;
    const pairs_t *ps;
    const char *path;
    uint64_t *todo;     /* segment numbers */
    uint64_t ntodo;
    int *fds;           /* per file (whole unpack), or fds[0] (one tensor); NULL: check only */
    uint64_t *dst_off;  /* where each todo segment goes */
    pthread_mutex_t mu;
    uint64_t next;
    int failed;
    char *err;
    size_t errlen;
    progress_t pr;
} unpack_job;

/* How many members head h's group has besides h. */
static uint64_t group_members(const index_t *x, const seg_t *h)
{
    uint64_t n = 0;
    for (const seg_t *m = h; m->next_member; m = &x->segs[m->next_member])
        n++;
    return n;
}

static const char *seg_label(const seg_t *s, char *buf, size_t n)
{
    if (s->kind == SEG_TENSOR) {
        if (s->nparts > 1)
            snprintf(buf, n, "tensor '%s' (part %u of %u)", s->name, s->part + 1, s->nparts);
        else
            snprintf(buf, n, "tensor '%s'", s->name);
    } else {
        snprintf(buf, n, "%s bytes at offset %llu", s->kind == SEG_HEADER ? "header" : "padding/other",
                 (unsigned long long)s->offset);
    }
    return buf;
}

/* Decodes segment s into out (length bytes, aligned) or returns the stored bytes; checks the hash. */
/* Codec fp32_planes: the high halves (a stream of a bf16 pair), the low planes (zstd, or raw
 * when hi_codec has PLANES_RAW), joined. */
static int planes_decode(const pairs_t *ps, const seg_t *s, const uint8_t *payload, uint8_t *out,
                         uint8_t **tmp, size_t *tmp_cap, ZSTD_DCtx **dc, char *msg, size_t msglen)
{
    const uint64_t n = s->group_len / 4;
    const nt_pair *hp;
    const uint8_t *lo;
    uint64_t hs, ls;
    size_t r;
    if (s->payload_size < PLANES_HEAD || (hs = get_le(payload + 1, 8)) > s->payload_size - PLANES_HEAD) {
        snprintf(msg, msglen, "corrupt (fp32_planes: high-half stream size)");
        return -1;
    }
    ls = s->payload_size - PLANES_HEAD - hs;
    hp = pairs_find(ps, payload[0] & ~PLANES_RAW);
    if (!hp || hp->word_bytes != 2 || !(hp->dtypes & (1u << NT_DT_BF16))) {
        snprintf(msg, msglen, "corrupt (fp32_planes: high halves in codec %d, not a bf16 pair)", payload[0] & ~PLANES_RAW);
        return -1;
    }
    /* the temporary: the high halves apart (no decode_f32) and the low planes from a frame */
    if ((!hp->decode_f32 || !(payload[0] & PLANES_RAW)) && grow(tmp, tmp_cap, (size_t)s->group_len) != 0) {
        snprintf(msg, msglen, "out of memory");
        return -1;
    }
    /* the low planes: in the payload, or from the frame into the temporary's upper half */
    if (payload[0] & PLANES_RAW) {
        if (ls != 2 * n) {
            snprintf(msg, msglen, "corrupt (fp32_planes: %llu bytes of raw low halves for %llu words)",
                     (unsigned long long)ls, (unsigned long long)n);
            return -1;
        }
        lo = payload + PLANES_HEAD + hs;
    } else {
        if (!dctx_get(dc)) {
            snprintf(msg, msglen, "out of memory");
            return -1;
        }
        r = ZSTD_decompressDCtx(*dc, *tmp + 2 * n, (size_t)(2 * n), payload + PLANES_HEAD + hs, (size_t)ls);
        if (ZSTD_isError(r) || r != 2 * n) {
            snprintf(msg, msglen, "corrupt (fp32_planes, low halves: %s)",
                     ZSTD_isError(r) ? ZSTD_getErrorName(r) : "wrong length");
            return -1;
        }
        lo = *tmp + 2 * n;
    }
    /* the high halves: decoded into place beside the low planes (decode_f32), or apart and joined */
    r = hp->decode_f32 ? hp->decode_f32(out, (size_t)n, payload + PLANES_HEAD, (size_t)hs, lo)
                       : hp->decode(*tmp, (size_t)n, payload + PLANES_HEAD, (size_t)hs);
    if (hp->is_error(r) || r != n) {
        snprintf(msg, msglen, "corrupt (fp32_planes, high halves, %s: %s)", hp->name,
                 hp->is_error(r) ? hp->error_name(r) : "wrong word count");
        return -1;
    }
    if (!hp->decode_f32)
        plane_join(*tmp, lo, n, out);
    return 0;
}

/* Decodes the stream of segment s (its own bytes and, at the head of a group, the members' after
 * them: group_len bytes) into out, or returns the stored bytes; checks the hash of every segment
 * it holds, or of `only` alone when it is not NULL. On failure sets *bad to the segment to blame
 * (s, or the one whose hash failed). */
static const uint8_t *decode_segment(const index_t *x, const pairs_t *ps, const seg_t *s, const seg_t *only,
                                     uint8_t **in, size_t *in_cap, uint8_t **out, size_t *cap, uint8_t **tmp,
                                     size_t *tmp_cap, ZSTD_DCtx **dc, const seg_t **bad, char *msg, size_t msglen)
{
    const uint8_t *payload = x->map + s->payload_offset;
    const uint8_t *res;
    const uint64_t len = s->group_len;
    *bad = s;
    if (x->fd > 0 && s->payload_size > 0) {
        /* the payload read into *in (the index placed it inside the file) */
        int64_t got;
        if (grow(in, in_cap, (size_t)s->payload_size) != 0) {
            snprintf(msg, msglen, "out of memory");
            return NULL;
        }
        if ((got = pread_all(x->fd, *in, s->payload_size, s->payload_offset)) != (int64_t)s->payload_size) {
            snprintf(msg, msglen, "cannot read the container: %s", got < 0 ? strerror(errno) : "it got shorter");
            return NULL;
        }
        payload = *in;
    }
    res = payload;
    if (s->codec == NT_CONTAINER_CODEC_ZSTD) {
        size_t r;
        if (grow(out, cap, (size_t)len) != 0 || !dctx_get(dc)) {
            snprintf(msg, msglen, "out of memory");
            return NULL;
        }
        r = ZSTD_decompressDCtx(*dc, *out, (size_t)len, payload, (size_t)s->payload_size);
        if (ZSTD_isError(r) || r != len) {
            snprintf(msg, msglen, "corrupt (zstd: %s)", ZSTD_isError(r) ? ZSTD_getErrorName(r) : "wrong length");
            return NULL;
        }
        res = *out;
    } else if (s->codec == NT_CONTAINER_CODEC_FP32_PLANES) {
        if (grow(out, cap, (size_t)len) != 0) {
            snprintf(msg, msglen, "out of memory");
            return NULL;
        }
        if (planes_decode(ps, s, payload, *out, tmp, tmp_cap, dc, msg, msglen) != 0)
            return NULL;
        res = *out;
    } else if (s->codec != NT_CONTAINER_CODEC_STORED) {
        const nt_pair *p = pairs_find(ps, s->codec);
        size_t n = (size_t)(len / (uint64_t)p->word_bytes), r;
        if (grow(out, cap, (size_t)len) != 0) {
            snprintf(msg, msglen, "out of memory");
            return NULL;
        }
        r = p->decode(*out, n, payload, (size_t)s->payload_size);
        if (p->is_error(r)) {
            snprintf(msg, msglen, "corrupt (%s: %s)", p->name, p->error_name(r));
            return NULL;
        }
        if (r != n) {
            snprintf(msg, msglen, "corrupt (%s: %zu words decoded, %zu expected)", p->name, r, n);
            return NULL;
        }
        res = *out;
    }
    for (const seg_t *m = only ? only : s;; m = &x->segs[m->next_member]) {
        if (hash64(res + m->group_off, (size_t)m->length) != m->xxh3) {
            *bad = m;
            snprintf(msg, msglen, "corrupt (checksum mismatch)");
            return NULL;
        }
        if (only || !m->next_member)
            return res;
    }
}

/* A decoding worker's buffers and zstd context, kept between calls in a process (up to
 * KEPT_SETS of them, each of at most KEPT_BYTES): a process that unpacks or checks several
 * containers (or one, again) reuses them instead of allocating, faulting in and freeing them each
 * time (repeated unpack --check of stories260K-f32 with --fast-decode: 0.30 -> 0.17 ms), and
 * skips creating a zstd context. nt_container_release frees them. */
typedef struct {
    uint8_t *in, *out, *tmp; /* a payload, the decoded bytes, a temporary */
    size_t in_cap, cap, tmp_cap;
    ZSTD_DCtx *dc;
} dec_scratch;
#define KEPT_SETS 8
#define KEPT_BYTES ((size_t)64 << 20)
static struct {
    pthread_mutex_t mu;
    int n;
    dec_scratch set[KEPT_SETS];
} kept = {PTHREAD_MUTEX_INITIALIZER, 0, {{NULL, NULL, NULL, 0, 0, 0, NULL}}};

static dec_scratch scratch_take(void)
{
    dec_scratch d = {NULL, NULL, NULL, 0, 0, 0, NULL};
    pthread_mutex_lock(&kept.mu);
    if (kept.n > 0)
        d = kept.set[--kept.n];
    pthread_mutex_unlock(&kept.mu);
    return d;
}

/* the zstd context of the last set kept (the set stays, without it) */
static ZSTD_DCtx *kept_dctx(void)
{
    ZSTD_DCtx *dc = NULL;
    pthread_mutex_lock(&kept.mu);
    if (kept.n > 0) {
        dc = kept.set[kept.n - 1].dc;
        kept.set[kept.n - 1].dc = NULL;
    }
    pthread_mutex_unlock(&kept.mu);
    return dc;
}

static void scratch_give(dec_scratch d)
{
    pthread_mutex_lock(&kept.mu);
    if (kept.n < KEPT_SETS && d.in_cap + d.cap + d.tmp_cap <= KEPT_BYTES) {
        kept.set[kept.n++] = d;
        d.in = d.out = d.tmp = NULL;
        d.dc = NULL;
    }
    pthread_mutex_unlock(&kept.mu);
    free(d.in);
    free(d.out);
    free(d.tmp);
    ZSTD_freeDCtx(d.dc);
}

void nt_container_release(void)
{
    pthread_mutex_lock(&kept.mu);
    while (kept.n > 0) {
        dec_scratch *d = &kept.set[--kept.n];
        free(d->in);
        free(d->out);
        free(d->tmp);
        ZSTD_freeDCtx(d->dc);
    }
    pthread_mutex_unlock(&kept.mu);
}

static void *unpack_worker(void *arg)
{
    unpack_job *j = arg;
    dec_scratch d = scratch_take(); /* d.dc: kept, the index's, or one made on first use */
    release_run rel = {NULL, NULL};
    for (;;) {
        uint64_t k;
        pthread_mutex_lock(&j->mu);
        if (!d.dc) {
            d.dc = j->x->dc;
            j->x->dc = NULL;
        }
        if (j->failed || j->next >= j->ntodo) {
            pthread_mutex_unlock(&j->mu);
            break;
        }
        k = j->next++;
        pthread_mutex_unlock(&j->mu);
        /* s, and the head h of its group (s itself when it is not in one): the whole unpack takes
         * heads only and writes the group; --tensor takes any segment and writes its own bytes */
        const seg_t *s = &j->x->segs[j->todo[k]], *h = &j->x->segs[s->head], *bad;
        char msg[512], label[600];
        const uint8_t *bytes = decode_segment(j->x, j->ps, h, j->dst_off ? s : NULL, &d.in, &d.in_cap, &d.out, &d.cap,
                                              &d.tmp, &d.tmp_cap, &d.dc, &bad, msg, sizeof msg);
        int werr = 0;
        if (bytes && j->fds && j->dst_off && pwrite_all(j->fds[0], bytes + s->group_off, s->length, j->dst_off[k]) != 0)
            werr = errno;
        /* a group's members, in runs that lie back to back both in the stream and in the file:
         * one write a run */
        for (const seg_t *m = h; bytes && j->fds && !j->dst_off && !werr;) {
            uint64_t goff = m->group_off, off = m->offset, len = m->length;
            while (m->next_member) {
                const seg_t *nm = &j->x->segs[m->next_member];
                if (nm->group_off != goff + len || nm->offset != off + len)
                    break;
                len += nm->length;
                m = nm;
            }
            if (pwrite_all(j->fds[h->file], bytes + goff, len, off) != 0)
                werr = errno;
            if (!m->next_member)
                break;
            m = &j->x->segs[m->next_member];
        }
        if (j->x->fd <= 0) /* (payloads read from the file leave the map's pages alone) */
            release_add(&rel, j->x->map + h->payload_offset, h->payload_size);
        pthread_mutex_lock(&j->mu);
        if (!bytes && !j->failed) {
            j->failed = 1;
            /* a shared stream that fails is named by the tensor asked for, or by its head */
            seg_label(bad == h ? s : bad, label, sizeof label);
            if (bad == h && s != h) {
                size_t l = strlen(label);
                snprintf(label + l, sizeof label - l, " (its stream is shared with tensor '%s')", h->name);
            } else if (bad == h && h->group_len != h->length) {
                size_t l = strlen(label);
                snprintf(label + l, sizeof label - l, " (its stream also holds %llu later tensors)",
                         (unsigned long long)(group_members(j->x, h)));
            }
            errf(j->err, j->errlen, "%s: %s: %s", j->path, label, msg);
        } else if (werr && !j->failed) {
            j->failed = 1;
            errf(j->err, j->errlen, "cannot write the output: %s", strerror(werr));
        }
        progress_add(&j->pr, j->dst_off ? s->length : h->group_len);
        pthread_mutex_unlock(&j->mu);
    }
    /* (the last run goes with the map) */
    scratch_give(d);
    return NULL;
}

/* Points a job at an open container, with room for every segment in its to-do list. */
static int unpack_job_init(unpack_job *j, index_t *x, const pairs_t *ps, const char *path, char *err, size_t errlen)
{
    j->x = x;
    j->ps = ps;
    j->path = path;
    j->err = err;
    j->errlen = errlen;
    if (!(j->todo = malloc((size_t)(x->nsegs ? x->nsegs : 1) * sizeof *j->todo)))
        return errf(err, errlen, "out of memory");
    return 0;
}

static int run_unpack(unpack_job *j, const nt_pack_options *opt)
{
    uint64_t total = 0;
    for (uint64_t i = 0; i < j->ntodo; i++)
        total += j->dst_off ? j->x->segs[j->todo[i]].length : j->x->segs[j->todo[i]].group_len;
    pthread_mutex_init(&j->mu, NULL);
    progress_init(&j->pr, opt ? opt->progress : -1, "ntc unpack", total);
    run_threads(thread_count(opt, j->ntodo), unpack_worker, j);
    progress_end(&j->pr);
    pthread_mutex_destroy(&j->mu);
    return j->failed ? -1 : 0;
}

/* mkdir -p for the parents of DIR/NAME. */
static int make_parents(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (!p)
        return -1;
    snprintf(p, n, "%s/%s", dir, name);
    for (char *q = p + strlen(dir) + 1; *q; q++) {
        if (*q == '/') {
            *q = 0;
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                free(p);
                return -1;
            }
            *q = '/';
        }
    }
    free(p);
    return 0;
}

static int remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return -1;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        if (d) {
            while ((e = readdir(d))) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                    continue;
                size_t n = strlen(path) + strlen(e->d_name) + 2;
                char *c = malloc(n);
                if (c) {
                    snprintf(c, n, "%s/%s", path, e->d_name);
                    remove_tree(c);
                    free(c);
                }
            }
            closedir(d);
        }
        return rmdir(path);
    }
    return unlink(path);
}

int nt_container_unpack(const char *path, const char *out_path, const char *tensor, const nt_pack_options *opt,
                        char *err, size_t errlen)
{
    index_t x;
    pairs_t ps;
    unpack_job j;
    char *tmp = NULL;
    int rc = -1, is_dir = 0;
    int *fds = NULL;
    uint32_t nfds = 0;
    memset(&j, 0, sizeof j);
    if (pairs_init(&ps, opt, err, errlen) != 0)
        return -1;
    if (container_open(&x, path, &ps, err, errlen) != 0)
        goto done;
    if (unpack_job_init(&j, &x, &ps, path, err, errlen) != 0)
        goto done;
    if (tensor) {
        /* One tensor: its parts, back to back, in a raw file. Only their payloads are read. */
        uint64_t at = 0, found_file = UINT64_MAX;
        if (!(j.dst_off = malloc((size_t)(x.nsegs ? x.nsegs : 1) * sizeof *j.dst_off))) {
            errf(err, errlen, "out of memory");
            goto done;
        }
        for (uint64_t i = 0; i < x.nsegs; i++) {
            const seg_t *s = &x.segs[i];
            if (s->kind != SEG_TENSOR || strcmp(s->name, tensor))
                continue;
            if (found_file != UINT64_MAX && found_file != s->file) {
                errf(err, errlen, "%s: tensor '%s' is in more than one file ('%s' and '%s')", path, tensor,
                     x.files[found_file].name, x.files[s->file].name);
                goto done;
            }
            found_file = s->file;
            j.dst_off[j.ntodo] = at;
            j.todo[j.ntodo++] = i;
            at += s->length;
        }
        if (found_file == UINT64_MAX) {
            /* an empty tensor has no segment but is a valid answer if the header names it */
            errf(err, errlen, "%s: no tensor named '%s' with data in the container", path, tensor);
            goto done;
        }
        nfds = 1;
        fds = malloc(sizeof *fds);
        if (!fds || (fds[0] = temp_beside(out_path, &tmp, 0)) < 0) {
            errf(err, errlen, "%s: cannot create a temporary file beside it: %s", out_path, strerror(errno));
            nfds = 0;
            goto done;
        }
        if (ftruncate(fds[0], (off_t)at) != 0) {
            errf(err, errlen, "%s: cannot write: %s", tmp, strerror(errno));
            goto done;
        }
    } else {
        is_dir = (x.flags & INDEX_FLAG_DIRECTORY) != 0;
        for (uint64_t i = 0; i < x.nsegs; i++)
            if (x.segs[i].codec != NT_CONTAINER_CODEC_GROUP)
                j.todo[j.ntodo++] = i;
        fds = malloc(x.nfiles * sizeof *fds);
        if (!fds) {
            errf(err, errlen, "out of memory");
            goto done;
        }
        if (is_dir) {
            if (temp_beside(out_path, &tmp, 1) < 0) {
                errf(err, errlen, "%s: cannot create a temporary directory beside it: %s", out_path,
                     strerror(errno));
                goto done;
            }
            chmod(tmp, dir_mode()); /* as mkdir would have made it, under the umask */
        }
        for (uint32_t i = 0; i < x.nfiles; i++) {
            int fd;
            if (is_dir) {
                size_t n = strlen(tmp) + strlen(x.files[i].name) + 2;
                char *p = malloc(n);
                if (!p || make_parents(tmp, x.files[i].name) != 0) {
                    free(p);
                    errf(err, errlen, "%s: cannot create directories: %s", tmp, strerror(errno));
                    goto done;
                }
                snprintf(p, n, "%s/%s", tmp, x.files[i].name);
                fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0666);
                if (fd < 0)
                    errf(err, errlen, "%s: cannot create: %s", p, strerror(errno));
                free(p);
            } else {
                fd = temp_beside(out_path, &tmp, 0);
                if (fd < 0)
                    errf(err, errlen, "%s: cannot create a temporary file beside it: %s", out_path, strerror(errno));
            }
            if (fd < 0)
                goto done;
            fds[nfds++] = fd;
            if (ftruncate(fd, (off_t)x.files[i].size) != 0) {
                errf(err, errlen, "%s: cannot write: %s", x.files[i].name, strerror(errno));
                goto done;
            }
        }
    }
    j.fds = fds;
    if (run_unpack(&j, opt) != 0)
        goto done;
    for (uint32_t i = 0; i < nfds; i++) {
        int r = fsync(fds[i]);
        if (close(fds[i]) != 0 || r != 0) {
            fds[i] = -1;
            errf(err, errlen, "cannot write the output: %s", strerror(errno));
            goto done;
        }
        fds[i] = -1;
    }
    if (rename(tmp, out_path) != 0) {
        errf(err, errlen, "%s: cannot rename the temporary %s to it: %s%s", out_path, is_dir ? "directory" : "file",
             strerror(errno), is_dir ? " (the target directory must not exist or be empty)" : "");
        goto done;
    }
    free(tmp);
    tmp = NULL;
    rc = 0;
done:
    for (uint32_t i = 0; i < nfds; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    free(fds);
    if (tmp) {
        remove_tree(tmp);
        free(tmp);
    }
    free(j.todo);
    free(j.dst_off);
    index_free(&x);
    pairs_free(&ps);
    return rc;
}

/* ------------------------------------------------------------------ check */

int nt_container_check(const char *path, const nt_pack_options *opt, uint64_t *bytes, char *err, size_t errlen)
{
    index_t x;
    pairs_t ps;
    unpack_job j;
    int rc = -1;
    memset(&j, 0, sizeof j);
    if (pairs_init(&ps, opt, err, errlen) != 0)
        return -1;
    if (container_open(&x, path, &ps, err, errlen) != 0)
        goto done;
    if (unpack_job_init(&j, &x, &ps, path, err, errlen) != 0)
        goto done;
    for (uint64_t i = 0; i < x.nsegs; i++)
        if (x.segs[i].codec != NT_CONTAINER_CODEC_GROUP)
            j.todo[j.ntodo++] = i;
    if (run_unpack(&j, opt) != 0)
        goto done;
    if (bytes) {
        *bytes = 0;
        for (uint32_t i = 0; i < x.nfiles; i++)
            *bytes += x.files[i].size;
    }
    rc = 0;
done:
    free(j.todo);
    index_free(&x);
    pairs_free(&ps);
    return rc;
}

/* ------------------------------------------------------------------ list */

int nt_container_list(const char *path, char *err, size_t errlen)
{
    index_t x;
    /* Listing decodes nothing: any codec id is accepted (NULL pairs). */
    if (container_open(&x, path, NULL, err, errlen) != 0) {
        index_free(&x);
        return -1;
    }
    printf("# %s: %u file%s, %llu segments%s\n", path, x.nfiles, x.nfiles == 1 ? "" : "s",
           (unsigned long long)x.nsegs, x.type_source ? ", with a user type" : "");
    printf("# file\tkind\tname\tdtype\tcodec\tpart\toffset\tlength\tpayload_offset\tpayload_size\txxh3\n");
    for (uint64_t i = 0; i < x.nsegs; i++) {
        const seg_t *s = &x.segs[i];
        printf("%s\t%s\t%s\t%s\t%d\t%u/%u\t%llu\t%llu\t%llu\t%llu\t%016llx\n", x.files[s->file].name,
               s->kind == SEG_TENSOR ? "tensor" : s->kind == SEG_HEADER ? "header" : "bytes", *s->name ? s->name : "-",
               *s->dtype ? s->dtype : "-", s->codec, s->part + 1, s->nparts, (unsigned long long)s->offset,
               (unsigned long long)s->length, (unsigned long long)s->payload_offset,
               (unsigned long long)s->payload_size, (unsigned long long)s->xxh3);
    }
    index_free(&x);
    return 0;
}

/* ------------------------------------------------------------------ analysis */

int nt_container_analyze(const char *path, const nt_pack_options *opt, nt_report_fn fn, void *user, char *err,
                         size_t errlen)
{
    nt_tensor_file tf;
    pairs_t ps;
    scratch_t s;
    uint64_t *tot_hist = NULL, exp_hist[256];
    int rc = -1;
    char e[512];
    if (pairs_init(&ps, opt, err, errlen) != 0)
        return -1;
    if (scratch_init(&s) != 0 || !(tot_hist = calloc(65536, sizeof *tot_hist))) {
        scratch_free(&s);
        pairs_free(&ps);
        free(tot_hist);
        return errf(err, errlen, "out of memory");
    }
    if (nt_tensor_file_open(&tf, path, 0, e, sizeof e) != 0) {
        errf(err, errlen, "%s", e);
        goto done;
    }
    {
        unsigned mask = 0;
        for (int i = 0; i < tf.ntensors; i++)
            if (tf.tensors[i].dtype < NT_DT_OTHER)
                mask |= 1u << tf.tensors[i].dtype;
        if (pairs_tables(&ps, mask, err, errlen) != 0)
            goto done;
    }
    for (int i = 0; i < tf.ntensors; i++) {
        const nt_tensor *t = &tf.tensors[i];
        nt_tensor_report r;
        index_t one;
        const int wb = dtype_word_bytes(t->dtype);
        memset(&r, 0, sizeof r);
        memset(&one, 0, sizeof one);
        r.name = t->name;
        r.dtype = t->dtype_name;
        r.count = t->count;
        r.bytes = t->size;
        for (int k = 0; k < NT_CONTAINER_MAX_PAIRS; k++)
            r.bound_bytes[k] = -1;
        memset(tot_hist, 0, 65536 * sizeof *tot_hist);
        if (t->size && add_range(&one, 0, SEG_TENSOR, t, t->offset, t->size) != 0) {
            index_free(&one);
            errf(err, errlen, "out of memory");
            goto done;
        }
        for (uint64_t k = 0; k < one.nsegs; k++) {
            const seg_t *sg = &one.segs[k];
            const uint8_t *payload;
            uint64_t psize;
            int codec;
            double bits[NT_CONTAINER_MAX_PAIRS];
            if (code_segment(&ps, &s, sg, tf.map + sg->offset, &payload, &psize, &codec, wb ? bits : NULL) != 0) {
                index_free(&one);
                errf(err, errlen, "out of memory");
                goto done;
            }
            if (k == 0)
                r.codec = codec;
            r.packed_bytes += psize;
            if (wb && sg->length % (uint64_t)wb == 0)
                for (uint32_t key = 0; key < 65536; key++)
                    tot_hist[key] += s.hist[key];
            release_pages(tf.map + sg->offset, sg->length);
        }
        index_free(&one);
        if (wb && t->size % (uint64_t)wb == 0 && t->size) {
            /* bounds over the whole tensor (parts only matter for the model) */
            for (int k = 0; k < ps.n; k++) {
                const nt_pair *p = ps.tab[k].p;
                if ((p->dtypes & (1u << t->dtype)) && p->word_bytes == wb && p->code_of)
                    r.bound_bytes[k] = nt_pair_bound_bits(p, tot_hist) / 8;
                else if ((p->dtypes & (1u << t->dtype)) && p->word_bytes == wb && p->bound_bits) {
                    const double b = p->bound_bits(tf.map + t->offset, (size_t)(t->size / (uint64_t)wb));
                    r.bound_bytes[k] = b < 0 ? -1 : b / 8;
                }
            }
            memset(exp_hist, 0, sizeof exp_hist);
            for (uint32_t key = 0; key < 65536; key++) {
                /* the key is sign | exponent | top mantissa: bf16 and f32 have 8 exponent bits at
                 * 14..7, f16 has 5 at 14..10 */
                int ex = t->dtype == NT_DT_F16 ? (int)((key >> 10) & 0x1f) : (int)((key >> 7) & 0xff);
                exp_hist[ex] += tot_hist[key];
            }
            r.exp_hist = exp_hist;
        }
        if (fn(user, &r) != 0)
            break;
    }
    rc = 0;
done:
    nt_tensor_file_close(&tf);
    scratch_free(&s);
    pairs_free(&ps);
    free(tot_hist);
    return rc;
}
