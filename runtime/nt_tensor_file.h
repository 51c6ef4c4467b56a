/*
 * nt_tensor_file.h — readers for safetensors, .npy and raw files: every tensor as a named run of
 * little-endian words of 1, 2, 4 or 8 bytes. The file is mapped read-only (mmap), not copied.
 *
 * C99, libc + POSIX only. Every malformed file is reported as an error with a one-line message;
 * the readers never read outside the mapping and never allocate more than the header's size
 * (safetensors headers are capped at 100 MB, as the reference implementation does).
 *
 * Choices the caller should know:
 *   - safetensors: unknown dtypes are accepted as NT_DT_OTHER with word_bytes 0 and no size check
 *     (only that the data lies in the data area). Gaps between tensors are allowed; overlaps are
 *     not (empty tensors overlap nothing). Tensors are listed in the order of their data offsets.
 *   - npy: only little-endian ('<', '|', or '=' on a little-endian host) data; big-endian,
 *     structured ('descr' a list) and object ('O') arrays are errors. fortran_order True is
 *     accepted for 0-d and 1-d arrays (same word order) and an error otherwise. Kinds other than
 *     f2/f4/f8, i1..i8, u1..u8, b1 are NT_DT_OTHER with word_bytes 0. The data must end exactly
 *     at the end of the file.
 *   - raw: one tensor of dtype U8/U16/U32/U64 (by width), dtype_name "raw8".."raw64", shape
 *     [count]. An empty raw file is an error, like any empty file.
 *   - Error messages are one printable line (control characters from names become '?').
 *   - -DNT_TENSOR_FILE_CHECKED (tests only) reads the file into exact-size malloc buffers instead
 *     of mapping it, so AddressSanitizer can see any over-read; never use it for large files.
 */
#ifndef NT_TENSOR_FILE_H
#define NT_TENSOR_FILE_H

#include <stddef.h>
#include <stdint.h>

typedef enum { NT_DT_BF16, NT_DT_F16, NT_DT_F32, NT_DT_F64, NT_DT_I8, NT_DT_U8, NT_DT_I16, NT_DT_U16,
               NT_DT_I32, NT_DT_U32, NT_DT_I64, NT_DT_U64, NT_DT_BOOL, NT_DT_F8_E4M3, NT_DT_F8_E5M2, NT_DT_OTHER } nt_dtype;

#define NT_TENSOR_MAX_DIMS 8

typedef struct {
    char *name;              /* "" for npy/raw files */
    nt_dtype dtype;
    char dtype_name[16];     /* as written in the file: "BF16", "<f2", ... */
    int word_bytes;          /* bytes per element: 1, 2, 4, 8 (0 for OTHER with unknown width) */
    int ndim;
    uint64_t shape[NT_TENSOR_MAX_DIMS];
    uint64_t count;          /* elements */
    uint64_t offset;         /* byte offset of the data in the file */
    uint64_t size;           /* bytes */
    const void *data;        /* points into the mapping; NOT necessarily aligned for the word type */
} nt_tensor;

typedef struct nt_tensor_file {
    char *path;
    int kind;                /* 0 safetensors, 1 npy, 2 raw */
    const uint8_t *map; uint64_t map_size;
    uint64_t header_size;    /* safetensors: 8 + N; npy: bytes before data; raw: 0 */
    int ntensors;
    nt_tensor *tensors;      /* in file order of their data offsets */
    char *metadata_json;     /* safetensors __metadata__ as raw JSON text, or NULL */
} nt_tensor_file;

#define NT_TF_SAFETENSORS 0
#define NT_TF_NPY 1
#define NT_TF_RAW 2

/* Opens PATH. kind is chosen by content (safetensors, npy magic) or by raw_word_bytes > 0 (force raw).
 * Returns 0, or -1 with a one-line message in err (e.g. "x.safetensors: header length 1e12 exceeds
 * file size 524656"); on failure *f is left zeroed, so closing it is harmless. */
int nt_tensor_file_open(nt_tensor_file *f, const char *path, int raw_word_bytes, char *err, size_t errlen);
/* Unmaps and frees; safe on a zeroed or already closed file. */
void nt_tensor_file_close(nt_tensor_file *f);
/* Finds a tensor by name (NULL if none). A linear scan. */
const nt_tensor *nt_tensor_file_find(const nt_tensor_file *f, const char *name);
const char *nt_dtype_name(nt_dtype d);

#endif
