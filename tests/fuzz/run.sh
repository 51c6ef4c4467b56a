#!/bin/sh
# run.sh SECONDS [SHARED] — builds the libFuzzer targets with clang (ASan and UBSan) and runs each
# for SECONDS: the .nt front end, generated decoders of several types (tANS static with escapes,
# tANS adaptive, rANS, a code table with variable raw widths), the bf16_pairs codec, the tensor
# file readers and the container reader (ntc unpack, whole and --tensor). Seed corpora come from the examples, the
# diagnostics tests, encoded streams, small tensor files and containers packed from them.
# Ends with "fuzz: N passed, N failed"; a crash keeps its input under $NTC_BUILD/fuzz/.
# NTC_BUILD: the build folder whose ntc and generated sources (lexer, parser, pairs) are used.
set -u
SECONDS_EACH=${1:-10}
SHARED=${2:-../shared}
BD=${NTC_BUILD:-build}
F=$BD/fuzz
NTC=$BD/ntc
SAN="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
pass=0
fail=0
mkdir -p "$F"
if ! command -v clang >/dev/null 2>&1; then
    echo "fuzz: clang missing"
    echo "fuzz: 0 passed, 1 failed"
    exit 1
fi

# run_target NAME BINARY CORPUS...: fuzz for SECONDS_EACH; pass when nothing crashed.
# EXTRA: more libFuzzer options for this target.
run_target() {
    name=$1
    bin=$2
    shift 2
    mkdir -p "$F/corpus-$name" "$F/crash-$name"
    # shellcheck disable=SC2086
    if "$bin" ${EXTRA:-} -max_total_time="$SECONDS_EACH" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$F/crash-$name/" -print_final_stats=1 "$F/corpus-$name" "$@" >"$F/log-$name" 2>&1; then
        pass=$((pass + 1))
        execs=$(grep -E 'stat::number_of_executed_units' "$F/log-$name" | awk '{print $2}')
        cov=$(grep -oE 'cov: [0-9]+' "$F/log-$name" | tail -n 1)
        echo "PASS fuzz $name: ${execs:-?} executions in ${SECONDS_EACH}s, ${cov:-cov: ?} edges"
    else
        fail=$((fail + 1))
        echo "FAIL fuzz $name: crash, input in $F/crash-$name/"
        grep -E 'ERROR|SUMMARY|runtime error' "$F/log-$name" | head -n 5 | sed 's/^/    /'
    fi
}

# The front end, built from the compiler's sources with the fuzzer's instrumentation.
OBJS=
for src in compiler/diag.c compiler/sema.c $BD/lexer.c $BD/parser.c; do
    o=$F/$(basename "$src" .c).o
    clang -std=c99 -D_POSIX_C_SOURCE=200809L -g -O1 -fsanitize=fuzzer-no-link,address,undefined \
        -Icompiler -Iruntime -I$BD -w -c "$src" -o "$o" || { echo "fuzz: cannot build $src"; exit 1; }
    OBJS="$OBJS $o"
done
clang -std=c99 -D_POSIX_C_SOURCE=200809L $SAN -Icompiler -Iruntime -I$BD tests/fuzz/fuzz_nt.c $OBJS \
    -o "$F/fuzz_nt" -lm || exit 1
run_target nt "$F/fuzz_nt" examples tests/diagnostics tests/codec/types

# Decoders of a few types.
for T in bf16_lossless bf16_adaptive bf16_rans u12_table; do
    nt=examples/$T.nt
    [ -f "$nt" ] || nt=tests/codec/types/$T.nt
    fit=
    if grep -Eq '^[[:space:]]*model[[:space:]]+static[[:space:]]*;' "$nt"; then
        data=$SHARED/data/stories260K-bf16.safetensors
        if [ ! -f "$data" ]; then
            cc -O2 -std=c99 -D_POSIX_C_SOURCE=200809L tests/tools/synth.c -o "$F/synth" -lm
            data=$F/synthetic-bf16.safetensors
            "$F/synth" "$data" BF16 4096
        fi
        fit="--fit $data"
    fi
    $NTC "$nt" $fit -o "$F/gen" || exit 1
    mask=$(sed -n "s/^#define [A-Z0-9_]*_WORD_BITS \([0-9]*\).*/\1/p" "$F/gen/$T.h")
    printf '#define NT_TYPE %s\n#define CODEC_MASK ((1ull << %s) - 1)\n#include "%s.c"\n#include "%s/tests/fuzz/%s"\n' \
        "$T" "$mask" "$T" "$(pwd)" seed_streams.c > "$F/seed_$T.c"
    printf '#define NT_TYPE %s\n#include "%s.c"\n#include "%s/tests/fuzz/fuzz_decode.c"\n' "$T" "$T" "$(pwd)" > "$F/fuzz_$T.c"
    cc -O1 -std=c99 -I"$F/gen" -Iruntime "$F/seed_$T.c" -o "$F/seed_$T" && mkdir -p "$F/seeds-$T" &&
        "$F/seed_$T" "$F/seeds-$T" || exit 1
    clang -std=c99 $SAN -I"$F/gen" -Iruntime "$F/fuzz_$T.c" -o "$F/fuzz_decode_$T" || exit 1
    run_target "decode-$T" "$F/fuzz_decode_$T" "$F/seeds-$T"
done

# The bf16_pairs and f16_pairs decoders (pack --fast-decode's codecs), seeded with streams of
# drawn words of both.
mkdir -p "$F/seeds-pairs"
cc -O2 -std=c99 -D_POSIX_C_SOURCE=200809L tests/tools/synth.c -o "$F/synth" -lm
for n in 3 200 3000; do
    "$F/synth" "$F/pairs-$n.safetensors" BF16 "$n"
    "$F/synth" "$F/pairs16-$n.safetensors" F16 "$n"
done
cat > "$F/pairs_seed.c" <<'SEED'
#include "nt_pairs.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* pairs_seed IN.safetensors OUT [f16]: the words of IN's data as one bf16_pairs (f16_pairs) stream */
int main(int argc, char **argv)
{
    FILE *f = fopen(argv[1], "rb");
    static unsigned char b[1 << 20], z[1 << 21];
    size_t len = f ? fread(b, 1, sizeof b, f) : 0, h = 0, n, r;
    for (int i = 7; i >= 0 && len > 8; i--)
        h = h << 8 | b[i];
    if (len < 8 || h > len - 8)
        return 1;
    n = (len - 8 - h) / 2;
    r = argc > 3 ? nt_pairs_f16_encode(z, sizeof z, b + 8 + h, n) : nt_pairs_encode(z, sizeof z, b + 8 + h, n);
    if (nt_pairs_is_error(r) || !(f = fopen(argv[2], "wb")) || fwrite(z, 1, r, f) != r)
        return 1;
    return fclose(f) != 0;
}
SEED
cc -O1 -std=c99 -Iruntime "$F/pairs_seed.c" runtime/nt_pairs.c -o "$F/pairs_seed" -lm || exit 1
for n in 3 200 3000; do
    "$F/pairs_seed" "$F/pairs-$n.safetensors" "$F/seeds-pairs/s$n" || exit 1
    "$F/pairs_seed" "$F/pairs16-$n.safetensors" "$F/seeds-pairs/h$n" f16 || exit 1
done
clang -std=c99 -D_POSIX_C_SOURCE=200809L $SAN -Iruntime tests/fuzz/fuzz_pairs.c runtime/nt_pairs.c \
    -o "$F/fuzz_pairs" -lm || exit 1
run_target pairs "$F/fuzz_pairs" "$F/seeds-pairs"

# The tensor file readers.
mkdir -p "$F/seeds-readers"
cc -O2 -std=c99 -D_POSIX_C_SOURCE=200809L tests/tools/synth.c -o "$F/synth" -lm
for dt in BF16 F16 F32; do "$F/synth" "$F/seeds-readers/small-$dt.safetensors" $dt 16; done
printf '\223NUMPY\001\000\166\000{'"'"'descr'"'"': '"'"'<f2'"'"', '"'"'fortran_order'"'"': False, '"'"'shape'"'"': (4,), }' > "$F/seeds-readers/a.npy"
head -c 128 /dev/zero >> "$F/seeds-readers/a.npy"
clang -std=c99 -D_POSIX_C_SOURCE=200809L $SAN -Iruntime tests/fuzz/fuzz_readers.c runtime/nt_tensor_file.c \
    -o "$F/fuzz_readers" || exit 1
run_target readers "$F/fuzz_readers" "$F/seeds-readers"

# The container reader: containers packed from small tensor files (one file, two files, a user
# type carried in the container), as they are and in the harness's raw-index form. Its messages
# go to stderr, which libFuzzer closes for it (sanitizer reports still show).
mkdir -p "$F/seeds-container"
"$F/synth" "$F/seeds-container/s.safetensors" BF16 256
"$F/synth" "$F/seeds-container/h.safetensors" F16 64
"$F/synth" "$F/seeds-container/w.safetensors" F32 32
cc -O1 -std=c99 tests/fuzz/container_raw_seed.c -o "$F/container_raw_seed" -lzstd || exit 1
for s in s h w; do $NTC pack "$F/seeds-container/$s.safetensors" -o "$F/seeds-container/$s.ntz" -j 1 || exit 1; done
$NTC pack "$F/seeds-container/s.safetensors" "$F/seeds-container/h.safetensors" -o "$F/seeds-container/two.ntz" -j 1 &&
    $NTC pack "$F/seeds-container/s.safetensors" --type examples/bf16_exp_mant2.nt -o "$F/seeds-container/user.ntz" -j 1 &&
    "$F/synth" "$F/seeds-container/f.safetensors" BF16 3000 &&
    $NTC pack "$F/seeds-container/f.safetensors" --fast-decode -o "$F/seeds-container/fast.ntz" -j 1 &&
    "$F/synth" "$F/seeds-container/g.safetensors" F16 3000 &&
    $NTC pack "$F/seeds-container/g.safetensors" --fast-decode -o "$F/seeds-container/fast16.ntz" -j 1 &&
    "$F/synth" "$F/seeds-container/k.safetensors" F32 2048 &&
    $NTC pack "$F/seeds-container/k.safetensors" --fast-decode -o "$F/seeds-container/fast32.ntz" -j 1 ||
    exit 1
rm -f "$F/seeds-container/"*.safetensors
for c in "$F/seeds-container/"*.ntz; do "$F/container_raw_seed" "$c" "${c%.ntz}.raw" || exit 1; done
CONTAINER_OBJS="$F/diag.o $F/sema.o $F/lexer.o $F/parser.o"
for src in compiler/emit_c.c compiler/emit_value.c runtime/nt_tensor_file.c runtime/nt_pairs.c $BD/pairs/*.c; do
    o=$F/c-$(basename "$src" .c).o
    clang -std=c99 -D_POSIX_C_SOURCE=200809L -g -O1 -fsanitize=fuzzer-no-link,address,undefined \
        -Icompiler -Iruntime -I$BD -w -c "$src" -o "$o" || { echo "fuzz: cannot build $src"; exit 1; }
    CONTAINER_OBJS="$CONTAINER_OBJS $o"
done
clang -std=c99 -D_POSIX_C_SOURCE=200809L $SAN -Icompiler -Iruntime -I$BD tests/fuzz/fuzz_container.c $CONTAINER_OBJS \
    -o "$F/fuzz_container" -lm -lxxhash -lzstd -lpthread || exit 1
EXTRA=-close_fd_mask=2 run_target container "$F/fuzz_container" "$F/seeds-container"

echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
