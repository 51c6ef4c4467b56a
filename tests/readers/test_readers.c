/*
 * test_readers.c — tests of runtime/nt_tensor_file.c, the safetensors / .npy / raw readers.
 *
 *   test_readers [DATA_DIR]         run every test; DATA_DIR holds the shared real weights
 *   test_readers --dump FILE        list FILE's tensors (name, dtype, shape, data begin/end
 *                                   relative to the data area), for run.sh to compare with an
 *                                   independent JSON parse
 *
 * Prints one line per failure and ends with "readers: N passed, N failed[, N skipped]".
 * Real files are checked when DATA_DIR exists; generated .npy, raw and ~40 malformed files are
 * written to a temporary directory; a mutation pass (every truncation, random byte flips) runs
 * the readers over thousands of broken files, which under ASan/UBSan catches any bad read.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "nt_tensor_file.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int npass, nfail, nskip;
static char tmpdir[256];

static void check(int ok, const char *label, const char *fmt, ...)
{
    if (ok) {
        npass++;
        return;
    }
    nfail++;
    printf("readers: FAIL %s: ", label);
    {
        va_list ap;
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
    }
    printf("\n");
}

static const char *tpath(const char *name)
{
    static char buf[512];
    snprintf(buf, sizeof buf, "%s/%s", tmpdir, name);
    return buf;
}

static const char *write_file(const char *name, const void *data, size_t n)
{
    const char *p = tpath(name);
    FILE *fp = fopen(p, "wb");
    if (!fp || (n && fwrite(data, 1, n, fp) != n)) {
        printf("readers: cannot write %s\n", p);
        exit(2);
    }
    fclose(fp);
    return p;
}

/* Builds a safetensors image: u64 header length, the JSON, then the data. */
static size_t st_image(uint8_t *out, size_t cap, const char *json, const void *data, size_t dlen)
{
    size_t n = strlen(json), i;
    if (8 + n + dlen > cap)
        exit(3);
    for (i = 0; i < 8; i++)
        out[i] = (uint8_t)((uint64_t)n >> (8 * i));
    memcpy(out + 8, json, n);
    if (dlen)
        memcpy(out + 8 + n, data, dlen);
    return 8 + n + dlen;
}

static const char *write_st(const char *name, const char *json, size_t dlen)
{
    static uint8_t buf[1 << 16], zeros[1 << 14];
    size_t n = st_image(buf, sizeof buf, json, zeros, dlen);
    return write_file(name, buf, n);
}

/* Builds an npy image with a version 1 (u16) or 2/3 (u32) header length; pads the header with
 * spaces and a newline to a multiple of 64 as numpy does. */
static size_t npy_image(uint8_t *out, int major, const char *dict, const void *data, size_t dlen)
{
    size_t pre = major == 1 ? 10 : 12, hl = strlen(dict) + 1, total;
    while ((pre + hl) % 64)
        hl++;
    memcpy(out, "\x93NUMPY", 6);
    out[6] = (uint8_t)major;
    out[7] = 0;
    out[8] = (uint8_t)hl;
    out[9] = (uint8_t)(hl >> 8);
    if (major != 1) {
        out[10] = (uint8_t)(hl >> 16);
        out[11] = (uint8_t)(hl >> 24);
    }
    memset(out + pre, ' ', hl);
    memcpy(out + pre, dict, strlen(dict));
    out[pre + hl - 1] = '\n';
    total = pre + hl;
    if (dlen)
        memcpy(out + total, data, dlen);
    return total + dlen;
}

static void expect_fail(const char *label, const char *path, int raw, const char *substr)
{
    nt_tensor_file f;
    char err[512];
    int r = nt_tensor_file_open(&f, path, raw, err, sizeof err);
    if (r == 0) {
        check(0, label, "opened, expected an error containing \"%s\"", substr);
        nt_tensor_file_close(&f);
        return;
    }
    check(strstr(err, substr) != NULL && strchr(err, '\n') == NULL, label,
          "message \"%s\" lacks \"%s\"", err, substr);
    check(f.map == NULL && f.tensors == NULL && f.path == NULL, label, "struct not zeroed on failure");
}

static int open_ok(const char *label, nt_tensor_file *f, const char *path, int raw)
{
    char err[512];
    int r = nt_tensor_file_open(f, path, raw, err, sizeof err);
    check(r == 0, label, "open failed: %s", err);
    return r == 0;
}

/* Invariants every successfully opened file must satisfy, whatever its content. */
static int invariants(const nt_tensor_file *f)
{
    int i;
    uint64_t prev_end = f->header_size;
    if (f->header_size > f->map_size || f->ntensors < 0)
        return 0;
    for (i = 0; i < f->ntensors; i++) {
        const nt_tensor *t = &f->tensors[i];
        if (!t->name || t->offset < f->header_size || t->offset > f->map_size ||
            t->size > f->map_size - t->offset || (const uint8_t *)t->data != f->map + t->offset)
            return 0;
        if (t->size > 0 && t->offset < prev_end)
            return 0;
        if (t->offset + t->size > prev_end)
            prev_end = t->offset + t->size;
        if (t->word_bytes && t->count * (uint64_t)t->word_bytes != t->size)
            return 0;
        if (t->ndim < 0 || t->ndim > NT_TENSOR_MAX_DIMS || memchr(t->dtype_name, 0, 16) == NULL)
            return 0;
    }
    return 1;
}

/* ---------------------------------------------------------------- real files */

static uint16_t bf16_rne(uint32_t x)
{
    return (uint16_t)((x + 0x7FFF + ((x >> 16) & 1)) >> 16);
}

static void real_file_common(const char *label, const nt_tensor_file *f, int ntensors)
{
    int i, contiguous = 1;
    uint64_t sum = 0, n = 0;
    for (i = 0; i < 8; i++)
        n |= (uint64_t)f->map[i] << (8 * i);
    check(f->kind == NT_TF_SAFETENSORS, label, "kind %d", f->kind);
    check(f->ntensors == ntensors, label, "%d tensors, expected %d", f->ntensors, ntensors);
    check(f->header_size == 8 + n, label, "header_size %llu", (unsigned long long)f->header_size);
    check(f->metadata_json && strstr(f->metadata_json, "\"source\"") &&
          f->metadata_json[0] == '{', label, "metadata %s", f->metadata_json ? f->metadata_json : "NULL");
    for (i = 0; i < f->ntensors; i++) {
        sum += f->tensors[i].size;
        if (i + 1 < f->ntensors &&
            f->tensors[i].offset + f->tensors[i].size != f->tensors[i + 1].offset)
            contiguous = 0;
    }
    check(sum == f->map_size - f->header_size, label, "sum of sizes %llu, data area %llu",
          (unsigned long long)sum, (unsigned long long)(f->map_size - f->header_size));
    check(contiguous && f->ntensors > 0 && f->tensors[0].offset == f->header_size, label,
          "tensors not contiguous in offset order");
    check(invariants(f), label, "invariants");
}

static void shape_is(const char *label, const nt_tensor_file *f, const char *name, nt_dtype dt,
                     int ndim, uint64_t d0, uint64_t d1)
{
    const nt_tensor *t = nt_tensor_file_find(f, name);
    if (!t) {
        check(0, label, "no tensor %s", name);
        return;
    }
    check(t->dtype == dt && t->ndim == ndim && t->shape[0] == d0 && (ndim < 2 || t->shape[1] == d1) &&
          t->count == d0 * (ndim < 2 ? 1 : d1) &&
          t->word_bytes == (dt == NT_DT_F32 ? 4 : 2) &&
          strcmp(t->dtype_name, nt_dtype_name(dt)) == 0,
          label, "%s: dtype %s ndim %d shape %llu", name, t->dtype_name, t->ndim,
          (unsigned long long)t->shape[0]);
}

static void test_real(const char *dir)
{
    char p16[512], p32[512], pnd[512];
    nt_tensor_file b, s, nd;
    struct stat st;
    if (!dir || stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        nskip += 3;
        printf("readers: shared data missing, 3 skipped\n");
        return;
    }
    snprintf(p16, sizeof p16, "%s/stories260K-bf16.safetensors", dir);
    snprintf(p32, sizeof p32, "%s/stories260K-f32.safetensors", dir);
    snprintf(pnd, sizeof pnd, "%s/nanodet-m-f16.safetensors", dir);

    if (open_ok("stories-bf16", &b, p16, 0)) {
        int i, nbf = 0;
        real_file_common("stories-bf16", &b, 47);
        for (i = 0; i < b.ntensors; i++)
            nbf += b.tensors[i].dtype == NT_DT_BF16;
        check(nbf == 47, "stories-bf16", "%d BF16 tensors", nbf);
        check(strcmp(b.tensors[0].name, "tok_embeddings.weight") == 0 &&
              strcmp(b.tensors[b.ntensors - 1].name, "norm.weight") == 0,
              "stories-bf16", "first/last tensor %s %s", b.tensors[0].name, b.tensors[b.ntensors - 1].name);
        shape_is("stories-bf16", &b, "tok_embeddings.weight", NT_DT_BF16, 2, 512, 64);
        shape_is("stories-bf16", &b, "layers.4.feed_forward.w3.weight", NT_DT_BF16, 2, 172, 64);
        shape_is("stories-bf16", &b, "norm.weight", NT_DT_BF16, 1, 64, 0);
        check(nt_tensor_file_find(&b, "layers.5.attention.wq.weight") == NULL, "stories-bf16",
              "found a tensor that does not exist");
        check(strstr(b.metadata_json, "round-to-nearest-even") != NULL, "stories-bf16", "metadata");

        if (open_ok("stories-f32", &s, p32, 0)) {
            int bad = 0;
            real_file_common("stories-f32", &s, 47);
            shape_is("stories-f32", &s, "tok_embeddings.weight", NT_DT_F32, 2, 512, 64);
            /* The bf16 file is the f32 one rounded to nearest even: check every word, which
             * checks both readers' names, shapes and data pointers at once. */
            for (i = 0; i < b.ntensors; i++) {
                const nt_tensor *tb = &b.tensors[i];
                const nt_tensor *ts = nt_tensor_file_find(&s, tb->name);
                uint64_t k;
                if (!ts || ts->count != tb->count || ts->ndim != tb->ndim ||
                    memcmp(ts->shape, tb->shape, sizeof ts->shape) != 0) {
                    bad++;
                    continue;
                }
                for (k = 0; k < tb->count; k++) {
                    uint32_t x;
                    uint16_t y;
                    memcpy(&x, (const uint8_t *)ts->data + 4 * k, 4);
                    memcpy(&y, (const uint8_t *)tb->data + 2 * k, 2);
                    if (bf16_rne(x) != y) {
                        bad++;
                        break;
                    }
                }
            }
            check(bad == 0, "stories bf16 = rne(f32)", "%d tensors differ", bad);
            nt_tensor_file_close(&s);
        }
        nt_tensor_file_close(&b);
    }

    if (open_ok("nanodet", &nd, pnd, 0)) {
        int i, n16 = 0, n32 = 0, pairing = 1;
        real_file_common("nanodet", &nd, 146);
        for (i = 0; i < nd.ntensors; i++) {
            const nt_tensor *t = &nd.tensors[i];
            size_t l = strlen(t->name);
            n16 += t->dtype == NT_DT_F16;
            n32 += t->dtype == NT_DT_F32;
            if ((t->dtype == NT_DT_F16) != (l > 7 && strcmp(t->name + l - 7, ".weight") == 0))
                pairing = 0;
        }
        check(n16 == 73 && n32 == 73 && pairing, "nanodet", "%d F16, %d F32, weights F16: %d",
              n16, n32, pairing);
        check(strcmp(nd.tensors[0].name, "Conv_0.weight") == 0 &&
              strcmp(nd.tensors[1].name, "Conv_0.bias") == 0, "nanodet", "order");
        shape_is("nanodet", &nd, "Conv_0.weight", NT_DT_F16, 1, 648, 0);
        shape_is("nanodet", &nd, "Conv_0.bias", NT_DT_F32, 1, 24, 0);
        shape_is("nanodet", &nd, "Conv_393.weight", NT_DT_F16, 1, 10752, 0);
        shape_is("nanodet", &nd, "Conv_393.bias", NT_DT_F32, 1, 112, 0);
        nt_tensor_file_close(&nd);
    }
}

/* ---------------------------------------------------------------- generated good files */

static void test_good_safetensors(void)
{
    nt_tensor_file f;
    const nt_tensor *t;
    /* JSON order differs from data order; a gap after "b"; a 0-d tensor; an empty tensor; an
     * unknown dtype; an unknown key; floats, booleans and null in the metadata; escapes. */
    const char *json =
        "{ \"b\" : {\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[8,20],\"extra\":[1.5e3,{\"x\":null}]},"
        "\"__metadata__\":{\"k\":\"v\\\"q\",\"n\":-1.25E-2,\"t\":true,\"f\":false,\"z\":null,\"a\":[[]]},"
        "\"a\\u00e9\\ud83d\\ude00\\n\":{\"shape\":[],\"data_offsets\":[0,4],\"dtype\":\"F32\"},"
        "\"e\":{\"dtype\":\"BF16\",\"shape\":[0,5],\"data_offsets\":[4,4]},"
        "\"o\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[24,26]},"
        "\"u8\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[4,8]}}   ";
    static uint8_t img[4096];
    uint8_t data[26];
    size_t i, n;
    for (i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)i;
    n = st_image(img, sizeof img, json, data, sizeof data);
    if (!open_ok("st-good", &f, write_file("good.safetensors", img, n), 0))
        return;
    check(f.ntensors == 5 && invariants(&f), "st-good", "%d tensors", f.ntensors);
    if (f.ntensors == 5) {
        /* offset order: a(0), e(4,empty), u8(4..8), b(8), o(24) */
        check(strcmp(f.tensors[0].name, "a\xc3\xa9\xf0\x9f\x98\x80\n") == 0 &&
              strcmp(f.tensors[1].name, "e") == 0 && strcmp(f.tensors[2].name, "u8") == 0 &&
              strcmp(f.tensors[3].name, "b") == 0 && strcmp(f.tensors[4].name, "o") == 0,
              "st-good order", "%s %s %s %s %s", f.tensors[0].name, f.tensors[1].name,
              f.tensors[2].name, f.tensors[3].name, f.tensors[4].name);
    }
    t = nt_tensor_file_find(&f, "b");
    check(t && t->dtype == NT_DT_F16 && t->count == 6 && t->size == 12 && t->word_bytes == 2 &&
          t->offset == 8 + strlen(json) + 8 && ((const uint8_t *)t->data)[0] == 8,
          "st-good b", "wrong");
    t = nt_tensor_file_find(&f, "a\xc3\xa9\xf0\x9f\x98\x80\n");
    check(t && t->ndim == 0 && t->count == 1 && t->size == 4 && t->dtype == NT_DT_F32,
          "st-good 0-d", "wrong");
    t = nt_tensor_file_find(&f, "e");
    check(t && t->ndim == 2 && t->count == 0 && t->size == 0, "st-good empty", "wrong");
    t = nt_tensor_file_find(&f, "o");
    check(t && t->dtype == NT_DT_OTHER && t->word_bytes == 0 && t->count == 3 && t->size == 2 &&
          strcmp(t->dtype_name, "F4") == 0, "st-good other", "wrong");
    check(f.metadata_json && strncmp(f.metadata_json, "{\"k\":\"v\\\"q\"", 11) == 0 &&
          f.metadata_json[strlen(f.metadata_json) - 1] == '}', "st-good metadata", "%s",
          f.metadata_json ? f.metadata_json : "NULL");
    nt_tensor_file_close(&f);
    nt_tensor_file_close(&f); /* closing twice is harmless */

    /* No tensors at all. */
    if (open_ok("st-empty-object", &f, write_st("empty_obj.safetensors", "{}", 0), 0)) {
        check(f.ntensors == 0 && f.metadata_json == NULL && f.header_size == 10, "st-empty-object", "wrong");
        nt_tensor_file_close(&f);
    }
}

static void test_good_npy(void)
{
    static uint8_t img[8192];
    nt_tensor_file f;
    uint16_t h[12];
    uint32_t w[5];
    int64_t q[3] = {-1, 2, -3};
    size_t n, i;
    for (i = 0; i < 12; i++)
        h[i] = (uint16_t)(0x3C00 + i); /* little-endian host assumed by the test data */
    for (i = 0; i < 5; i++)
        w[i] = 0x01020304u * (uint32_t)(i + 1);

    n = npy_image(img, 1, "{'descr': '<f2', 'fortran_order': False, 'shape': (3, 4), }", h, sizeof h);
    if (open_ok("npy-v1", &f, write_file("v1.npy", img, n), 0)) {
        const nt_tensor *t = &f.tensors[0];
        check(f.kind == NT_TF_NPY && f.ntensors == 1 && f.header_size == 128 && t->dtype == NT_DT_F16 &&
              t->word_bytes == 2 && t->ndim == 2 && t->shape[0] == 3 && t->shape[1] == 4 &&
              t->count == 12 && t->size == 24 && t->offset == 128 && t->name[0] == 0 &&
              strcmp(t->dtype_name, "<f2") == 0 && memcmp(t->data, h, 24) == 0 &&
              nt_tensor_file_find(&f, "") == t && invariants(&f), "npy-v1", "wrong");
        nt_tensor_file_close(&f);
    }
    n = npy_image(img, 2, "{\"descr\":\"<u4\",\"fortran_order\":False,\"shape\":(5,)}", w, sizeof w);
    if (open_ok("npy-v2", &f, write_file("v2.npy", img, n), 0)) {
        const nt_tensor *t = &f.tensors[0];
        check(t->dtype == NT_DT_U32 && t->word_bytes == 4 && t->ndim == 1 && t->count == 5 &&
              t->offset == 64 && memcmp(t->data, w, sizeof w) == 0, "npy-v2", "wrong");
        nt_tensor_file_close(&f);
    }
    n = npy_image(img, 3, "{'descr': '|u1', 'fortran_order': True, 'shape': ()}", "\x7f", 1);
    if (open_ok("npy-v3-0d", &f, write_file("v3.npy", img, n), 0)) {
        const nt_tensor *t = &f.tensors[0];
        check(t->dtype == NT_DT_U8 && t->ndim == 0 && t->count == 1 && t->size == 1 &&
              *(const uint8_t *)t->data == 0x7f, "npy-v3-0d", "wrong");
        nt_tensor_file_close(&f);
    }
    n = npy_image(img, 1, "{'descr': '<i8', 'fortran_order': False, 'shape': (2L, 0L), }", NULL, 0);
    if (open_ok("npy-empty", &f, write_file("empty.npy", img, n), 0)) {
        check(f.tensors[0].dtype == NT_DT_I64 && f.tensors[0].count == 0 && f.tensors[0].size == 0,
              "npy-empty", "wrong");
        nt_tensor_file_close(&f);
    }
    n = npy_image(img, 1, "{'descr': '<i8', 'fortran_order': True, 'shape': (3,), }", q, sizeof q);
    if (open_ok("npy-i8-fortran-1d", &f, write_file("q.npy", img, n), 0)) {
        check(f.tensors[0].dtype == NT_DT_I64 && f.tensors[0].word_bytes == 8 && f.tensors[0].count == 3,
              "npy-i8-fortran-1d", "wrong");
        nt_tensor_file_close(&f);
    }
    n = npy_image(img, 1, "{'descr': '<V2', 'fortran_order': False, 'shape': (2,), }", "abcd", 4);
    if (open_ok("npy-void", &f, write_file("void.npy", img, n), 0)) {
        check(f.tensors[0].dtype == NT_DT_OTHER && f.tensors[0].word_bytes == 0 && f.tensors[0].size == 4,
              "npy-void", "wrong");
        nt_tensor_file_close(&f);
    }
    n = npy_image(img, 1, "{'descr': '|i1', 'fortran_order': False, 'shape': (2,), }", "ab", 2);
    if (open_ok("npy-i1", &f, write_file("i1.npy", img, n), 0)) {
        check(f.tensors[0].dtype == NT_DT_I8 && f.tensors[0].word_bytes == 1, "npy-i1", "wrong");
        nt_tensor_file_close(&f);
    }
}

static void test_good_raw(void)
{
    nt_tensor_file f;
    uint8_t b[24];
    int i;
    for (i = 0; i < 24; i++)
        b[i] = (uint8_t)(i * 7);
    if (open_ok("raw16", &f, write_file("w.raw", b, 24), 2)) {
        const nt_tensor *t = &f.tensors[0];
        check(f.kind == NT_TF_RAW && f.ntensors == 1 && f.header_size == 0 && t->dtype == NT_DT_U16 &&
              t->word_bytes == 2 && t->count == 12 && t->ndim == 1 && t->shape[0] == 12 &&
              t->size == 24 && t->offset == 0 && strcmp(t->dtype_name, "raw16") == 0 &&
              memcmp(t->data, b, 24) == 0, "raw16", "wrong");
        nt_tensor_file_close(&f);
    }
    if (open_ok("raw64", &f, tpath("w.raw"), 8)) {
        check(f.tensors[0].count == 3 && f.tensors[0].dtype == NT_DT_U64, "raw64", "wrong");
        nt_tensor_file_close(&f);
    }
    /* A safetensors file forced raw is read as raw. */
    if (open_ok("raw-forced", &f, tpath("good.safetensors"), 1)) {
        check(f.kind == NT_TF_RAW && f.tensors[0].count == f.map_size, "raw-forced", "wrong");
        nt_tensor_file_close(&f);
    }
}

/* A sparse 5 GiB safetensors file: mapped, not read, and sizes past 32 bits come out right.
 * Not in the checked build, which reads the whole file into memory. */
static void test_large(void)
{
#ifndef NT_TENSOR_FILE_CHECKED
    const char *json = "{\"big\":{\"dtype\":\"BF16\",\"shape\":[65536,40960],\"data_offsets\":[0,5368709120]}}";
    const char *p = write_st("big.st", json, 0);
    uint64_t total = 8 + strlen(json) + ((uint64_t)5 << 30);
    nt_tensor_file f;
    if (sizeof(size_t) < 8 || truncate(p, (off_t)total) != 0) {
        nskip++;
        printf("readers: cannot make a sparse 5 GiB file, 1 skipped\n");
        unlink(p);
        return;
    }
    if (open_ok("large sparse file", &f, p, 0)) {
        check(f.ntensors == 1 && f.tensors[0].count == (uint64_t)65536 * 40960 &&
              f.tensors[0].size == (uint64_t)5 << 30 && f.map_size == total &&
              ((const uint8_t *)f.tensors[0].data)[f.tensors[0].size - 1] == 0,
              "large sparse file", "wrong");
        nt_tensor_file_close(&f);
    }
    unlink(p);
#endif
}

/* ---------------------------------------------------------------- malformed files */

#define T1 "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}"

static void test_malformed(void)
{
    static uint8_t img[4096];
    char json[4096];
    size_t n;
    int i;

    expect_fail("missing file", tpath("does-not-exist"), 0, "cannot open");
    expect_fail("directory", tmpdir, 0, "directory");
    expect_fail("empty file", write_file("empty", "", 0), 0, "empty file");
    expect_fail("empty raw file", tpath("empty"), 2, "empty file");
    expect_fail("too short", write_file("short", "\x05\0\0", 3), 0, "too short");
    {
        uint8_t h[16] = {0x00, 0x10, 0xa5, 0xd4, 0xe8, 0, 0, 0, '{', '}'};
        expect_fail("header length huge", write_file("huge", h, sizeof h), 0,
                    "header length 1000000000000 exceeds file size 16");
    }
    expect_fail("header not an object", write_st("arr.st", "[]", 0), 0, "does not start with '{'");
    expect_fail("truncated JSON", write_st("trunc.st", "{\"a\":{\"dtype\":\"F32\"", 0), 0,
                "unexpected end of header");
    expect_fail("bad escape", write_st("esc.st", "{\"a\\q\":" T1 "}", 8), 0, "invalid escape");
    expect_fail("bad \\u", write_st("u.st", "{\"a\\u12G4\":" T1 "}", 8), 0, "bad \\u escape");
    expect_fail("lone high surrogate", write_st("sur.st", "{\"a\\ud800x\":" T1 "}", 8), 0,
                "unpaired high surrogate");
    expect_fail("lone low surrogate", write_st("sur2.st", "{\"a\\udc00\":" T1 "}", 8), 0,
                "unpaired low surrogate");
    expect_fail("NUL in name", write_st("nul.st", "{\"a\\u0000b\":" T1 "}", 8), 0, "NUL");
    expect_fail("control char", write_st("ctl.st", "{\"a\tb\":" T1 "}", 8), 0, "control character");
    expect_fail("invalid UTF-8", write_st("utf.st", "{\"a\xc0\xaf\":" T1 "}", 8), 0, "invalid UTF-8");
    expect_fail("duplicate names", write_st("dup.st",
                "{\"a\":" T1 ",\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 16),
                0, "duplicate tensor name \"a\"");
    expect_fail("duplicate key", write_st("dupk.st",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"shape\":[2],\"data_offsets\":[0,8]}}", 8),
                0, "duplicate key \"shape\"");
    expect_fail("duplicate metadata", write_st("dupm.st",
                "{\"__metadata__\":{},\"__metadata__\":{}}", 0), 0, "duplicate \"__metadata__\"");
    expect_fail("metadata not object", write_st("meta.st", "{\"__metadata__\":\"x\"}", 0), 0,
                "\"__metadata__\" must be an object");
    expect_fail("entry not object", write_st("ent.st", "{\"a\":[1]}", 0), 0, "entry must be an object");
    expect_fail("offsets past data", write_st("past.st", "{\"a\":" T1 "}", 4), 0,
                "past the end of the data area (4 bytes)");
    expect_fail("end < begin", write_st("endlt.st",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,4]}}", 8), 0, "end 4 < begin 8");
    expect_fail("size mismatch", write_st("size.st",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8), 0,
                "8 bytes of data does not match 3 elements of F32");
    expect_fail("shape overflow", write_st("ovf.st",
                "{\"a\":{\"dtype\":\"U8\",\"shape\":[4294967296,4294967296,16],\"data_offsets\":[0,8]}}", 8),
                0, "overflows");
    expect_fail("size overflow", write_st("ovf2.st",
                "{\"a\":{\"dtype\":\"F64\",\"shape\":[4294967296,536870912],\"data_offsets\":[0,8]}}", 8),
                0, "does not match");
    expect_fail("integer too large", write_st("big.st",
                "{\"a\":{\"dtype\":\"U8\",\"shape\":[18446744073709551616],\"data_offsets\":[0,8]}}", 8),
                0, "too large for 64 bits");
    expect_fail("overlap", write_st("ovl.st",
                "{\"a\":" T1 ",\"b\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[6,10]}}", 10),
                0, "overlap");
    expect_fail("negative shape", write_st("neg.st",
                "{\"a\":{\"dtype\":\"U8\",\"shape\":[-1],\"data_offsets\":[0,8]}}", 8), 0,
                "shape must be a non-negative integer");
    expect_fail("float shape", write_st("flt.st",
                "{\"a\":{\"dtype\":\"U8\",\"shape\":[8.0],\"data_offsets\":[0,8]}}", 8), 0,
                "shape must be a non-negative integer");
    expect_fail("leading zero", write_st("lz.st",
                "{\"a\":{\"dtype\":\"U8\",\"shape\":[08],\"data_offsets\":[0,8]}}", 8), 0, "leading zero");
    expect_fail("three offsets", write_st("off3.st",
                "{\"a\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8,9]}}", 9), 0,
                "data_offsets has more than 2 entries");
    expect_fail("one offset", write_st("off1.st",
                "{\"a\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[8]}}", 8), 0, "two integers");
    expect_fail("nine dims", write_st("dims.st",
                "{\"a\":{\"dtype\":\"U8\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,1]}}", 1),
                0, "shape has more than 8 entries");
    expect_fail("missing dtype", write_st("nodt.st", "{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8),
                0, "missing \"dtype\"");
    expect_fail("missing offsets", write_st("nooff.st", "{\"a\":{\"dtype\":\"U8\",\"shape\":[2]}}", 8),
                0, "missing \"data_offsets\"");
    expect_fail("dtype not string", write_st("dtn.st",
                "{\"a\":{\"dtype\":7,\"shape\":[2],\"data_offsets\":[0,8]}}", 8), 0, "dtype must be a string");
    expect_fail("dtype too long", write_st("dtl.st",
                "{\"a\":{\"dtype\":\"ABCDEFGHIJKLMNOPQ\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8), 0,
                "too long");
    expect_fail("trailing garbage", write_st("tail.st", "{\"a\":" T1 "} x", 8), 0,
                "unexpected data after the JSON object");
    expect_fail("trailing comma", write_st("tc.st", "{\"a\":" T1 ",}", 8), 0, "expected a string");
    expect_fail("newline in name", write_st("nl.st", "{\"a\\nb\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8), 0,
                "tensor \"a?b\"");
    expect_fail("header length 1", write_st("h1.st", "{", 0), 0, "too small");
    expect_fail("backslash at header end", write_st("bs.st", "{\"a\\", 0), 0, "inside a string");
    expect_fail("missing colon", write_st("col.st", "{\"a\" " T1 "}", 8), 0, "expected ':'");
    expect_fail("bad literal", write_st("lit.st", "{\"__metadata__\":{\"x\":tru}}", 0), 0,
                "unexpected character");
    /* Deep nesting inside the metadata: rejected, not a stack overflow. */
    n = (size_t)sprintf(json, "{\"__metadata__\":{\"x\":");
    for (i = 0; i < 1000; i++)
        json[n++] = '[';
    for (i = 0; i < 1000; i++)
        json[n++] = ']';
    strcpy(json + n, "}}");
    expect_fail("nesting", write_st("deep.st", json, 0), 0, "nesting deeper than 64");

    /* npy */
    n = npy_image(img, 4, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", "abcd", 4);
    expect_fail("npy version", write_file("ver.npy", img, n), 0, "unsupported npy version 4.0");
    n = npy_image(img, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", "abcd", 4);
    img[9] = 0x10; /* header length 4096 + .. */
    expect_fail("npy header past end", write_file("hl.npy", img, n), 0, "npy header length");
    expect_fail("npy too short", write_file("short.npy", "\x93NUMPY\x01", 7), 0, "too short");
    n = npy_image(img, 1, "{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", "abcd", 4);
    expect_fail("npy big-endian", write_file("be.npy", img, n), 0, "big-endian");
    n = npy_image(img, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", "abcd", 4);
    expect_fail("npy data truncated", write_file("tr.npy", img, n), 0, "truncated");
    n = npy_image(img, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", "abcdef", 6);
    expect_fail("npy trailing bytes", write_file("tb.npy", img, n), 0, "2 bytes after the data");
    n = npy_image(img, 1, "{'descr': '<f4', 'fortran_order': True, 'shape': (1, 1), }", "abcd", 4);
    expect_fail("npy fortran 2-d", write_file("fo.npy", img, n), 0, "fortran_order True");
    n = npy_image(img, 1, "{'descr': '<f4', 'fortran_order': False, }", "abcd", 4);
    expect_fail("npy missing shape", write_file("ms.npy", img, n), 0, "missing 'shape'");
    n = npy_image(img, 1, "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", "abcdefgh", 8);
    expect_fail("npy object", write_file("obj.npy", img, n), 0, "object arrays");
    n = npy_image(img, 1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", "abcd", 4);
    expect_fail("npy structured", write_file("struct.npy", img, n), 0, "structured");
    n = npy_image(img, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", "abcd", 4);
    expect_fail("npy unknown key", write_file("uk.npy", img, n), 0, "unexpected key 'x'");
    n = npy_image(img, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", "abcd", 4);
    expect_fail("npy negative shape", write_file("ns.npy", img, n), 0, "non-negative");
    n = npy_image(img, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 3, 4, 5, 6, 7, 8, 9), }", "", 0);
    expect_fail("npy nine dims", write_file("nd.npy", img, n), 0, "more than 8 dimensions");
    n = npy_image(img, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }", "", 0);
    expect_fail("npy count overflow", write_file("co.npy", img, n), 0, "overflows");
    n = npy_image(img, 1, "{'descr': 'x', 'fortran_order': False, 'shape': (1,), }", "", 0);
    expect_fail("npy bad descr", write_file("bd.npy", img, n), 0, "not understood");
    n = npy_image(img, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,) ", "abcd", 4);
    expect_fail("npy unterminated dict", write_file("ud.npy", img, n), 0, "expected ',' or '}'");
    n = npy_image(img, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1 1), }", "abcd", 4);
    expect_fail("npy shape without a comma", write_file("sc.npy", img, n), 0, "bad 'shape' tuple");
    n = npy_image(img, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1", "abcd", 4);
    expect_fail("npy shape unclosed", write_file("su.npy", img, n), 0, "bad 'shape' tuple");
    n = npy_image(img, 1, "{'descr': '<f4', 'fortran_order': False 'shape': (1,)}", "abcd", 4);
    expect_fail("npy dict without a comma", write_file("dc.npy", img, n), 0, "expected ',' or '}'");

    /* raw */
    expect_fail("raw not multiple", write_file("odd.raw", "abcdefg", 7), 2, "not a multiple of the word width 2");
    expect_fail("raw bad width", tpath("odd.raw"), 3, "word width 3");
}

/* ---------------------------------------------------------------- mutations */

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

/* Opens every truncation of IMG (all must fail) and ITER random corruptions of it (may pass or
 * fail, but must neither crash nor break the invariants). */
static void mutate(const char *label, const uint8_t *img, size_t n, int iter)
{
    static uint8_t buf[8192];
    static const char alphabet[] = "{}[]\",:0123456789\\u-.eE \x80\xff";
    char err[512];
    nt_tensor_file f;
    size_t len;
    int it, bad_trunc = 0, bad_mut = 0, opened = 0;
    const char *p = tpath("mut");
    for (len = 0; len < n; len++) {
        write_file("mut", img, len);
        err[0] = 0;
        if (nt_tensor_file_open(&f, p, 0, err, sizeof err) == 0) {
            bad_trunc++;
            nt_tensor_file_close(&f);
        } else if (err[0] == 0) {
            bad_trunc++;
        }
    }
    check(bad_trunc == 0, label, "%d truncations opened or gave no message", bad_trunc);
    for (it = 0; it < iter; it++) {
        int k, nflips = 1 + (int)(rnd() % 4);
        memcpy(buf, img, n);
        for (k = 0; k < nflips; k++) {
            size_t at = rnd() % n;
            switch (rnd() % 4) {
            case 0: buf[at] ^= (uint8_t)(1u << (rnd() % 8)); break;
            case 1: buf[at] = (uint8_t)rnd(); break;
            case 2: buf[at] = (uint8_t)alphabet[rnd() % sizeof alphabet]; break; /* NUL too */
            default: buf[at] = (uint8_t)(buf[at] + 1); break;
            }
        }
        write_file("mut", buf, n);
        err[0] = 0;
        if (nt_tensor_file_open(&f, p, 0, err, sizeof err) == 0) {
            opened++;
            if (!invariants(&f))
                bad_mut++;
            nt_tensor_file_close(&f);
        } else if (err[0] == 0 || strchr(err, '\n')) {
            bad_mut++;
        }
    }
    check(bad_mut == 0, label, "%d of %d corruptions broke an invariant (%d opened)", bad_mut, iter, opened);
}

/* Every proper prefix of a header, declared with its own length: each must fail cleanly. This
 * drives every "end of header" path of the parsers (ASan in the checked build sees over-reads). */
static void header_prefixes(const char *label, const char *hdr, int npy)
{
    static uint8_t img[8192];
    char err[512];
    nt_tensor_file f;
    size_t k, n = strlen(hdr), len;
    int bad = 0;
    for (k = 1; k < n; k++) {
        if (npy) {
            memcpy(img, "\x93NUMPY\x01\x00", 8);
            img[8] = (uint8_t)k;
            img[9] = (uint8_t)(k >> 8);
            memcpy(img + 10, hdr, k);
            len = 10 + k;
        } else {
            size_t i;
            for (i = 0; i < 8; i++)
                img[i] = (uint8_t)((uint64_t)k >> (8 * i));
            memcpy(img + 8, hdr, k);
            len = 8 + k;
        }
        write_file("prefix", img, len);
        err[0] = 0;
        if (nt_tensor_file_open(&f, tpath("prefix"), 0, err, sizeof err) == 0) {
            bad++;
            nt_tensor_file_close(&f);
        } else if (err[0] == 0) {
            bad++;
        }
    }
    check(bad == 0, label, "%d header prefixes opened or gave no message", bad);
}

static void test_mutations(void)
{
    static uint8_t img[4096];
    uint8_t data[40];
    size_t n;
    memset(data, 0x11, sizeof data);
    n = st_image(img, sizeof img,
                 "{\"__metadata__\":{\"k\":\"\\u00e9\",\"v\":[1.5,true,null]},"
                 "\"w\":{\"dtype\":\"BF16\",\"shape\":[2,4],\"data_offsets\":[8,24]},"
                 "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                 "\"z\":{\"dtype\":\"U8\",\"shape\":[],\"data_offsets\":[24,25]},"
                 "\"q\":{\"dtype\":\"F64\",\"shape\":[1,1],\"data_offsets\":[32,40]}}",
                 data, sizeof data);
    mutate("mutations safetensors", img, n, 3000);
    header_prefixes("prefixes safetensors",
                    "{\"__metadata__\":{\"k\":\"\\u00e9\\ud83d\\ude00\\\"\",\"v\":[-1.5e+3,true,false,null,{}]},"
                    "\"w\\n\":{\"dtype\":\"BF16\",\"shape\":[2,4],\"data_offsets\":[0,0],\"x\":[]}}", 0);
    header_prefixes("prefixes npy", "{'descr': '<f2', 'fortran_order': False, 'shape': (2, 3L), }", 1);
    n = npy_image(img, 1, "{'descr': '<f2', 'fortran_order': False, 'shape': (2, 3), }", data, 12);
    mutate("mutations npy", img, n, 1500);
}

/* ---------------------------------------------------------------- main */

static void cleanup(void)
{
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    if (!d)
        return;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            unlink(tpath(e->d_name));
    closedir(d);
    rmdir(tmpdir);
}

static int dump(const char *path)
{
    nt_tensor_file f;
    char err[512];
    int i, k;
    if (nt_tensor_file_open(&f, path, 0, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    for (i = 0; i < f.ntensors; i++) {
        const nt_tensor *t = &f.tensors[i];
        printf("%s\t%s\t", t->name, t->dtype_name);
        for (k = 0; k < t->ndim; k++)
            printf("%s%llu", k ? "," : "", (unsigned long long)t->shape[k]);
        printf("\t%llu\t%llu\n", (unsigned long long)(t->offset - f.header_size),
               (unsigned long long)(t->offset - f.header_size + t->size));
    }
    nt_tensor_file_close(&f);
    return 0;
}

int main(int argc, char **argv)
{
    const char *tmp = getenv("TMPDIR");
    if (argc == 3 && strcmp(argv[1], "--dump") == 0)
        return dump(argv[2]);
    snprintf(tmpdir, sizeof tmpdir, "%s/ntc-readers.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(tmpdir)) {
        printf("readers: cannot create a temporary directory\n");
        return 2;
    }
    test_real(argc > 1 ? argv[1] : NULL);
    test_good_safetensors();
    test_good_npy();
    test_good_raw();
    test_large();
    test_malformed();
    test_mutations();
    cleanup();
    if (nskip)
        printf("readers: %d passed, %d failed, %d skipped\n", npass, nfail, nskip);
    else
        printf("readers: %d passed, %d failed\n", npass, nfail);
    return nfail ? 1 : 0;
}
