/*
 * container_sweep.c — fault sweeps of a small container, in process (built with ASan and UBSan by
 * tests/faults/run.sh):
 *
 *   container_sweep INPUT.safetensors
 *
 * Packs INPUT as `ntc pack` does, then unpacks the container with every single bit flipped and
 * cut at every length, as `ntc unpack` does (into a work folder on /dev/shm when there is one).
 * Each run must either give back INPUT byte for byte or fail with a message naming what broke:
 * the tensor (or the header segment) whose payload the fault hit, the index or the tail when the
 * fault hit them, the head when it hit the head, "truncated" for a cut. A failed run must leave
 * neither its target nor a temporary file behind. Flips inside a tensor's payload are also
 * unpacked with --tensor of that tensor (an error naming it, or its exact bytes) and of another
 * tensor (its exact bytes: one tensor's payload is not read for another).
 *
 * Prints "PASS ..."/"FAIL ..." lines with the counts; exits 1 on any failure. A crash, a
 * sanitizer report or a hang (10 s per run) ends the program, which the caller counts as a failure.
 */
#include "../../runtime/nt_container.c"
#include "../../compiler/cmd_pack.c"

#include <signal.h>
#include <stdlib.h>

static char work[256], ntz[300], out[300], one[300];
static int failures;

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    long len;
    uint8_t *b;
    if (!f || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
        return NULL;
    b = malloc((size_t)len + 1);
    if (!b || fread(b, 1, (size_t)len, f) != (size_t)len) {
        fclose(f);
        free(b);
        return NULL;
    }
    fclose(f);
    *n = (size_t)len;
    return b;
}

static void spit(const char *path, const uint8_t *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b, 1, n, f) != n || fclose(f) != 0) {
        printf("FAIL cannot write %s\n", path);
        exit(1);
    }
}

/* Nothing but the container in the work folder: no target, no temporary. */
static int clean_after_failure(void)
{
    DIR *d = opendir(work);
    struct dirent *e;
    int ok = 1;
    if (!d)
        return 0;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, "t.ntz"))
            ok = 0;
    closedir(d);
    return ok;
}

static nt_pack_options opt;

/* Unpacks ntz (whole, or one tensor into `one`); 0 on success, else -1 with err. */
static int unpack(const char *tensor, char *err, size_t errlen)
{
    int rc;
    alarm(10);
    rc = nt_container_unpack(ntz, tensor ? one : out, tensor, &opt, err, errlen);
    alarm(0);
    return rc;
}

static int same_file(const char *path, const uint8_t *want, size_t n)
{
    size_t m;
    uint8_t *got = slurp(path, &m);
    int same = got && m == n && !memcmp(got, want, n);
    free(got);
    return same;
}

int main(int argc, char **argv)
{
    char err[2048], label[600];
    uint8_t *orig, *c, *bad;
    size_t orig_n, n;
    index_t x;
    uint64_t ioff;
    const char *base;
    /* counts */
    uint64_t flips = 0, same = 0, named_tensor = 0, named_header = 0, named_index = 0, named_head = 0;
    uint64_t same_where[4] = {0, 0, 0, 0}; /* tensor payload, header payload, index, head or tail */
    uint64_t cuts = 0, cut_rejected = 0, one_flips = 0, one_named = 0, one_same = 0, other_ok = 0;

    if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "--fast-decode"))) {
        fprintf(stderr, "usage: container_sweep INPUT.safetensors [--fast-decode]\n");
        return 2;
    }
    base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : (getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    snprintf(work, sizeof work, "%s/ntc-faults-XXXXXX", base);
    if (!mkdtemp(work)) {
        printf("FAIL cannot make a work folder in %s\n", base);
        return 1;
    }
    snprintf(ntz, sizeof ntz, "%s/t.ntz", work);
    snprintf(out, sizeof out, "%s/out", work);
    snprintf(one, sizeof one, "%s/one", work);
    if (pairs_setup(1) != 0 || !(orig = slurp(argv[1], &orig_n)))
        return 1;
    memset(&opt, 0, sizeof opt);
    opt.threads = 1;
    opt.progress = 0;
    opt.pairs = pairs;
    opt.npairs = NPAIRS;
    opt.fast_slack = argc == 3 ? NT_CONTAINER_FAST_SLACK : 0;
    {
        const char *in[1];
        in[0] = argv[1];
        if (nt_container_pack(in, 1, ntz, &opt, err, sizeof err) != 0) {
            printf("FAIL pack: %s\n", err);
            return 1;
        }
    }
    if (!(c = slurp(ntz, &n)) || !(bad = malloc(n)) || container_open(&x, ntz, NULL, err, sizeof err) != 0) {
        printf("FAIL the packed container: %s\n", err);
        return 1;
    }
    ioff = x.data_end;
    {
        int coded = 0, members = 0, pairs_coded = 0;
        for (uint64_t s = 0; s < x.nsegs; s++) {
            coded += x.segs[s].kind == SEG_TENSOR && x.segs[s].codec != NT_CONTAINER_CODEC_STORED;
            members += x.segs[s].codec == NT_CONTAINER_CODEC_GROUP;
        }
        printf("container: %zu bytes, %llu segments (%d coded tensors, %d of them in a group's stream), from %s "
               "(%zu bytes)\n",
               n, (unsigned long long)x.nsegs, coded, members, argv[1], orig_n);
        if (coded < 2 || !members) {
            printf("FAIL the sweep wants a container with at least two coded tensors and a group\n");
            return 1;
        }
        for (uint64_t s = 0; s < x.nsegs && argc == 3; s++)
            pairs_coded |= (x.segs[s].codec == NT_CONTAINER_CODEC_PAIRS) | (x.segs[s].codec == NT_CONTAINER_CODEC_F16_PAIRS) << 1;
        if (argc == 3 && pairs_coded != 3) {
            printf("FAIL the sweep with --fast-decode wants tensors coded with bf16_pairs and f16_pairs\n");
            return 1;
        }
    }

    /* ---------------------------------------------------------- every single-bit flip */
    for (size_t bit = 0; bit < n * 8; bit++) {
        size_t at = bit / 8;
        const seg_t *hit = NULL;
        const char *want;
        int rc;
        memcpy(bad, c, n);
        bad[at] ^= (uint8_t)(1u << (bit % 8));
        spit(ntz, bad, n);
        flips++;
        for (uint64_t s = 0; s < x.nsegs; s++)
            if (at >= x.segs[s].payload_offset && at - x.segs[s].payload_offset < x.segs[s].payload_size)
                hit = &x.segs[s];
        rc = unpack(NULL, err, sizeof err);
        if (rc == 0) {
            if (!same_file(out, orig, orig_n)) {
                printf("FAIL bit %zu (byte %zu): unpacked without error to different bytes\n", bit, at);
                failures++;
            }
            same++;
            same_where[hit ? (hit->kind == SEG_TENSOR ? 0 : 1) : (at >= ioff && at < n - TAIL_SIZE) ? 2 : 3]++;
            remove(out);
            continue;
        }
        if (!clean_after_failure()) {
            printf("FAIL bit %zu: a failed unpack left files behind\n", bit);
            failures++;
        }
        if (hit) {
            /* a flip in a group's stream may show as the checksum of any tensor in it */
            want = seg_label(hit, label, sizeof label);
            for (const seg_t *m = hit; !strstr(err, want) && m->next_member;) {
                m = &x.segs[m->next_member];
                want = seg_label(m, label, sizeof label);
            }
        } else if (at < HEAD_SIZE) {
            want = "container";
        } else if (at >= ioff && at < n - TAIL_SIZE) {
            want = "index";
        } else {
            want = strstr(err, "end marker") ? "end marker" : "index";
        }
        if (!strstr(err, want)) {
            printf("FAIL bit %zu (byte %zu): error does not name %s: %s\n", bit, at, want, err);
            failures++;
        } else if (hit) {
            if (hit->kind == SEG_TENSOR)
                named_tensor++;
            else
                named_header++;
        } else if (at < HEAD_SIZE) {
            named_head++;
        } else {
            named_index++;
        }
        /* --tensor: the tensor hit (its error or its bytes), the last tensor in its stream when it
         * heads a group (the same), and a tensor of another stream (its bytes) */
        if (hit && hit->kind == SEG_TENSOR) {
            const seg_t *other = NULL, *member = hit;
            while (member->next_member)
                member = &x.segs[member->next_member];
            for (uint64_t s = 0; s < x.nsegs; s++)
                if (x.segs[s].kind == SEG_TENSOR && x.segs[s].head != hit->head && strcmp(x.segs[s].name, hit->name))
                    other = &x.segs[s];
            if (member != hit) {
                if (unpack(member->name, err, sizeof err) == 0) {
                    if (!same_file(one, orig + member->offset, (size_t)member->length)) {
                        printf("FAIL bit %zu: --tensor %s gave wrong bytes without error\n", bit, member->name);
                        failures++;
                    }
                    remove(one);
                } else if (!strstr(err, seg_label(member, label, sizeof label))) {
                    printf("FAIL bit %zu: --tensor %s: error does not name it: %s\n", bit, member->name, err);
                    failures++;
                }
            }
            one_flips++;
            if (unpack(hit->name, err, sizeof err) == 0) {
                if (!same_file(one, orig + hit->offset, (size_t)hit->length)) {
                    printf("FAIL bit %zu: --tensor %s gave wrong bytes without error\n", bit, hit->name);
                    failures++;
                }
                one_same++;
                remove(one);
            } else if (!strstr(err, seg_label(hit, label, sizeof label))) {
                printf("FAIL bit %zu: --tensor %s: error does not name it: %s\n", bit, hit->name, err);
                failures++;
            } else {
                one_named++;
            }
            if (other) {
                if (unpack(other->name, err, sizeof err) == 0 &&
                    same_file(one, orig + other->offset, (size_t)other->length)) {
                    other_ok++;
                } else {
                    printf("FAIL bit %zu in '%s': --tensor %s failed: %s\n", bit, hit->name, other->name, err);
                    failures++;
                }
                remove(one);
            }
        }
    }
    printf("%s container bit flips: %llu (%llu rejected naming the tensor, %llu naming the header segment, "
           "%llu naming the index or tail, %llu naming the head; %llu decoded identical: %llu in tensor payloads, %llu "
           "in the header segment's, %llu in the index, %llu in the head or tail)\n",
           failures ? "FAIL" : "PASS", (unsigned long long)flips, (unsigned long long)named_tensor,
           (unsigned long long)named_header, (unsigned long long)named_index, (unsigned long long)named_head,
           (unsigned long long)same, (unsigned long long)same_where[0], (unsigned long long)same_where[1],
           (unsigned long long)same_where[2], (unsigned long long)same_where[3]);
    printf("%s container bit flips in a tensor's payload, --tensor: %llu (%llu rejected naming it, %llu decoded "
           "identical; another tensor decoded right %llu times)\n",
           failures ? "FAIL" : "PASS", (unsigned long long)one_flips, (unsigned long long)one_named,
           (unsigned long long)one_same, (unsigned long long)other_ok);

    /* ---------------------------------------------------------- every truncation */
    {
        int before = failures;
        for (size_t cut = 0; cut < n; cut++) {
            cuts++;
            spit(ntz, c, cut);
            if (unpack(NULL, err, sizeof err) == 0) {
                printf("FAIL cut to %zu bytes: unpacked without error\n", cut);
                failures++;
                remove(out);
                continue;
            }
            if (!clean_after_failure()) {
                printf("FAIL cut to %zu bytes: a failed unpack left files behind\n", cut);
                failures++;
            }
            if (strstr(err, "truncated") || strstr(err, "not an ntc container"))
                cut_rejected++;
            else {
                printf("FAIL cut to %zu bytes: error does not say truncated: %s\n", cut, err);
                failures++;
            }
        }
        printf("%s container truncations: %llu (%llu rejected as truncated)\n", failures == before ? "PASS" : "FAIL",
               (unsigned long long)cuts, (unsigned long long)cut_rejected);
    }
    remove(ntz);
    rmdir(work);
    index_free(&x);
    pairs_teardown();
    free(orig);
    free(c);
    free(bad);
    return failures ? 1 : 0;
}
