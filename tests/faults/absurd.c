/*
 * absurd.c — writes containers that ask for absurd sizes, made from a real one by rewriting its
 * index (everything else consistent: checksums, placement, tail), for tests/faults/run.sh to feed
 * to `ntc unpack` under a memory limit:
 *
 *   absurd IN.ntz OUTDIR
 *
 *   OUTDIR/elements.ntz   the first tensor (BF16) claims 2^40 elements: its segment and its file
 *                         grow by 2^41 bytes, the later segments move up with it
 *   OUTDIR/index.ntz      the tail claims an index of 1 GiB (the frame holds the real one)
 *   OUTDIR/segments.ntz   the index claims 2^40 segments
 *
 * Built like container_sweep (it includes the container's source for its index writer).
 */
#include "../../runtime/nt_container.c"

static int write_container(const char *path, const uint8_t *m, uint64_t data_end, const uint8_t *raw, size_t rawn,
                           uint64_t claim_raw)
{
    size_t zcap = ZSTD_compressBound(rawn), zn;
    uint8_t *z = malloc(zcap), tail[TAIL_SIZE];
    FILE *f = fopen(path, "wb");
    int ok;
    if (!z || !f)
        return -1;
    zn = ZSTD_compress(z, zcap, raw, rawn, 19);
    if (ZSTD_isError(zn))
        return -1;
    put_le(tail, data_end, 8);
    put_le(tail + 8, zn, 8);
    put_le(tail + 16, XXH3_64bits(z, zn), 8);
    put_le(tail + 24, claim_raw ? claim_raw : rawn, 8);
    memcpy(tail + 32, tail_magic, 8);
    ok = fwrite(m, 1, (size_t)data_end, f) == data_end && fwrite(z, 1, zn, f) == zn &&
         fwrite(tail, 1, TAIL_SIZE, f) == TAIL_SIZE;
    free(z);
    return fclose(f) == 0 && ok ? 0 : -1;
}

int main(int argc, char **argv)
{
    index_t x;
    char err[1024], path[1024];
    buf_t b;
    uint64_t grow, t = UINT64_MAX;
    if (argc != 3)
        return 2;
    if (container_open(&x, argv[1], NULL, err, sizeof err) != 0) {
        fprintf(stderr, "absurd: %s\n", err);
        return 1;
    }
    for (uint64_t i = 0; i < x.nsegs && t == UINT64_MAX; i++)
        if (x.segs[i].kind == SEG_TENSOR && !strcmp(x.segs[i].dtype, "BF16") && x.segs[i].nparts == 1)
            t = i;
    if (t == UINT64_MAX) {
        fprintf(stderr, "absurd: no BF16 tensor in one part in %s\n", argv[1]);
        return 1;
    }

    /* the tail claims a 1 GiB index */
    memset(&b, 0, sizeof b);
    if (index_write(&x, &b) != 0)
        return 1;
    snprintf(path, sizeof path, "%s/index.ntz", argv[2]);
    if (write_container(path, x.map, x.data_end, b.p, b.len, (uint64_t)1 << 30) != 0)
        return 1;

    /* the index claims 2^40 segments: the u64 after magic, flags and nfiles */
    put_le(b.p + 12, (uint64_t)1 << 40, 8);
    snprintf(path, sizeof path, "%s/segments.ntz", argv[2]);
    if (write_container(path, x.map, x.data_end, b.p, b.len, 0) != 0)
        return 1;
    free(b.p);

    /* a tensor of 2^40 elements (2^41 bytes) */
    grow = ((uint64_t)1 << 41) - x.segs[t].length;
    x.segs[t].length += grow;
    x.files[x.segs[t].file].size += grow;
    for (uint64_t i = t + 1; i < x.nsegs; i++)
        if (x.segs[i].file == x.segs[t].file)
            x.segs[i].offset += grow;
    memset(&b, 0, sizeof b);
    if (index_write(&x, &b) != 0)
        return 1;
    snprintf(path, sizeof path, "%s/elements.ntz", argv[2]);
    if (write_container(path, x.map, x.data_end, b.p, b.len, 0) != 0)
        return 1;
    printf("%s/{elements,index,segments}.ntz: tensor '%s' of 2^40 elements, a 1 GiB index, 2^40 segments\n",
           argv[2], x.segs[t].name);
    free(b.p);
    index_free(&x);
    return 0;
}
