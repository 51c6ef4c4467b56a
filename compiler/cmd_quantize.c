/*
 * cmd_quantize.c — `ntc quantize T.nt IN.safetensors -o OUT.safetensors`: every float tensor to a
 * value type, with a report of what it costs and what it loses.
 *
 * Each value x of a float tensor (F32, F16, BF16, F64) becomes the word T_from_double(x / s), with
 * the same tables and the same engine (runtime/nt_value.h) as the generated C, so the rounding
 * (to nearest, ties to even) and the type's saturation and NaN rules are the generated code's.
 * The per-tensor scale s is 1 (--scale none, the default), absmax / the type's largest value
 * (--scale absmax) or that rounded up to a power of two (--scale pow2, exact to undo in hardware).
 *
 * For every tensor and in total it prints the bits per weight after entropy coding — the words
 * really encoded by the ANS core with the type's coder and a model fitted per tensor (header and
 * model included), and decoded again as a check — and the error of the dequantized values
 * x' = s T_to_double(word): max absolute, RMS, max relative (over x != 0) and the share of values
 * changed. OUT holds the words (dtype U8/U16/U32, or F8_E4M3/F8_E5M2 for those two formats), with
 * the type and the scales in __metadata__; --dequantize writes x' as F32 instead. Other tensors
 * are copied unchanged.
 */
#include "ntc.h"
#include "nt_ans.h"
#include "nt_tensor_file.h"
#include "nt_value.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static nt_word_map q_map; /* the type's split and join, for callbacks that take no context */

static int q_split(uint64_t w, uint64_t *raw) { return nt_map_code(&q_map, w, raw); }
static uint64_t q_join(int code, uint64_t raw) { return nt_map_join(&q_map, code, raw); }

static const char usage_quantize[] =
    "usage: ntc quantize T.nt IN.safetensors -o OUT.safetensors [options]\n"
    "\n"
    "Converts every float tensor of IN to the value type T (round to nearest even, the type's\n"
    "saturation and NaN rules) and reports bits per weight after entropy coding and the error.\n"
    "\n"
    "options:\n"
    "  --type NAME                 the type of T.nt to use (default: the first)\n"
    "  --scale none|absmax|pow2    per-tensor scale: none (default); absmax / the type's largest\n"
    "                              value; or that rounded up to a power of two\n"
    "  --dequantize                write the dequantized values as F32 instead of the words\n"
    "  -q                          print the total only\n";

static double half_to_double(uint16_t h)
{
    int e = h >> 10 & 31, m = h & 1023;
    double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(1024 + m, e - 25);
    return (h >> 15) ? -v : v;
}

static double load_value(const nt_tensor *x, uint64_t i)
{
    const uint8_t *p = (const uint8_t *)x->data + i * (uint64_t)x->word_bytes;
    uint64_t u = 0;
    for (int b = 0; b < x->word_bytes; b++)
        u |= (uint64_t)p[b] << (8 * b);
    switch (x->dtype) {
    case NT_DT_BF16: {
        uint32_t f = (uint32_t)u << 16;
        float v;
        memcpy(&v, &f, 4);
        return v;
    }
    case NT_DT_F16: return half_to_double((uint16_t)u);
    case NT_DT_F32: {
        uint32_t f = (uint32_t)u;
        float v;
        memcpy(&v, &f, 4);
        return v;
    }
    default: {
        double v;
        memcpy(&v, &u, 8);
        return v;
    }
    }
}

static int is_float(nt_dtype d) { return d == NT_DT_BF16 || d == NT_DT_F16 || d == NT_DT_F32 || d == NT_DT_F64; }

/* A JSON string (safetensors names may hold any character). */
static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

typedef struct {
    const nt_tensor *x;
    int quantized;
    double scale;
    void *out;      /* words or F32 values */
    size_t out_size;
} q_tensor;

static int write_safetensors(const char *path, q_tensor *qt, int n, const nt_type *t, const char *src,
                             int dequantize)
{
    char *hdr = NULL;
    size_t hlen = 0;
    FILE *h = open_memstream(&hdr, &hlen);
    uint64_t off = 0;
    const char *wdt = t->word_bits <= 8 ? "U8" : t->word_bits <= 16 ? "U16" : t->word_bits <= 32 ? "U32" : "U64";
    if (t->format == NT_FMT_FLOAT && t->fmt_a == 4 && t->fmt_b == 3 && t->fmt_bias == 7 && t->specials == NT_SPECIALS_FN)
        wdt = "F8_E4M3";
    if (t->format == NT_FMT_FLOAT && t->fmt_a == 5 && t->fmt_b == 2 && t->fmt_bias == 15 &&
        t->specials == NT_SPECIALS_IEEE)
        wdt = "F8_E5M2";
    if (!h)
        return -1;
    fprintf(h, "{\"__metadata__\":{\"ntc_type\":");
    json_string(h, t->name);
    fprintf(h, ",\"ntc_source\":");
    json_string(h, src);
    fprintf(h, ",\"ntc_content\":\"%s\"", dequantize ? "dequantized values" : "words");
    for (int i = 0; i < n; i++)
        if (qt[i].quantized) {
            char key[600];
            snprintf(key, sizeof key, "ntc_scale.%s", qt[i].x->name);
            fputc(',', h);
            json_string(h, key);
            fprintf(h, ":\"%.17g\"", qt[i].scale);
        }
    fputc('}', h);
    for (int i = 0; i < n; i++) {
        const nt_tensor *x = qt[i].x;
        fputc(',', h);
        json_string(h, x->name);
        fprintf(h, ":{\"dtype\":\"%s\",\"shape\":[", qt[i].quantized ? (dequantize ? "F32" : wdt) : x->dtype_name);
        for (int d = 0; d < x->ndim; d++)
            fprintf(h, "%s%llu", d ? "," : "", (unsigned long long)x->shape[d]);
        fprintf(h, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)off,
                (unsigned long long)(off + qt[i].out_size));
        off += qt[i].out_size;
    }
    fputc('}', h);
    while ((ftell(h) + 8) % 8)
        fputc(' ', h);
    fclose(h);
    FILE *f = fopen(path, "wb");
    int rc = 0;
    if (!f) {
        nt_fatal("cannot write '%s': %s", path, strerror(errno));
        free(hdr);
        return -1;
    }
    uint8_t le[8];
    for (int b = 0; b < 8; b++)
        le[b] = (uint8_t)((uint64_t)hlen >> (8 * b));
    rc |= fwrite(le, 1, 8, f) != 8;
    rc |= fwrite(hdr, 1, hlen, f) != hlen;
    for (int i = 0; i < n; i++)
        rc |= fwrite(qt[i].out, 1, qt[i].out_size, f) != qt[i].out_size;
    rc |= fclose(f) != 0;
    free(hdr);
    if (rc)
        nt_fatal("cannot write '%s'", path);
    return rc ? -1 : 0;
}

int nt_cmd_quantize(int argc, char **argv)
{
    const char *nt = NULL, *in = NULL, *outp = NULL, *only = NULL, *scale_mode = "none";
    int dequantize = 0, quiet = 0, status = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage_quantize, stdout);
            return 0;
        } else if (!strcmp(a, "-o") || !strcmp(a, "--type") || !strcmp(a, "--scale")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "ntc: error: option '%s' needs an argument\n", a);
                return 2;
            }
            *(!strcmp(a, "-o") ? &outp : !strcmp(a, "--type") ? &only : &scale_mode) = argv[++i];
        } else if (!strcmp(a, "--dequantize")) {
            dequantize = 1;
        } else if (!strcmp(a, "-q")) {
            quiet = 1;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "ntc: error: unknown option '%s' (try 'ntc quantize --help')\n", a);
            return 2;
        } else if (!nt) {
            nt = a;
        } else if (!in) {
            in = a;
        } else {
            fprintf(stderr, "ntc: error: too many arguments ('%s')\n", a);
            return 2;
        }
    }
    if (!nt || !in || !outp) {
        fputs(usage_quantize, stderr);
        return 2;
    }
    if (strcmp(scale_mode, "none") && strcmp(scale_mode, "absmax") && strcmp(scale_mode, "pow2")) {
        fprintf(stderr, "ntc: error: --scale is none, absmax or pow2, not '%s'\n", scale_mode);
        return 2;
    }

    size_t len = 0;
    char *src = nt_read_source(nt, NT_SOURCE_MAX, &len);
    if (!src)
        return 1;
    nt_diag d;
    nt_diag_init(&d, nt, src, len);
    int ntypes = 0;
    nt_type **types = nt_compile_source(&d, src, len, &ntypes);
    nt_type *t = NULL;
    nt_vtype vt;
    nt_tensor_file f;
    char err[512];
    q_tensor *qt = NULL;
    memset(&vt, 0, sizeof vt);
    memset(&f, 0, sizeof f);
    if (!types)
        goto done;
    for (int i = 0; i < ntypes && !t; i++)
        if (!only || !strcmp(types[i]->name, only))
            t = types[i];
    if (!t) {
        nt_fatal("no type named '%s' in '%s'", only, nt);
        goto done;
    }
    if (nt_value_build(t, &vt) != 0) {
        nt_fatal("type '%s' has no value meaning for every code: nothing to quantize to", t->name);
        goto done;
    }
    if (nt_word_map_init(&q_map, t) != 0) {
        nt_fatal("out of memory");
        goto done;
    }
    vt.split = q_split;
    vt.join = q_join;
    if (nt_tensor_file_open(&f, in, 0, err, sizeof err) != 0) {
        nt_fatal("%s", err);
        goto done;
    }
    qt = calloc((size_t)f.ntensors + 1, sizeof *qt);
    if (!qt)
        goto done;

    /* the coder of the type, with a model per tensor */
    int wbytes = nt_word_bytes(t->word_bits);
    uint8_t *raw_bits = malloc((size_t)t->ncodes + 1);
    nt_ans_codec codec;
    if (!raw_bits) {
        nt_fatal("out of memory");
        goto done;
    }
    nt_codec_of_type(t, &codec, raw_bits);
    codec.block = t->model == NT_MODEL_ADAPTIVE ? t->block : 0;
    codec.adaptive = 1;

    /* the largest finite value, which --scale maps the tensor's largest magnitude to */
    double top = vt.nsegs ? vt.segs[vt.nsegs - 1].vmax : 0;
    for (int k = 0; k < vt.ncodes; k++)
        if (vt.codes[k].kind == NT_VK_BINADES && !vt.codes[k].neg) {
            double v = nt_value_code_double(&vt.codes[k], ((uint64_t)1 << vt.codes[k].rbits) - 1);
            if (v > top)
                top = v;
        }
    if (!(top > 0))
        top = 1;
    double tot_n = 0, tot_bytes = 0, tot_sq = 0, tot_maxabs = 0, tot_maxrel = 0, tot_changed = 0, tot_nan = 0;
    if (!quiet) {
        printf("ntc quantize: %s -> %s (%s, scale %s)\n", in, outp, t->name, scale_mode);
        printf("%-36s %9s %8s %10s %10s %10s %8s\n", "tensor", "weights", "bits/w", "max abs", "RMS", "max rel",
               "changed");
    }
    status = 0;
    for (int i = 0; i < f.ntensors && status == 0; i++) {
        const nt_tensor *x = &f.tensors[i];
        q_tensor *q = &qt[i];
        q->x = x;
        if (!is_float(x->dtype) || x->count == 0) {
            q->out = (void *)x->data;
            q->out_size = (size_t)x->size;
            continue;
        }
        size_t n = (size_t)x->count;
        double *v = malloc(sizeof(double) * n), amax = 0, s = 1, sq = 0, maxabs = 0, maxrel = 0, changed = 0, nan = 0;
        uint8_t *words = calloc(n, (size_t)wbytes);
        uint8_t *back = calloc(n, (size_t)wbytes);
        size_t cap = nt_ans_compress_bound(&codec, n), got;
        uint8_t *enc = malloc(cap ? cap : 1);
        if (!v || !words || !back || !enc) {
            nt_fatal("out of memory");
            status = 1;
        }
        for (size_t k = 0; status == 0 && k < n; k++) {
            v[k] = load_value(x, k);
            if (fabs(v[k]) > amax && isfinite(v[k]))
                amax = fabs(v[k]);
        }
        if (strcmp(scale_mode, "none") && amax > 0) {
            s = amax / top;
            if (!strcmp(scale_mode, "pow2"))
                s = ldexp(1.0, (int)ceil(log2(s)));
        }
        float *deq = dequantize ? malloc(sizeof(float) * n) : NULL;
        for (size_t k = 0; status == 0 && k < n; k++) {
            uint64_t w = nt_value_from_double(&vt, v[k] / s);
            double y = nt_value_to_double(&vt, w) * s, e = fabs(y - v[k]);
            nt_store_word(words, k, w, wbytes);
            if (deq)
                deq[k] = (float)y;
            if (y != y && v[k] == v[k]) {
                nan++;
                continue;
            }
            if (y == v[k] || (y != y && v[k] != v[k]))
                continue;
            changed++;
            sq += e * e;
            if (e > maxabs)
                maxabs = e;
            if (v[k] != 0 && e / fabs(v[k]) > maxrel)
                maxrel = e / fabs(v[k]);
        }
        got = status ? 0 : nt_ans_encode(&codec, enc, cap, words, n, q_split);
        if (!status && nt_ans_is_error(got)) {
            nt_fatal("tensor '%s': encode: %s", x->name, nt_ans_error_name(got));
            status = 1;
        }
        if (!status) {
            size_t dn = nt_ans_decode(&codec, back, n, enc, got, q_join);
            if (nt_ans_is_error(dn) || dn != n || memcmp(back, words, n * (size_t)wbytes)) {
                nt_fatal("tensor '%s': the encoded words do not decode back (%s)", x->name,
                         nt_ans_is_error(dn) ? nt_ans_error_name(dn) : "different words");
                status = 1;
            }
        }
        if (!status && !quiet)
            printf("%-36.36s %9zu %8.3f %10.3e %10.3e %10.3e %7.2f%%%s\n", x->name, n, 8.0 * (double)got / (double)n,
                   maxabs, sqrt(sq / (double)n), maxrel, 100.0 * changed / (double)n, nan ? "  (NaN from finite!)" : "");
        tot_n += (double)n;
        tot_bytes += (double)got;
        tot_sq += sq;
        tot_changed += changed;
        tot_nan += nan;
        if (maxabs > tot_maxabs)
            tot_maxabs = maxabs;
        if (maxrel > tot_maxrel)
            tot_maxrel = maxrel;
        q->quantized = 1;
        q->scale = s;
        if (deq) {
            q->out = deq;
            q->out_size = sizeof(float) * n;
            free(words);
        } else {
            q->out = words;
            q->out_size = n * (size_t)wbytes;
        }
        free(v);
        free(back);
        free(enc);
    }
    if (status == 0) {
        if (tot_n == 0) {
            nt_fatal("'%s' has no float tensors", in);
            status = 1;
        } else {
            printf("%-36s %9.0f %8.3f %10.3e %10.3e %10.3e %7.2f%%\n", "total", tot_n, 8.0 * tot_bytes / tot_n, tot_maxabs,
                   sqrt(tot_sq / tot_n), tot_maxrel, 100.0 * tot_changed / tot_n);
            if (tot_nan)
                printf("warning: %.0f finite values became NaN (the type's overflow rule); try --scale absmax\n", tot_nan);
            status = write_safetensors(outp, qt, f.ntensors, t, nt, dequantize) != 0;
        }
    }
    for (int i = 0; i < f.ntensors; i++)
        if (qt[i].quantized)
            free(qt[i].out);
    free(raw_bits);
done:
    nt_word_map_free(&q_map);
    free(qt);
    nt_tensor_file_close(&f);
    nt_value_release(&vt);
    for (int i = 0; i < ntypes; i++)
        nt_type_free(types[i]);
    free(types);
    free(src);
    return status;
}
