#!/bin/sh
# demo.sh SHARED — the main job, end to end: compile the reference paper's bf16 scheme, fit it to
# real weights (or to a synthetic tensor, said so, when they are missing), encode, decode, check
# every word, and print the ratio next to the order-0 entropy bound.
set -eu
SHARED=${1:-../shared}
D=build/demo
NTC=build/ntc
rm -rf "$D"
mkdir -p "$D"
real=$SHARED/data/stories260K-bf16.safetensors
if [ -f "$real" ]; then
    data=$real
    echo "data: $data (real weights: llama2.c stories260K, bf16)"
else
    cc -O2 -std=c99 -D_POSIX_C_SOURCE=200809L tests/tools/synth.c -o "$D/synth" -lm
    data=$D/synthetic-bf16.safetensors
    "$D/synth" "$data" BF16 65536
    echo "data: $data (SYNTHETIC: normal weights, $SHARED/data not found)"
fi
echo
for T in bf16_lossless bf16_adaptive bf16_exp_mant2; do
    fit=
    [ "$T" = bf16_lossless ] && fit="--fit $data"
    echo "\$ ntc examples/$T.nt $fit -o $D"
    $NTC "examples/$T.nt" $fit -o "$D"
    printf '#define NT_TYPE %s\n#include "%s.c"\n#include "%s/tests/codec/codec_test.c"\n' "$T" "$T" "$(pwd)" > "$D/$T-check.c"
    cc -O2 -std=c99 -D_POSIX_C_SOURCE=200809L -Iruntime -I"$D" "$D/$T-check.c" runtime/nt_tensor_file.c -o "$D/$T-check" -lm
    case $T in
    bf16_lossless) echo "  static model fitted to the whole file, baked into $D/$T.c:" ;;
    bf16_adaptive) echo "  adaptive model: one per tensor, carried in each stream (every header counted):" ;;
    bf16_exp_mant2) echo "  exponent and two mantissa bits coded, a model per tensor in each stream:" ;;
    esac
    "$D/$T-check" file "$data" > "$D/$T-check.out" || { cat "$D/$T-check.out"; exit 1; }
    sed -e 's/^PASS file [^:]*: /  /' -e 's/; order-0/;\n  order-0/' -e 's/; with one/;\n  with one/' "$D/$T-check.out"
    echo
done
echo "every word of every tensor was encoded, decoded and compared bit for bit."
