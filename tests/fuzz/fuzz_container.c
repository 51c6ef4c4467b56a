/*
 * fuzz_container.c — libFuzzer target for the container reader (runtime/nt_container.c): the input
 * is written to a file and unpacked as `ntc unpack` does it (a user type stored in the container
 * is compiled first), whole and then one tensor (--tensor) chosen by the input's size. Either
 * must succeed or return an error; any crash, hang, leak, sanitizer report or allocation above
 * libFuzzer's limit is a bug. When a whole unpack succeeds, the one-tensor unpack must give the
 * bytes that tensor has in the whole output.
 *
 * The index is a zstd frame guarded by a checksum, which random mutations almost never get past.
 * So an input may also end with the marker "\x89NTZRAW\n" after a u64 n: then its first n bytes
 * are head and payloads, the bytes up to the u64 are the index *uncompressed*, and the harness
 * compresses it and writes a correct tail before unpacking (container_raw_seed.c makes such seeds
 * from containers). This lets the fuzzer reach the index parser and the decoders behind it.
 *
 * Built from one translation unit with the container and ntc's pack command (for its pairs),
 * linked with the front end and the generated pair coders (tests/fuzz/run.sh).
 */
#include "../../runtime/nt_container.c"
#include "../../compiler/cmd_pack.c"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[256], in_path[300], out_path[300], one_path[300];

static void setup(void)
{
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(dir, sizeof dir, "%s/ntc-fuzz-container-%ld", base, (long)getpid());
    snprintf(in_path, sizeof in_path, "%s/in.ntz", dir);
    snprintf(out_path, sizeof out_path, "%s/out", dir);
    snprintf(one_path, sizeof one_path, "%s/one", dir);
    if (pairs_setup(1) != 0)
        abort();
}

/* The bytes of file `f` at [off, off + len) as unpack wrote it (a file, or DIR/NAME). */
static uint8_t *read_back(const char *file_name, int is_dir, uint64_t off, uint64_t len)
{
    char p[700];
    uint8_t *b = malloc(len ? (size_t)len : 1);
    FILE *f;
    if (!b)
        return NULL;
    if (is_dir)
        snprintf(p, sizeof p, "%s/%s", out_path, file_name);
    else
        snprintf(p, sizeof p, "%s", out_path);
    f = fopen(p, "rb");
    if (!f || fseek(f, (long)off, SEEK_SET) != 0 || fread(b, 1, (size_t)len, f) != (size_t)len)
        abort(); /* unpack said it wrote this */
    fclose(f);
    return b;
}

static const uint8_t raw_marker[8] = {0x89, 'N', 'T', 'Z', 'R', 'A', 'W', '\n'};

/* Writes the container the input describes (see the top) to in_path. */
static int write_input(const uint8_t *data, size_t size)
{
    FILE *fp = fopen(in_path, "wb");
    int ok;
    if (!fp)
        return -1;
    if (size >= 16 && !memcmp(data + size - 8, raw_marker, 8) && get_le(data + size - 16, 8) <= size - 16) {
        size_t body = (size_t)get_le(data + size - 16, 8), rawn = size - 16 - body;
        size_t cap = ZSTD_compressBound(rawn);
        uint8_t *z = malloc(cap), tail[TAIL_SIZE];
        size_t zn = z ? ZSTD_compress(z, cap, data + body, rawn, 1) : 0;
        if (!z || ZSTD_isError(zn)) {
            free(z);
            fclose(fp);
            return -1;
        }
        put_le(tail, body, 8);
        put_le(tail + 8, zn, 8);
        put_le(tail + 16, XXH3_64bits(z, zn), 8);
        put_le(tail + 24, rawn, 8);
        memcpy(tail + 32, tail_magic, 8);
        ok = fwrite(data, 1, body, fp) == body && fwrite(z, 1, zn, fp) == zn && fwrite(tail, 1, TAIL_SIZE, fp) == TAIL_SIZE;
        free(z);
    } else {
        ok = fwrite(data, 1, size, fp) == size;
    }
    return fclose(fp) == 0 && ok ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[2048];
    nt_pack_options opt;
    char *src = NULL;
    index_t x;
    int whole_ok, have_index;
    if (!dir[0])
        setup();
    mkdir(dir, 0700); /* removed again at the end of each input: nothing is left behind */
    if (write_input(data, size) != 0) {
        remove_tree(dir);
        return 0;
    }

    memset(&opt, 0, sizeof opt);
    opt.threads = 1;
    opt.progress = 0;
    opt.pairs = pairs;
    opt.npairs = NPAIRS; /* the built-in pairs and the fast ones (bf16_pairs, f16_pairs) */
    opt.type_pair = stored_type_pair; /* as ntc unpack: a stored type is built when it is opened */
    opt.type_user = &src;
    whole_ok = nt_container_unpack(in_path, out_path, NULL, &opt, err, sizeof err) == 0;

    /* one tensor, chosen by the input's size among those the index names */
    have_index = container_open(&x, in_path, NULL, err, sizeof err) == 0;
    if (have_index) {
        uint64_t ntensors = 0, pick, k = 0;
        for (uint64_t i = 0; i < x.nsegs; i++)
            ntensors += x.segs[i].kind == SEG_TENSOR && x.segs[i].part == 0;
        pick = ntensors ? size % ntensors : 0;
        for (uint64_t i = 0; i < x.nsegs && ntensors; i++) {
            const seg_t *s = &x.segs[i];
            if (s->kind != SEG_TENSOR || s->part != 0 || k++ != pick)
                continue;
            if (nt_container_unpack(in_path, one_path, s->name, &opt, err, sizeof err) == 0 && whole_ok) {
                /* the tensor's parts, back to back, are what the whole unpack put at their offsets */
                FILE *f = fopen(one_path, "rb");
                uint64_t at = 0;
                if (!f)
                    abort();
                for (uint64_t j = 0; j < x.nsegs; j++) {
                    const seg_t *t = &x.segs[j];
                    uint8_t *want, *got;
                    if (t->kind != SEG_TENSOR || strcmp(t->name, s->name) || t->file != s->file)
                        continue;
                    want = read_back(x.files[t->file].name, (x.flags & INDEX_FLAG_DIRECTORY) != 0, t->offset,
                                     t->length);
                    got = malloc(t->length ? (size_t)t->length : 1);
                    if (!want || !got || fseek(f, (long)at, SEEK_SET) != 0 ||
                        fread(got, 1, (size_t)t->length, f) != (size_t)t->length ||
                        memcmp(want, got, (size_t)t->length) != 0)
                        abort();
                    free(want);
                    free(got);
                    at += t->length;
                }
                fclose(f);
            }
            break;
        }
    }
    index_free(&x);
    if (src) {
        user_free();
        free(src);
    }
    remove_tree(dir);
    return 0;
}
