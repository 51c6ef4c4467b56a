#!/bin/sh
# bench.sh SHARED — encode/decode speed of bf16_lossless next to libzstd levels 3 and 19, on the
# same 16 MB of bf16 words in the same run. A benchmark: it measures and prints, it does not fail
# on a slow machine. Words are drawn from the real file's own words (or from a synthetic file,
# said so, when the real weights are missing).
set -eu
SHARED=${1:-../shared}
D=build/bench
NTC=build/ntc
MB=${BENCH_MB:-16}
CFLAGS_BENCH=${CFLAGS_BENCH:--O2}
mkdir -p "$D"
real=$SHARED/data/stories260K-bf16.safetensors
if [ -f "$real" ]; then
    data=$real
else
    cc -O2 -std=c99 -D_POSIX_C_SOURCE=200809L tests/tools/synth.c -o "$D/synth" -lm
    data=$D/synthetic-bf16.safetensors
    "$D/synth" "$data" BF16 65536
    echo "NOTE: $SHARED/data not found: words drawn from a SYNTHETIC file"
fi
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) cores; cc: $(cc --version | head -n 1)"
echo "flags: $CFLAGS_BENCH (portable C, no -march); zstd: libzstd $(pkg-config --modversion libzstd 2>/dev/null || echo '?')"
for T in bf16_lossless bf16_adaptive bf16_exp_mant2; do
    fit=
    [ "$T" = bf16_lossless ] && fit="--fit $data"
    $NTC "examples/$T.nt" $fit -o "$D"
    printf '#define NT_TYPE %s\n#include "%s.c"\n#include "%s/tests/bench/bench.c"\n' "$T" "$T" "$(pwd)" > "$D/$T-bench.c"
    ${BENCH_CC:-cc} $CFLAGS_BENCH -std=c99 -D_POSIX_C_SOURCE=200809L -Iruntime -I"$D" "$D/$T-bench.c" runtime/nt_tensor_file.c \
        -o "$D/$T-bench" -lzstd
    echo
    "$D/$T-bench" "$data" "$MB"
done
