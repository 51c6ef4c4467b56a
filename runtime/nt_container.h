/*
 * nt_container.h — the ntc container (.ntz): whole checkpoints packed losslessly, one entropy
 * model per tensor (small tensors that look alike may share one stream and model), a per-tensor
 * index for random access and an XXH3 checksum per tensor.
 * The format is specified byte by byte in spec/container.md.
 *
 * The library knows nothing of particular number formats: the caller hands it the coding pairs it
 * may use (nt_pair: an encoder, a decoder and a way to get each word's code), and the container
 * records which pair coded each segment by its id. ntc registers the pairs it builds from
 * examples/ (compiler/cmd_pack.c), so the payload of a coded segment is a bare ntc stream
 * (spec/stream.md) of that example type.
 *
 * Memory stays bounded whatever the size of the checkpoint: inputs and containers are mapped,
 * tensors are cut into parts of at most NT_CONTAINER_PART_BYTES, each thread holds one part's
 * buffers, and mapped pages are handed back to the kernel once a part is done (the parts that
 * follow one another in the map together, in runs of at most 4 MiB a thread).
 *
 * Errors: functions return 0 or -1 with a one-line message in err ("FILE: tensor 'NAME': ...").
 * C99 + POSIX threads; XXH3 from libxxhash.
 */
#ifndef NT_CONTAINER_H
#define NT_CONTAINER_H

#include <stddef.h>
#include <stdint.h>

#include "nt_tensor_file.h"

#define NT_CONTAINER_VERSION 1
#define NT_CONTAINER_PART_BYTES ((uint64_t)16 << 20) /* a tensor larger than this is coded in parts */
#define NT_CONTAINER_MAX_PAIRS 32
#define NT_CONTAINER_CODEC_STORED 0
#define NT_CONTAINER_CODEC_ZSTD 128    /* bytes no pair codes (headers, other dtypes), as one zstd frame */
#define NT_CONTAINER_CODEC_FP32_PLANES 5 /* F32: high halves by a bf16 pair, low halves' byte planes by zstd */
#define NT_CONTAINER_CODEC_GROUP 7     /* a small tensor whose words continue the previous segment's stream */
#define NT_CONTAINER_GROUP_TENSOR_BYTES ((uint64_t)64 << 10) /* tensors up to this size may share a stream */
#define NT_CONTAINER_GROUP_BYTES ((uint64_t)256 << 10)       /* ... of at most this many bytes in all */
#define NT_CONTAINER_CODEC_PAIRS 8     /* bf16_pairs (runtime/nt_pairs.h), with --fast-decode */
#define NT_CONTAINER_CODEC_F16_PAIRS 9 /* f16_pairs (runtime/nt_pairs.h), with --fast-decode */
/* --fast-decode keeps bf16_pairs where it is at most 5 % and 64 KiB larger than the smallest: on
 * stories260K-bf16 every stream of 4096 words and more; on all-MiniLM-L6-v2 every matrix but the
 * word embedding, whose model per block saves more than that */
#define NT_CONTAINER_FAST_SLACK 0.05
#define NT_CONTAINER_FAST_EXTRA ((uint64_t)64 << 10)

/* A coding pair the container may use. Encoders/decoders follow the generated API (T_encode,
 * T_decode) with words passed as bytes: src/dst are aligned to word_bytes. */
typedef struct nt_pair {
    int id;                     /* codec id written in the container: 1..254, unique */
    const char *name;           /* e.g. "bf16_adaptive" */
    int word_bytes;             /* 2 or 4 */
    unsigned dtypes;            /* bit (1u << nt_dtype) for each dtype it codes */
    size_t (*compress_bound)(size_t n);
    size_t (*encode)(void *dst, size_t cap, const void *src, size_t n);
    size_t (*decode)(void *dst, size_t n, const void *src, size_t size);
    int (*is_error)(size_t r);
    const char *(*error_name)(size_t r);
    /* For the order-0 bound: the code of a word depends only on its top 16 bits (the key);
     * code_of returns the code of key and sets *raw_bits to the raw bits the word carries
     * (NULL, and block 0, where only decoding is asked for). */
    int (*code_of)(const void *ctx, uint32_t key, int *raw_bits);
    int code_split;             /* 1: the code of a key is the OR of the codes of its high byte's key
                                 * (key & 0xff00) and its low byte's (key & 0xff), and every key has
                                 * the same raw bits (a split type: code bits are word bits) */
    const void *ctx;
    int ncodes;
    uint64_t block;             /* words per model block (adaptive per block), 0: one model per stream */
    int fast;                   /* 1: a pair with no code per key that decodes faster than the others:
                                 * tried last, and kept within nt_pack_options.fast_slack of the
                                 * smallest (runtime/nt_pairs.h) */
    double (*bound_bits)(const void *src, size_t n); /* a fast pair's order-0 bound of n words, in bits */
    /* optional (a bf16 pair): decodes n words as the high halves of F32 words at dst, their low
     * halves from byte planes lo[0 .. n - 1] and lo[n .. 2n - 1] (codec fp32_planes), in one pass */
    size_t (*decode_f32)(void *dst, size_t n, const void *src, size_t size, const uint8_t *lo);
} nt_pair;

typedef struct {
    int threads;                /* 0: every core */
    int progress;               /* -1: on a terminal only; 0: never; 1: always (to stderr) */
    const nt_pair *pairs;
    int npairs;
    const nt_pair *forced;      /* --type: use this pair for every tensor whose dtype it codes */
    double fast_slack;          /* --fast-decode: keep a fast pair's result when at most this much
                                 * larger than the smallest (NT_CONTAINER_FAST_SLACK); 0: fast pairs
                                 * are not tried */
    const char *type_source;    /* the .nt text of the forced pair, carried in the container */
    /* unpack and check, for a container packed with --type: builds the pair of the .nt source it
     * carries, which then takes the place of `forced`; returns 0, or -1 with the reason already
     * reported. NULL: the pairs given must decode it. */
    int (*type_pair)(void *user, const char *source, const nt_pair **pair);
    void *type_user;
} nt_pack_options;

/* Packs the inputs (safetensors or .npy files, any other file stored as bytes, or one directory
 * packed whole) into out_path, written to a temporary file and renamed. */
int nt_container_pack(const char *const *inputs, int ninputs, const char *out_path, const nt_pack_options *opt,
                      char *err, size_t errlen);

/* Unpacks every file (out_path is a file when the container holds one file that was packed as a
 * file, else a directory that must not exist or be empty), or, with tensor != NULL, only that
 * tensor's bytes (a raw little-endian file). Every part's checksum is verified. */
int nt_container_unpack(const char *path, const char *out_path, const char *tensor, const nt_pack_options *opt,
                        char *err, size_t errlen);

/* Decodes every segment of the container and checks its checksum, writing nothing (one part per
 * thread in memory); *bytes (if not NULL) gets the size of what unpack would write. Returns 0,
 * or -1 with a message naming the broken tensor in err. */
int nt_container_check(const char *path, const nt_pack_options *opt, uint64_t *bytes, char *err, size_t errlen);

/* Frees the buffers and zstd contexts that unpack and check keep between calls (a few sets of
 * at most 64 MiB, reused by the next call in the process). */
void nt_container_release(void);

/* Prints the index (one line per segment) to stdout. */
int nt_container_list(const char *path, char *err, size_t errlen);

/* ------------------------------------------------------------------ analysis (ntc stats) */

/* One tensor as ntc stats sees it. */
typedef struct {
    const char *name;
    const char *dtype;
    uint64_t count, bytes;
    double bound_bytes[NT_CONTAINER_MAX_PAIRS]; /* order-0 bound of pairs[k] (model excluded); < 0: n/a */
    uint64_t packed_bytes;                      /* what pack writes for it (all parts) */
    int codec;                                  /* pair id of its (first) part, 0 stored */
    const uint64_t *exp_hist;                   /* 256 bins: the exponent histogram (floats), or NULL */
} nt_tensor_report;

typedef int (*nt_report_fn)(void *user, const nt_tensor_report *r);

/* Analyses every tensor of a safetensors or .npy file: bounds of every applicable pair, the
 * packed size (by coding it exactly as pack does), the exponent histogram. Calls fn in file
 * order; a nonzero return stops. */
int nt_container_analyze(const char *path, const nt_pack_options *opt, nt_report_fn fn, void *user, char *err,
                         size_t errlen);

/* Order-0 bound, in bits, of coding words whose top-16-bit histogram is hist (65536 bins) with
 * pair p: sum over codes of -count log2(count / n) plus the raw bits. */
double nt_pair_bound_bits(const nt_pair *p, const uint64_t *hist);

#endif
