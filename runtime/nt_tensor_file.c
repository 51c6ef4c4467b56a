/*
 * nt_tensor_file.c — the safetensors, .npy and raw readers declared in nt_tensor_file.h.
 *
 * The file is mmap'ed read-only; only the header is parsed into memory, so memory stays bounded
 * by the header size whatever the size of the data. Every read of the mapping is bounds-checked
 * against the header or file length first: files are untrusted input.
 *
 * The safetensors header is parsed by a small strict JSON parser (RFC 8259 syntax, UTF-8
 * checked, nesting depth capped) that decodes only what it needs and skips the rest.
 * The npy header is a Python dict literal; its parser accepts what numpy writes and no more.
 *
 * Built with -DNT_TENSOR_FILE_CHECKED (the tests do), the file is read into a malloc'ed buffer of
 * its exact size and each header is parsed from its own exact-size copy, so that AddressSanitizer
 * sees any read past the end of a header or of the file (it cannot see into a mapping).
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "nt_tensor_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The reference safetensors implementation refuses headers above 100 MB; so do we, which also
 * bounds what a hostile header can make us allocate. */
#define ST_MAX_HEADER ((uint64_t)100 << 20)
#define JSON_MAX_DEPTH 64

typedef struct {
    const char *path;
    char *err;
    size_t errlen;
} ectx;

static int fail(const ectx *e, const char *fmt, ...)
{
    va_list ap;
    int n;
    char *p;
    if (!e->err || e->errlen == 0)
        return -1;
    n = snprintf(e->err, e->errlen, "%s: ", e->path);
    if (n < 0 || (size_t)n >= e->errlen)
        return -1;
    va_start(ap, fmt);
    vsnprintf(e->err + n, e->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    /* Names and paths come from the file: keep the message on one printable line. */
    for (p = e->err; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    return -1;
}

static uint64_t rd_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    int i;
    for (i = n - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* count = product of the shape; 0 on success, -1 on overflow. */
static int shape_count(const uint64_t *shape, int ndim, uint64_t *count)
{
    uint64_t c = 1;
    int i, zero = 0;
    for (i = 0; i < ndim; i++)
        if (shape[i] == 0)
            zero = 1;
    if (zero) { /* an empty tensor; a huge other dimension is then harmless */
        *count = 0;
        return 0;
    }
    for (i = 0; i < ndim; i++) {
        if (c > UINT64_MAX / shape[i])
            return -1;
        c *= shape[i];
    }
    *count = c;
    return 0;
}

static char *dupstr(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

/* The LEN header bytes at OFF, to be parsed; release with header_done. */
static const uint8_t *header_view(const nt_tensor_file *f, uint64_t off, uint64_t len)
{
#ifdef NT_TENSOR_FILE_CHECKED
    uint8_t *h = malloc(len ? (size_t)len : 1);
    if (h && len)
        memcpy(h, f->map + off, (size_t)len);
    return h;
#else
    (void)len;
    return f->map + off;
#endif
}

static void header_done(const uint8_t *h)
{
#ifdef NT_TENSOR_FILE_CHECKED
    free((void *)h);
#else
    (void)h;
#endif
}

/* ================================================================ JSON */

typedef struct {
    const uint8_t *s, *p, *e; /* start of the JSON text, cursor, end */
    uint64_t base;            /* file offset of s, for messages */
    const ectx *ec;
} jp;

static int jfail(jp *j, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return fail(j->ec, "header JSON: %s at file offset %llu", msg,
                (unsigned long long)(j->base + (uint64_t)(j->p - j->s)));
}

static void jws(jp *j)
{
    while (j->p < j->e && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int jexpect(jp *j, int c)
{
    jws(j);
    if (j->p >= j->e)
        return jfail(j, "unexpected end of header, expected '%c'", c);
    if (*j->p != c)
        return jfail(j, "expected '%c'", c);
    j->p++;
    return 0;
}

/* Length of the valid UTF-8 sequence at p (at most n bytes available), or 0 if invalid
 * (bad lead or continuation byte, overlong form, surrogate, above U+10FFFF). */
static int utf8_len(const uint8_t *p, size_t n)
{
    uint32_t c;
    int len, i;
    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xC2 && p[0] <= 0xDF) { len = 2; c = p[0] & 0x1F; }
    else if (p[0] >= 0xE0 && p[0] <= 0xEF) { len = 3; c = p[0] & 0x0F; }
    else if (p[0] >= 0xF0 && p[0] <= 0xF4) { len = 4; c = p[0] & 0x07; }
    else return 0;
    if (n < (size_t)len)
        return 0;
    for (i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (p[i] & 0x3F);
    }
    if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) || c > 0x10FFFF ||
        (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    return len;
}

static int hex4(const uint8_t *p, uint32_t *v)
{
    int i;
    *v = 0;
    for (i = 0; i < 4; i++) {
        int c = p[i], d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
        else return -1;
        *v = (*v << 4) | (uint32_t)d;
    }
    return 0;
}

/* Parses a string at the cursor. With out, returns it decoded to UTF-8 (malloc'ed, NUL
 * terminated, length in *outlen); without, only validates and skips it. */
static int jstring(jp *j, char **out, size_t *outlen)
{
    const uint8_t *q;
    char *buf = NULL;
    size_t n = 0;
    jws(j);
    if (j->p >= j->e)
        return jfail(j, "unexpected end of header, expected a string");
    if (*j->p != '"')
        return jfail(j, "expected a string");
    j->p++;
    if (out) {
        /* Decoded text is never longer than its source, so the span to the closing quote is
         * enough; an unterminated string is caught below. */
        for (q = j->p; q < j->e && *q != '"'; q++)
            if (*q == '\\' && q + 1 < j->e)
                q++;
        buf = malloc((size_t)(q - j->p) + 1);
        if (!buf)
            return jfail(j, "out of memory");
    }
    for (;;) {
        uint8_t c;
        if (j->p >= j->e) {
            free(buf);
            return jfail(j, "unexpected end of header inside a string");
        }
        c = *j->p;
        if (c == '"') {
            j->p++;
            break;
        }
        if (c < 0x20) {
            free(buf);
            return jfail(j, "control character 0x%02x in a string", c);
        }
        if (c == '\\') {
            uint32_t u;
            if (j->e - j->p < 2) {
                free(buf);
                return jfail(j, "unexpected end of header inside a string");
            }
            c = j->p[1];
            j->p += 2;
            switch (c) {
            case '"': case '\\': case '/': u = c; break;
            case 'b': u = '\b'; break;
            case 'f': u = '\f'; break;
            case 'n': u = '\n'; break;
            case 'r': u = '\r'; break;
            case 't': u = '\t'; break;
            case 'u':
                if (j->e - j->p < 4 || hex4(j->p, &u) < 0) {
                    free(buf);
                    return jfail(j, "bad \\u escape (needs 4 hex digits)");
                }
                j->p += 4;
                if (u >= 0xDC00 && u <= 0xDFFF) {
                    free(buf);
                    return jfail(j, "unpaired low surrogate \\u%04x", (unsigned)u);
                }
                if (u >= 0xD800 && u <= 0xDBFF) {
                    uint32_t lo;
                    if (j->e - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u' ||
                        hex4(j->p + 2, &lo) < 0 || lo < 0xDC00 || lo > 0xDFFF) {
                        free(buf);
                        return jfail(j, "unpaired high surrogate \\u%04x", (unsigned)u);
                    }
                    j->p += 6;
                    u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                }
                break;
            default:
                j->p -= 2;
                free(buf);
                return jfail(j, "invalid escape '\\%c'", c >= 0x20 && c < 0x7f ? c : '?');
            }
            if (buf) {
                if (u < 0x80) {
                    buf[n++] = (char)u;
                } else if (u < 0x800) {
                    buf[n++] = (char)(0xC0 | (u >> 6));
                    buf[n++] = (char)(0x80 | (u & 0x3F));
                } else if (u < 0x10000) {
                    buf[n++] = (char)(0xE0 | (u >> 12));
                    buf[n++] = (char)(0x80 | ((u >> 6) & 0x3F));
                    buf[n++] = (char)(0x80 | (u & 0x3F));
                } else {
                    buf[n++] = (char)(0xF0 | (u >> 18));
                    buf[n++] = (char)(0x80 | ((u >> 12) & 0x3F));
                    buf[n++] = (char)(0x80 | ((u >> 6) & 0x3F));
                    buf[n++] = (char)(0x80 | (u & 0x3F));
                }
            }
            continue;
        }
        {
            int l = utf8_len(j->p, (size_t)(j->e - j->p));
            if (l == 0) {
                free(buf);
                return jfail(j, "invalid UTF-8 in a string");
            }
            if (buf)
                memcpy(buf + n, j->p, (size_t)l);
            n += (size_t)l;
            j->p += l;
        }
    }
    if (out) {
        buf[n] = 0;
        *out = buf;
        if (outlen)
            *outlen = n;
    }
    return 0;
}

/* Scans a JSON number at the cursor. *is_uint tells whether it is a plain non-negative integer,
 * whose value (if it fits in 64 bits, *fits) is in *v. */
static int jnumber(jp *j, int *is_uint, int *fits, uint64_t *v)
{
    const uint8_t *p = j->p;
    int neg = 0, frac = 0;
    uint64_t x = 0;
    *fits = 1;
    if (p < j->e && *p == '-') {
        neg = 1;
        p++;
    }
    if (p >= j->e || *p < '0' || *p > '9')
        return jfail(j, "bad number");
    if (*p == '0' && p + 1 < j->e && p[1] >= '0' && p[1] <= '9')
        return jfail(j, "number with a leading zero");
    for (; p < j->e && *p >= '0' && *p <= '9'; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (x > (UINT64_MAX - d) / 10)
            *fits = 0;
        else
            x = x * 10 + d;
    }
    if (p < j->e && *p == '.') {
        frac = 1;
        p++;
        if (p >= j->e || *p < '0' || *p > '9')
            return jfail(j, "bad number (no digit after '.')");
        while (p < j->e && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < j->e && (*p == 'e' || *p == 'E')) {
        frac = 1;
        p++;
        if (p < j->e && (*p == '+' || *p == '-'))
            p++;
        if (p >= j->e || *p < '0' || *p > '9')
            return jfail(j, "bad number (no digit in the exponent)");
        while (p < j->e && *p >= '0' && *p <= '9')
            p++;
    }
    j->p = p;
    *is_uint = !neg && !frac;
    *v = x;
    return 0;
}

static int jliteral(jp *j, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(j->e - j->p) < n || memcmp(j->p, lit, n) != 0)
        return jfail(j, "unexpected character");
    j->p += n;
    return 0;
}

/* Validates and skips any JSON value; depth counts the enclosing objects and arrays. */
static int jskip(jp *j, int depth)
{
    jws(j);
    if (j->p >= j->e)
        return jfail(j, "unexpected end of header, expected a value");
    switch (*j->p) {
    case '{':
    case '[': {
        int close = *j->p == '{' ? '}' : ']';
        if (depth + 1 > JSON_MAX_DEPTH)
            return jfail(j, "nesting deeper than %d levels", JSON_MAX_DEPTH);
        j->p++;
        jws(j);
        if (j->p < j->e && *j->p == close) {
            j->p++;
            return 0;
        }
        for (;;) {
            if (close == '}') {
                if (jstring(j, NULL, NULL) < 0 || jexpect(j, ':') < 0)
                    return -1;
            }
            if (jskip(j, depth + 1) < 0)
                return -1;
            jws(j);
            if (j->p >= j->e)
                return jfail(j, "unexpected end of header, expected ',' or '%c'", close);
            if (*j->p == ',') {
                j->p++;
                continue;
            }
            if (*j->p == close) {
                j->p++;
                return 0;
            }
            return jfail(j, "expected ',' or '%c'", close);
        }
    }
    case '"':
        return jstring(j, NULL, NULL);
    case 't':
        return jliteral(j, "true");
    case 'f':
        return jliteral(j, "false");
    case 'n':
        return jliteral(j, "null");
    default: {
        int u, fits;
        uint64_t v;
        return jnumber(j, &u, &fits, &v);
    }
    }
}

static int juint(jp *j, const char *name, const char *what, uint64_t *v)
{
    int u, fits;
    const uint8_t *at;
    jws(j);
    at = j->p;
    if (j->p >= j->e)
        return jfail(j, "unexpected end of header in tensor \"%.64s\"", name);
    if (*j->p != '-' && (*j->p < '0' || *j->p > '9'))
        return jfail(j, "tensor \"%.64s\": %s must be a non-negative integer", name, what);
    if (jnumber(j, &u, &fits, v) < 0)
        return -1;
    if (!u) {
        j->p = at;
        return jfail(j, "tensor \"%.64s\": %s must be a non-negative integer", name, what);
    }
    if (!fits) {
        j->p = at;
        return jfail(j, "tensor \"%.64s\": %s is too large for 64 bits", name, what);
    }
    return 0;
}

/* [u64, ...] with at most max entries. */
static int juint_array(jp *j, const char *name, const char *what, uint64_t *v, int max, int *n)
{
    *n = 0;
    if (jexpect(j, '[') < 0)
        return -1;
    jws(j);
    if (j->p < j->e && *j->p == ']') {
        j->p++;
        return 0;
    }
    for (;;) {
        if (*n == max)
            return jfail(j, "tensor \"%.64s\": %s has more than %d entries", name, what, max);
        if (juint(j, name, what, &v[*n]) < 0)
            return -1;
        (*n)++;
        jws(j);
        if (j->p >= j->e)
            return jfail(j, "unexpected end of header in tensor \"%.64s\"", name);
        if (*j->p == ',') {
            j->p++;
            continue;
        }
        if (*j->p == ']') {
            j->p++;
            return 0;
        }
        return jfail(j, "expected ',' or ']'");
    }
}

/* ================================================================ safetensors */

typedef struct {
    nt_tensor t;
    uint64_t begin, end; /* data_offsets, relative to the data area */
    size_t order;        /* position in the JSON, to keep sorting deterministic */
} st_entry;

static const struct {
    const char *name;
    nt_dtype dt;
    int bytes;
} st_dtypes[] = {
    {"BF16", NT_DT_BF16, 2}, {"F16", NT_DT_F16, 2}, {"F32", NT_DT_F32, 4}, {"F64", NT_DT_F64, 8},
    {"I8", NT_DT_I8, 1}, {"U8", NT_DT_U8, 1}, {"I16", NT_DT_I16, 2}, {"U16", NT_DT_U16, 2},
    {"I32", NT_DT_I32, 4}, {"U32", NT_DT_U32, 4}, {"I64", NT_DT_I64, 8}, {"U64", NT_DT_U64, 8},
    {"BOOL", NT_DT_BOOL, 1}, {"F8_E4M3", NT_DT_F8_E4M3, 1}, {"F8_E5M2", NT_DT_F8_E5M2, 1},
};

/* One tensor's entry: {"dtype": .., "shape": [..], "data_offsets": [b, e]}, other keys skipped. */
static int st_entry_parse(jp *j, st_entry *s)
{
    int have_dt = 0, have_shape = 0, have_off = 0;
    const char *name = s->t.name;
    jws(j);
    if (j->p >= j->e || *j->p != '{')
        return jfail(j, "tensor \"%.64s\": entry must be an object", name);
    j->p++;
    jws(j);
    if (j->p < j->e && *j->p == '}') {
        j->p++;
    } else {
        for (;;) {
            char *key;
            size_t klen;
            if (jstring(j, &key, &klen) < 0)
                return -1;
            if (jexpect(j, ':') < 0) {
                free(key);
                return -1;
            }
            if (strcmp(key, "dtype") == 0 || strcmp(key, "shape") == 0 ||
                strcmp(key, "data_offsets") == 0) {
                int *have = key[0] == 'd' && key[1] == 't' ? &have_dt
                          : key[0] == 's' ? &have_shape : &have_off;
                if (*have) {
                    jfail(j, "tensor \"%.64s\": duplicate key \"%s\"", name, key);
                    free(key);
                    return -1;
                }
                *have = 1;
            }
            if (strcmp(key, "dtype") == 0) {
                char *dt;
                size_t dlen;
                free(key);
                jws(j);
                if (j->p >= j->e || *j->p != '"')
                    return jfail(j, "tensor \"%.64s\": dtype must be a string", name);
                if (jstring(j, &dt, &dlen) < 0)
                    return -1;
                if (dlen >= sizeof s->t.dtype_name || memchr(dt, 0, dlen)) {
                    free(dt);
                    return jfail(j, "tensor \"%.64s\": dtype name is too long or holds a NUL", name);
                }
                memcpy(s->t.dtype_name, dt, dlen + 1);
                free(dt);
            } else if (strcmp(key, "shape") == 0) {
                free(key);
                if (juint_array(j, name, "shape", s->t.shape, NT_TENSOR_MAX_DIMS, &s->t.ndim) < 0)
                    return -1;
            } else if (strcmp(key, "data_offsets") == 0) {
                uint64_t off[2];
                int n;
                free(key);
                if (juint_array(j, name, "data_offsets", off, 2, &n) < 0)
                    return -1;
                if (n != 2)
                    return jfail(j, "tensor \"%.64s\": data_offsets must hold two integers", name);
                s->begin = off[0];
                s->end = off[1];
            } else {
                free(key);
                if (jskip(j, 2) < 0)
                    return -1;
            }
            jws(j);
            if (j->p >= j->e)
                return jfail(j, "unexpected end of header in tensor \"%.64s\"", name);
            if (*j->p == ',') {
                j->p++;
                continue;
            }
            if (*j->p == '}') {
                j->p++;
                break;
            }
            return jfail(j, "expected ',' or '}'");
        }
    }
    if (!have_dt || !have_shape || !have_off)
        return jfail(j, "tensor \"%.64s\": missing \"%s\"", name,
                     !have_dt ? "dtype" : !have_shape ? "shape" : "data_offsets");
    return 0;
}

static int cmp_by_name(const void *a, const void *b)
{
    const st_entry *x = *(const st_entry *const *)a, *y = *(const st_entry *const *)b;
    return strcmp(x->t.name, y->t.name);
}

static int cmp_by_offset(const void *a, const void *b)
{
    const st_entry *x = a, *y = b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static void free_entries(st_entry *v, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        free(v[i].t.name);
    free(v);
}

static int open_safetensors(nt_tensor_file *f, const ectx *ec)
{
    uint64_t n, data_start, data_size;
    jp j;
    const uint8_t *hdr;
    st_entry *v = NULL;
    size_t nv = 0, cap = 0, i;
    int have_meta = 0;

    if (f->map_size < 8)
        return fail(ec, "file too short (%llu bytes) for a safetensors header",
                    (unsigned long long)f->map_size);
    n = rd_le(f->map, 8);
    if (n > f->map_size - 8) {
        if (f->map_size > 8 && f->map[8] == '{')
            return fail(ec, "header length %llu exceeds file size %llu", (unsigned long long)n,
                        (unsigned long long)f->map_size);
        return fail(ec, "not a safetensors or .npy file (header length %llu exceeds file size "
                        "%llu); give a word width to read it as raw",
                    (unsigned long long)n, (unsigned long long)f->map_size);
    }
    if (n > ST_MAX_HEADER)
        return fail(ec, "header length %llu exceeds the 100 MB limit", (unsigned long long)n);
    if (n < 2)
        return fail(ec, "header length %llu is too small for a JSON object", (unsigned long long)n);
    if (f->map[8] != '{')
        return fail(ec, "not a safetensors or .npy file (header does not start with '{'); "
                        "give a word width to read it as raw");
    data_start = 8 + n;
    data_size = f->map_size - data_start;
    f->header_size = data_start;

    hdr = header_view(f, 8, n);
    if (!hdr)
        return fail(ec, "out of memory");
    j.s = j.p = hdr;
    j.e = j.s + n;
    j.base = 8;
    j.ec = ec;
    j.p++; /* the '{' checked above */
    jws(&j);
    if (j.p < j.e && *j.p == '}') {
        j.p++;
    } else {
        for (;;) {
            char *key;
            size_t klen;
            if (jstring(&j, &key, &klen) < 0)
                goto bad;
            if (jexpect(&j, ':') < 0) {
                free(key);
                goto bad;
            }
            if (strcmp(key, "__metadata__") == 0) {
                const uint8_t *start;
                free(key);
                if (have_meta) {
                    jfail(&j, "duplicate \"__metadata__\"");
                    goto bad;
                }
                have_meta = 1;
                jws(&j);
                if (j.p >= j.e || *j.p != '{') {
                    jfail(&j, "\"__metadata__\" must be an object");
                    goto bad;
                }
                start = j.p;
                if (jskip(&j, 1) < 0)
                    goto bad;
                f->metadata_json = dupstr((const char *)start, (size_t)(j.p - start));
                if (!f->metadata_json) {
                    fail(ec, "out of memory");
                    goto bad;
                }
            } else {
                if (memchr(key, 0, klen)) {
                    free(key);
                    jfail(&j, "tensor name holds a NUL character");
                    goto bad;
                }
                if (nv == cap) {
                    /* Entries are at least ~40 header bytes each, so growth is bounded by n. */
                    size_t nc = cap ? cap * 2 : 16;
                    st_entry *nvp = realloc(v, nc * sizeof *v);
                    if (!nvp) {
                        free(key);
                        fail(ec, "out of memory");
                        goto bad;
                    }
                    v = nvp;
                    cap = nc;
                }
                memset(&v[nv], 0, sizeof v[nv]);
                v[nv].t.name = key;
                v[nv].order = nv;
                nv++;
                if (st_entry_parse(&j, &v[nv - 1]) < 0)
                    goto bad;
            }
            jws(&j);
            if (j.p >= j.e) {
                jfail(&j, "unexpected end of header, expected ',' or '}'");
                goto bad;
            }
            if (*j.p == ',') {
                j.p++;
                continue;
            }
            if (*j.p == '}') {
                j.p++;
                break;
            }
            jfail(&j, "expected ',' or '}'");
            goto bad;
        }
    }
    jws(&j);
    if (j.p != j.e) {
        jfail(&j, "unexpected data after the JSON object");
        goto bad;
    }
    if (nv > (size_t)INT32_MAX) {
        fail(ec, "too many tensors");
        goto bad;
    }

    /* Per tensor checks, in JSON order so the first bad one is named. */
    for (i = 0; i < nv; i++) {
        nt_tensor *t = &v[i].t;
        size_t k;
        t->dtype = NT_DT_OTHER;
        t->word_bytes = 0;
        for (k = 0; k < sizeof st_dtypes / sizeof st_dtypes[0]; k++)
            if (strcmp(t->dtype_name, st_dtypes[k].name) == 0) {
                t->dtype = st_dtypes[k].dt;
                t->word_bytes = st_dtypes[k].bytes;
            }
        if (v[i].end < v[i].begin) {
            fail(ec, "tensor \"%.64s\": data_offsets end %llu < begin %llu", t->name,
                 (unsigned long long)v[i].end, (unsigned long long)v[i].begin);
            goto bad;
        }
        if (v[i].end > data_size) {
            fail(ec, "tensor \"%.64s\": data_offsets end %llu is past the end of the data area "
                     "(%llu bytes)", t->name, (unsigned long long)v[i].end,
                 (unsigned long long)data_size);
            goto bad;
        }
        if (shape_count(t->shape, t->ndim, &t->count) < 0) {
            fail(ec, "tensor \"%.64s\": element count overflows 64 bits", t->name);
            goto bad;
        }
        t->size = v[i].end - v[i].begin;
        if (t->word_bytes &&
            (t->count > UINT64_MAX / (uint64_t)t->word_bytes ||
             t->count * (uint64_t)t->word_bytes != t->size)) {
            fail(ec, "tensor \"%.64s\": %llu bytes of data does not match %llu elements of %s",
                 t->name, (unsigned long long)t->size, (unsigned long long)t->count,
                 t->dtype_name);
            goto bad;
        }
        t->offset = data_start + v[i].begin;
        t->data = f->map + t->offset;
    }

    /* Duplicate names: sort pointers by name and compare neighbours (JSON itself allows
     * duplicate keys, but a second tensor of the same name would be unreachable). */
    if (nv > 1) {
        st_entry **byname = malloc(nv * sizeof *byname);
        if (!byname) {
            fail(ec, "out of memory");
            goto bad;
        }
        for (i = 0; i < nv; i++)
            byname[i] = &v[i];
        qsort(byname, nv, sizeof *byname, cmp_by_name);
        for (i = 1; i < nv; i++)
            if (strcmp(byname[i - 1]->t.name, byname[i]->t.name) == 0) {
                fail(ec, "duplicate tensor name \"%.64s\"", byname[i]->t.name);
                free(byname);
                goto bad;
            }
        free(byname);
    }

    /* Data order, and no two tensors sharing a byte. */
    if (nv > 1)
        qsort(v, nv, sizeof *v, cmp_by_offset);
    {
        uint64_t maxend = 0;
        size_t owner = 0;
        for (i = 0; i < nv; i++) {
            if (v[i].t.size > 0 && v[i].begin < maxend) {
                fail(ec, "tensors \"%.64s\" and \"%.64s\" overlap", v[owner].t.name, v[i].t.name);
                goto bad;
            }
            if (v[i].end > maxend) {
                maxend = v[i].end;
                owner = i;
            }
        }
    }

    f->tensors = calloc(nv ? nv : 1, sizeof *f->tensors);
    if (!f->tensors) {
        fail(ec, "out of memory");
        goto bad;
    }
    for (i = 0; i < nv; i++)
        f->tensors[i] = v[i].t;
    f->ntensors = (int)nv;
    free(v);
    header_done(hdr);
    return 0;
bad:
    free_entries(v, nv);
    header_done(hdr);
    return -1;
}

/* ================================================================ npy */

typedef struct {
    const uint8_t *p, *e;
} pyp;

static void pws(pyp *q)
{
    while (q->p < q->e && (*q->p == ' ' || *q->p == '\t' || *q->p == '\n' || *q->p == '\r'))
        q->p++;
}

/* After an item of a tuple or dict: blanks, then ',' (0: another item follows) or `close` (1: the
 * end); -1 for anything else. */
static int py_next(pyp *q, char close)
{
    pws(q);
    if (q->p < q->e && (*q->p == ',' || *q->p == close))
        return *q->p++ == ',' ? 0 : 1;
    return -1;
}

/* A quoted Python string without escapes (numpy's keys and descrs need none). */
static int pystr(pyp *q, char *out, size_t outsz)
{
    uint8_t quote;
    size_t n = 0;
    pws(q);
    if (q->p >= q->e || (*q->p != '\'' && *q->p != '"'))
        return -1;
    quote = *q->p++;
    while (q->p < q->e && *q->p != quote) {
        if (*q->p == '\\' || *q->p < 0x20 || n + 1 >= outsz)
            return -1;
        out[n++] = (char)*q->p++;
    }
    if (q->p >= q->e)
        return -1;
    q->p++;
    out[n] = 0;
    return 0;
}

static int npy_descr(const char *d, nt_tensor *t, uint64_t *itemsize, const ectx *ec)
{
    static const union { uint16_t u; uint8_t b[2]; } host = {1};
    char order = d[0], kind;
    const char *p;
    uint64_t size = 0;
    if (order != '<' && order != '>' && order != '|' && order != '=')
        return fail(ec, "npy descr '%s' not understood (no byte-order character)", d);
    kind = d[1];
    if (kind == 0)
        return fail(ec, "npy descr '%s' not understood", d);
    if (kind == 'O')
        return fail(ec, "npy descr '%s': object arrays (pickled) are not supported", d);
    for (p = d + 2; *p >= '0' && *p <= '9'; p++) {
        if (size > 1000000)
            return fail(ec, "npy descr '%s': item size too large", d);
        size = size * 10 + (uint64_t)(*p - '0');
    }
    if (p == d + 2 || (*p && !((kind == 'M' || kind == 'm') && *p == '[')))
        return fail(ec, "npy descr '%s' not understood", d);
    if (kind == 'U')
        size *= 4; /* UCS-4 characters */
    if (size == 0 && kind != 'V' && kind != 'S' && kind != 'U')
        return fail(ec, "npy descr '%s' has item size 0", d);
    if (order == '=' && host.b[0] != 1)
        order = '>';
    if (order == '>' && size > 1 && kind != 'V' && kind != 'S')
        return fail(ec, "npy descr '%s': big-endian data is not supported", d);
    t->dtype = NT_DT_OTHER;
    t->word_bytes = 0;
    if (kind == 'f' && size == 2) t->dtype = NT_DT_F16;
    else if (kind == 'f' && size == 4) t->dtype = NT_DT_F32;
    else if (kind == 'f' && size == 8) t->dtype = NT_DT_F64;
    else if (kind == 'i' && size == 1) t->dtype = NT_DT_I8;
    else if (kind == 'i' && size == 2) t->dtype = NT_DT_I16;
    else if (kind == 'i' && size == 4) t->dtype = NT_DT_I32;
    else if (kind == 'i' && size == 8) t->dtype = NT_DT_I64;
    else if (kind == 'u' && size == 1) t->dtype = NT_DT_U8;
    else if (kind == 'u' && size == 2) t->dtype = NT_DT_U16;
    else if (kind == 'u' && size == 4) t->dtype = NT_DT_U32;
    else if (kind == 'u' && size == 8) t->dtype = NT_DT_U64;
    else if (kind == 'b' && size == 1) t->dtype = NT_DT_BOOL;
    if (t->dtype != NT_DT_OTHER)
        t->word_bytes = (int)size;
    *itemsize = size;
    return 0;
}

static int npy_parse(nt_tensor_file *f, const ectx *ec, const uint8_t *h, uint64_t hlen);

static int open_npy(nt_tensor_file *f, const ectx *ec)
{
    const uint8_t *m = f->map, *h;
    uint64_t hlen, hstart;
    int major, r;

    if (f->map_size < 10)
        return fail(ec, "npy file too short (%llu bytes) for its header",
                    (unsigned long long)f->map_size);
    major = m[6];
    if ((major != 1 && major != 2 && major != 3) || m[7] != 0)
        return fail(ec, "unsupported npy version %d.%d", major, m[7]);
    if (major == 1) {
        hlen = rd_le(m + 8, 2);
        hstart = 10;
    } else {
        if (f->map_size < 12)
            return fail(ec, "npy file too short (%llu bytes) for its header",
                        (unsigned long long)f->map_size);
        hlen = rd_le(m + 8, 4);
        hstart = 12;
    }
    if (hlen > f->map_size - hstart)
        return fail(ec, "npy header length %llu exceeds file size %llu",
                    (unsigned long long)hlen, (unsigned long long)f->map_size);
    f->header_size = hstart + hlen;
    h = header_view(f, hstart, hlen);
    if (!h)
        return fail(ec, "out of memory");
    r = npy_parse(f, ec, h, hlen);
    header_done(h);
    return r;
}

/* The dict literal H (HLEN bytes); the data follows it at f->header_size. */
static int npy_parse(nt_tensor_file *f, const ectx *ec, const uint8_t *h, uint64_t hlen)
{
    const uint8_t *m = f->map;
    uint64_t hend = f->header_size, itemsize = 0, need;
    int have_descr = 0, have_fo = 0, have_shape = 0, fortran = 0, more;
    char descr[64];
    nt_tensor t;
    pyp q;

    memset(&t, 0, sizeof t);
    q.p = h;
    q.e = h + hlen;
    pws(&q);
    if (q.p >= q.e || *q.p != '{')
        return fail(ec, "npy header is not a dict literal");
    q.p++;
    for (;;) {
        char key[32];
        pws(&q);
        if (q.p < q.e && *q.p == '}') {
            q.p++;
            break;
        }
        if (pystr(&q, key, sizeof key) < 0)
            return fail(ec, "npy header: bad or unterminated key at header byte %llu",
                        (unsigned long long)(q.p - h));
        pws(&q);
        if (q.p >= q.e || *q.p != ':')
            return fail(ec, "npy header: expected ':' after '%s'", key);
        q.p++;
        pws(&q);
        if (strcmp(key, "descr") == 0) {
            if (have_descr++)
                return fail(ec, "npy header: duplicate key 'descr'");
            if (q.p < q.e && *q.p == '[')
                return fail(ec, "npy header: structured dtypes are not supported");
            if (pystr(&q, descr, sizeof descr) < 0)
                return fail(ec, "npy header: 'descr' is not a short string");
        } else if (strcmp(key, "fortran_order") == 0) {
            if (have_fo++)
                return fail(ec, "npy header: duplicate key 'fortran_order'");
            if (q.e - q.p >= 4 && memcmp(q.p, "True", 4) == 0) {
                fortran = 1;
                q.p += 4;
            } else if (q.e - q.p >= 5 && memcmp(q.p, "False", 5) == 0) {
                q.p += 5;
            } else {
                return fail(ec, "npy header: 'fortran_order' must be True or False");
            }
        } else if (strcmp(key, "shape") == 0) {
            if (have_shape++)
                return fail(ec, "npy header: duplicate key 'shape'");
            if (q.p >= q.e || *q.p != '(')
                return fail(ec, "npy header: 'shape' must be a tuple");
            q.p++;
            for (;;) {
                uint64_t x = 0;
                pws(&q);
                if (q.p < q.e && *q.p == ')') {
                    q.p++;
                    break;
                }
                if (q.p >= q.e || *q.p < '0' || *q.p > '9')
                    return fail(ec, "npy header: 'shape' entries must be non-negative integers");
                if (t.ndim == NT_TENSOR_MAX_DIMS)
                    return fail(ec, "npy header: more than %d dimensions", NT_TENSOR_MAX_DIMS);
                for (; q.p < q.e && *q.p >= '0' && *q.p <= '9'; q.p++) {
                    unsigned d = (unsigned)(*q.p - '0');
                    if (x > (UINT64_MAX - d) / 10)
                        return fail(ec, "npy header: a 'shape' entry is too large for 64 bits");
                    x = x * 10 + d;
                }
                if (q.p < q.e && *q.p == 'L') /* Python 2 long */
                    q.p++;
                t.shape[t.ndim++] = x;
                if ((more = py_next(&q, ')')) < 0)
                    return fail(ec, "npy header: bad 'shape' tuple");
                if (more)
                    break;
            }
        } else {
            return fail(ec, "npy header: unexpected key '%s'", key);
        }
        if ((more = py_next(&q, '}')) < 0)
            return fail(ec, "npy header: expected ',' or '}'");
        if (more)
            break;
    }
    pws(&q);
    if (q.p != q.e)
        return fail(ec, "npy header: unexpected text after the dict");
    if (!have_descr || !have_fo || !have_shape)
        return fail(ec, "npy header: missing '%s'",
                    !have_descr ? "descr" : !have_fo ? "fortran_order" : "shape");
    if (strlen(descr) >= sizeof t.dtype_name)
        return fail(ec, "npy descr '%s' is too long", descr);
    if (npy_descr(descr, &t, &itemsize, ec) < 0)
        return -1;
    if (fortran && t.ndim > 1)
        return fail(ec, "npy fortran_order True is not supported for arrays of 2 or more dimensions");
    strcpy(t.dtype_name, descr);
    if (shape_count(t.shape, t.ndim, &t.count) < 0)
        return fail(ec, "npy shape: element count overflows 64 bits");
    if (itemsize && t.count > UINT64_MAX / itemsize)
        return fail(ec, "npy shape: data size overflows 64 bits");
    need = t.count * itemsize;
    if (need > f->map_size - hend)
        return fail(ec, "npy data truncated: shape needs %llu bytes, %llu present",
                    (unsigned long long)need, (unsigned long long)(f->map_size - hend));
    if (need < f->map_size - hend)
        return fail(ec, "npy file has %llu bytes after the data",
                    (unsigned long long)(f->map_size - hend - need));
    t.size = need;
    t.offset = hend;
    t.data = m + hend;
    t.name = dupstr("", 0);
    f->tensors = malloc(sizeof *f->tensors);
    if (!t.name || !f->tensors) {
        free(t.name);
        return fail(ec, "out of memory");
    }
    f->tensors[0] = t;
    f->ntensors = 1;
    return 0;
}

/* ================================================================ raw */

static int open_raw(nt_tensor_file *f, int w, const ectx *ec)
{
    nt_tensor t;
    if (w != 1 && w != 2 && w != 4 && w != 8)
        return fail(ec, "raw word width %d bytes (must be 1, 2, 4 or 8)", w);
    if (f->map_size % (uint64_t)w)
        return fail(ec, "raw file size %llu is not a multiple of the word width %d",
                    (unsigned long long)f->map_size, w);
    memset(&t, 0, sizeof t);
    t.dtype = w == 1 ? NT_DT_U8 : w == 2 ? NT_DT_U16 : w == 4 ? NT_DT_U32 : NT_DT_U64;
    snprintf(t.dtype_name, sizeof t.dtype_name, "raw%d", 8 * w);
    t.word_bytes = w;
    t.ndim = 1;
    t.count = t.shape[0] = f->map_size / (uint64_t)w;
    t.size = f->map_size;
    t.offset = 0;
    t.data = f->map;
    t.name = dupstr("", 0);
    f->tensors = malloc(sizeof *f->tensors);
    if (!t.name || !f->tensors) {
        free(t.name);
        return fail(ec, "out of memory");
    }
    f->tensors[0] = t;
    f->ntensors = 1;
    return 0;
}

/* ================================================================ API */

int nt_tensor_file_open(nt_tensor_file *f, const char *path, int raw_word_bytes, char *err, size_t errlen)
{
    ectx ec;
    struct stat st;
    int fd, r;
    void *m;

    ec.path = path ? path : "(null)";
    ec.err = err;
    ec.errlen = errlen;
    if (err && errlen)
        err[0] = 0;
    if (!f)
        return fail(&ec, "no file structure given");
    memset(f, 0, sizeof *f);
    if (!path)
        return fail(&ec, "no path given");
    if (raw_word_bytes < 0 || (raw_word_bytes > 0 && raw_word_bytes != 1 && raw_word_bytes != 2 &&
                               raw_word_bytes != 4 && raw_word_bytes != 8))
        return fail(&ec, "raw word width %d bytes (must be 1, 2, 4 or 8)", raw_word_bytes);

    fd = open(path, O_RDONLY);
    if (fd < 0)
        return fail(&ec, "cannot open: %s", strerror(errno));
    if (fstat(fd, &st) < 0) {
        r = errno;
        close(fd);
        return fail(&ec, "cannot stat: %s", strerror(r));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return fail(&ec, "is a directory");
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return fail(&ec, "not a regular file");
    }
    if (st.st_size <= 0) {
        close(fd);
        return fail(&ec, "empty file");
    }
    if ((uint64_t)st.st_size > (uint64_t)SIZE_MAX) {
        close(fd);
        return fail(&ec, "file too large to map");
    }
#ifdef NT_TENSOR_FILE_CHECKED
    {
        size_t got = 0;
        m = malloc((size_t)st.st_size);
        while (m && got < (size_t)st.st_size) {
            ssize_t k = read(fd, (uint8_t *)m + got, (size_t)st.st_size - got);
            if (k <= 0) {
                free(m);
                m = NULL;
            } else {
                got += (size_t)k;
            }
        }
        close(fd);
        if (!m)
            return fail(&ec, "cannot read the file");
    }
#else
    m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    r = errno;
    close(fd); /* the mapping keeps the file alive */
    if (m == MAP_FAILED)
        return fail(&ec, "cannot map: %s", strerror(r));
#endif
    f->map = m;
    f->map_size = (uint64_t)st.st_size;
    f->path = dupstr(path, strlen(path));
    if (!f->path) {
        nt_tensor_file_close(f);
        return fail(&ec, "out of memory");
    }

    if (raw_word_bytes > 0) {
        f->kind = NT_TF_RAW;
        r = open_raw(f, raw_word_bytes, &ec);
    } else if (f->map_size >= 6 && memcmp(f->map, "\x93NUMPY", 6) == 0) {
        f->kind = NT_TF_NPY;
        r = open_npy(f, &ec);
    } else {
        f->kind = NT_TF_SAFETENSORS;
        r = open_safetensors(f, &ec);
    }
    if (r < 0) {
        nt_tensor_file_close(f);
        return -1;
    }
    return 0;
}

void nt_tensor_file_close(nt_tensor_file *f)
{
    int i;
    if (!f)
        return;
#ifdef NT_TENSOR_FILE_CHECKED
    free((void *)f->map);
#else
    if (f->map)
        munmap((void *)f->map, (size_t)f->map_size);
#endif
    for (i = 0; i < f->ntensors; i++)
        free(f->tensors[i].name);
    free(f->tensors);
    free(f->metadata_json);
    free(f->path);
    memset(f, 0, sizeof *f);
}

const nt_tensor *nt_tensor_file_find(const nt_tensor_file *f, const char *name)
{
    int i;
    if (!f || !name)
        return NULL;
    for (i = 0; i < f->ntensors; i++)
        if (strcmp(f->tensors[i].name, name) == 0)
            return &f->tensors[i];
    return NULL;
}

const char *nt_dtype_name(nt_dtype d)
{
    static const char *const names[] = {"BF16", "F16", "F32", "F64", "I8", "U8", "I16", "U16",
                                        "I32", "U32", "I64", "U64", "BOOL", "F8_E4M3", "F8_E5M2",
                                        "OTHER"};
    if ((int)d < 0 || (int)d > (int)NT_DT_OTHER)
        return "OTHER";
    return names[d];
}
