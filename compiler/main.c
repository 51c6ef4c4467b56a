/*
 * main.c — the ntc driver: command line, reading the source, running the phases, writing outputs.
 */
#include "ntc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char usage[] =
    "usage: ntc FILE.nt [options]\n"
    "\n"
    "Compiles a numeric-type description into encoders, decoders and hardware.\n"
    "\n"
    "options:\n"
    "  --emit LIST          what to write, comma-separated: c, verilog, vectors, tb, bridge\n"
    "                       (bridge: the RTL bridge stage alone; default: c)\n"
    "  -o DIR               output directory (default: .)\n"
    "  --fit FILE[:TENSOR]  fit static models to the words of a safetensors, .npy or raw file\n"
    "                       (all tensors, or one); may be given more than once\n"
    "  --vectors-from FILE[:TENSOR]  words for --emit vectors (default: drawn from the model)\n"
    "  --type NAME          only this type of the file (default: all)\n"
    "  --check              parse and check only; write nothing\n"
    "  --help               print this help and exit\n"
    "  --version            print the version and exit\n"
    "\n"
    "       ntc pack|unpack|stats ...   whole checkpoints (see 'ntc pack --help')\n"
    "       ntc quantize T.nt IN.safetensors -o OUT.safetensors   tensors to a value type, with\n"
    "                                   bits per weight and error (see 'ntc quantize --help')\n"
    "\n"
    "Exit status: 0 on success, 1 on an error in the input, 2 on a usage error.\n";

static int mkdir_p(const char *dir)
{
    char tmp[4096];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof tmp)
        return -1;
    memcpy(tmp, dir, n + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = 0;
            if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    }
    if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

int main(int argc, char **argv)
{
    const char *input = NULL, *outdir = ".", *emit = "c", *only = NULL, *vectors_from = NULL;
    const char *fits[64];
    int nfits = 0, check_only = 0;

    /* Subcommands on whole checkpoints (compiler/cmd_pack.c). */
    if (argc > 1 && (!strcmp(argv[1], "pack") || !strcmp(argv[1], "unpack") || !strcmp(argv[1], "stats")))
        return nt_cmd_container(argc - 1, argv + 1);
    if (argc > 1 && !strcmp(argv[1], "quantize")) /* compiler/cmd_quantize.c */
        return nt_cmd_quantize(argc - 1, argv + 1);

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(a, "--version")) {
            printf("ntc %s\n", NTC_VERSION);
            return 0;
        } else if (!strcmp(a, "-o") || !strcmp(a, "--emit") || !strcmp(a, "--fit") || !strcmp(a, "--type") ||
                   !strcmp(a, "--vectors-from")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "ntc: error: option '%s' needs an argument\n", a);
                return 2;
            }
            const char *v = argv[++i];
            if (!strcmp(a, "-o"))
                outdir = v;
            else if (!strcmp(a, "--emit"))
                emit = v;
            else if (!strcmp(a, "--type"))
                only = v;
            else if (!strcmp(a, "--vectors-from"))
                vectors_from = v;
            else if (nfits < 64)
                fits[nfits++] = v;
            else {
                fprintf(stderr, "ntc: error: too many --fit options\n");
                return 2;
            }
        } else if (!strcmp(a, "--check")) {
            check_only = 1;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "ntc: error: unknown option '%s' (try 'ntc --help')\n", a);
            return 2;
        } else if (input) {
            fprintf(stderr, "ntc: error: more than one input file ('%s' and '%s')\n", input, a);
            return 2;
        } else {
            input = a;
        }
    }
    if (!input) {
        fprintf(stderr, "ntc: error: no input file (try 'ntc --help')\n");
        return 2;
    }

    /* Which targets. */
    int want_c = 0, want_verilog = 0, want_vectors = 0, want_tb = 0, want_bridge = 0;
    {
        char buf[256];
        if (strlen(emit) >= sizeof buf) {
            fprintf(stderr, "ntc: error: --emit list too long\n");
            return 2;
        }
        strcpy(buf, emit);
        for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
            if (!strcmp(tok, "c"))
                want_c = 1;
            else if (!strcmp(tok, "verilog"))
                want_verilog = 1;
            else if (!strcmp(tok, "vectors"))
                want_vectors = 1;
            else if (!strcmp(tok, "tb"))
                want_tb = 1;
            else if (!strcmp(tok, "bridge"))
                want_bridge = 1;
            else {
                fprintf(stderr, "ntc: error: unknown --emit target '%s' (known: c, verilog, vectors, tb, bridge)\n", tok);
                return 2;
            }
        }
    }

    size_t len = 0;
    char *src = nt_read_source(input, NT_SOURCE_MAX, &len);
    if (!src)
        return 1;

    nt_diag d;
    nt_diag_init(&d, input, src, len);
    int ntypes = 0;
    nt_type **types = nt_compile_source(&d, src, len, &ntypes);
    if (!types || d.errors) {
        free(src);
        return 1;
    }

    int status = 0, matched = 0;
    for (int i = 0; i < ntypes && status == 0; i++) {
        nt_type *t = types[i];
        if (only && strcmp(only, t->name))
            continue;
        matched = 1;
        for (int k = 0; k < nfits && status == 0; k++)
            if (nt_fit_file(t, fits[k]) != 0)
                status = 1;
        if (status)
            break;
        if (check_only)
            continue;
        if (t->model == NT_MODEL_STATIC && !t->have_counts) {
            nt_error(&d, t->loc,
                     "type '%s' has a static model but no counts: give 'counts { ... }' or --fit FILE",
                     t->name);
            status = 1;
            break;
        }
        if (mkdir_p(outdir) != 0) {
            nt_fatal("cannot create directory '%s': %s", outdir, strerror(errno));
            status = 1;
            break;
        }
        if (want_c && nt_emit_c(t, outdir, input) != 0)
            status = 1;
        if (status == 0 && (want_verilog || want_vectors || want_tb) &&
            nt_emit_rtl(t, outdir, input, want_verilog, want_vectors, want_tb, vectors_from) != 0)
            status = 1;
        if (status == 0 && want_bridge && nt_emit_rtl_bridge(t, outdir, input) != 0)
            status = 1;
    }
    if (status == 0 && only && !matched) {
        nt_fatal("no type named '%s' in '%s'", only, input);
        status = 1;
    }
    for (int i = 0; i < ntypes; i++)
        nt_type_free(types[i]);
    free(types);
    free(src);
    return status;
}
