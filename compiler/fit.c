/*
 * fit.c — --fit FILE[:TENSOR]: counts how often each code of a type occurs in real data, so a
 * static model can be baked into the generated coder.
 */
#include "ntc.h"
#include "nt_tensor_file.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static uint64_t load_le(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* Adds the codes of one tensor to t's counts. Words up to 16 bits go through a histogram first,
 * wider ones one by one through m, t's word map. */
static int count_tensor(nt_type *t, const nt_word_map *m, const nt_tensor *x, const char *file)
{
    const int wb = x->word_bytes;
    const uint8_t *p = x->data;
    const uint64_t limit = t->word_bits >= 64 ? ~0ull : (1ull << t->word_bits) - 1;
    if (t->word_bits <= 16) {
        uint64_t *hist = calloc((size_t)1 << 16, sizeof(uint64_t));
        if (!hist) {
            nt_fatal("out of memory");
            return -1;
        }
        for (uint64_t i = 0; i < x->count; i++)
            hist[load_le(p + i * (uint64_t)wb, wb) & 0xffff]++;
        for (uint64_t w = 0; w < ((uint64_t)1 << 16); w++) {
            uint64_t raw;
            if (!hist[w])
                continue;
            if (w > limit) {
                nt_fatal("%s: tensor '%s' holds words wider than the %d bits of type '%s'", file, x->name,
                         t->word_bits, t->name);
                free(hist);
                return -1;
            }
            t->codes[nt_word_code(t, w, &raw)].count += (double)hist[w];
        }
        free(hist);
    } else {
        for (uint64_t i = 0; i < x->count; i++) {
            uint64_t w = load_le(p + i * (uint64_t)wb, wb);
            if (w > limit) {
                nt_fatal("%s: tensor '%s' holds words wider than the %d bits of type '%s'", file, x->name,
                         t->word_bits, t->name);
                return -1;
            }
            t->codes[nt_map_code(m, w, NULL)].count += 1;
        }
    }
    return 0;
}

int nt_open_words(const char *opt, const char *spec, int wb, nt_tensor_file *f, char *path, size_t pathcap,
                  const char **tensor)
{
    char err[512];
    struct stat st;
    *tensor = NULL;
    if (strlen(spec) >= pathcap) {
        nt_fatal("%s: path too long", opt);
        return -1;
    }
    strcpy(path, spec);
    if (stat(path, &st) != 0) {
        char *colon = strrchr(path, ':');
        if (colon) {
            *colon = 0;
            *tensor = spec + (colon - path) + 1;
        }
    }
    if (nt_tensor_file_open(f, path, 0, err, sizeof err) != 0) {
        /* not a safetensors or npy file: read it as raw words of the type's width. A file that is
         * one (by its name, or by its first bytes) but is broken is an error, not raw words. */
        char err2[512];
        size_t pl = strlen(path);
        int named = (pl >= 12 && !strcmp(path + pl - 12, ".safetensors")) || (pl >= 4 && !strcmp(path + pl - 4, ".npy"));
        if (named || (!strstr(err, "not a safetensors or .npy file") && !strstr(err, "file too short"))) {
            nt_fatal("%s: %s", opt, err);
            return -1;
        }
        if (nt_tensor_file_open(f, path, wb, err2, sizeof err2) != 0) {
            nt_fatal("%s: %s", opt, err);
            return -1;
        }
    }
    return 0;
}

int nt_fit_file(nt_type *t, const char *spec)
{
    char path[4096];
    const char *tensor;
    nt_tensor_file f;
    int used = 0, skipped = 0, rc = 0;
    const int wb = nt_word_bytes(t->word_bits);

    nt_word_map *m = malloc(sizeof *m); /* (large: not on the stack) */
    if (!m || nt_word_map_init(m, t) != 0) {
        free(m);
        nt_fatal("out of memory");
        return -1;
    }
    if (nt_open_words("--fit", spec, wb, &f, path, sizeof path, &tensor) != 0) {
        nt_word_map_free(m);
        free(m);
        return -1;
    }
    for (int i = 0; i < f.ntensors && rc == 0; i++) {
        const nt_tensor *x = &f.tensors[i];
        if (tensor && strcmp(x->name, tensor))
            continue;
        if (x->word_bytes != wb || x->dtype == NT_DT_OTHER) {
            if (tensor) {
                nt_fatal("--fit: tensor '%s' of '%s' has %d-byte elements (%s); type '%s' has %d-bit words", tensor,
                         path, x->word_bytes, x->dtype_name, t->name, t->word_bits);
                rc = -1;
            }
            skipped++;
            continue;
        }
        rc = count_tensor(t, m, x, path);
        used++;
    }
    if (rc == 0 && used == 0) {
        if (tensor)
            nt_fatal("--fit: no tensor named '%s' in '%s'", tensor, path);
        else
            nt_fatal("--fit: no tensor of '%s' has %d-byte words like type '%s'", path, wb, t->name);
        rc = -1;
    }
    nt_tensor_file_close(&f);
    nt_word_map_free(m);
    free(m);
    if (rc == 0)
        t->have_counts = 1;
    (void)skipped;
    return rc;
}
