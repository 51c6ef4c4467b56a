/*
 * fuzz_readers.c — libFuzzer target for the safetensors, .npy and raw readers: the input is
 * written to a file and opened; every tensor the reader accepts must lie inside the file.
 */
#include "nt_tensor_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    char err[512];
    nt_tensor_file f;
    FILE *fp;
    if (!path[0])
        snprintf(path, sizeof path, "/tmp/ntc-fuzz-readers-%ld.bin", (long)getpid());
    fp = fopen(path, "wb");
    if (!fp)
        return 0;
    fwrite(data, 1, size, fp);
    fclose(fp);
    for (int raw = 0; raw <= 2; raw += 2) {
        if (nt_tensor_file_open(&f, path, raw, err, sizeof err) == 0) {
            unsigned sum = 0;
            for (int i = 0; i < f.ntensors; i++) {
                const nt_tensor *x = &f.tensors[i];
                const uint8_t *p = x->data;
                if (x->offset + x->size > f.map_size)
                    abort();
                for (uint64_t b = 0; b < x->size; b++)
                    sum += p[b];
            }
            (void)sum;
            nt_tensor_file_close(&f);
        }
    }
    return 0;
}
