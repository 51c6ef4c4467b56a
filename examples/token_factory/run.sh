#!/bin/sh
# examples/token_factory/run.sh SHARED [OUT] — the token factory, from the repository root (make
# test runs it). The classifier matrix of stories260K (tok_embeddings, 512 x 64, shared with the
# output layer) is cut into LANES row slices, each compressed by the generated bf16_q20 encoder
# and decoded by its own decoder; each decoder's weights go to TOKENS engines at once. For
# LANES = 1, 2, 4 and TOKENS = 1, 2, 4, 8 the Verilator run checks every output against the C
# reference and measures the weights per clock and the DRAM bytes per token; then the calculator
# (token_calc.c) is built and run. Prints PASS/FAIL lines, the table (also in OUT/results.txt),
# and ends with "token_factory: N passed, N failed, N skipped".
set -u
SHARED=${1:-../shared}
OUT=${2:-build/factory}
TENSOR=tok_embeddings.weight
WEIGHTS=$SHARED/data/stories260K-bf16.safetensors
NTC=$(pwd)/${NTC_BUILD:-build}/ntc
E=examples/token_factory
A=examples/accelerator
CC=${CC:-cc}
pass=0 fail=0 skip=0
ok() { pass=$((pass + 1)); echo "PASS: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
finish() { echo "token_factory: $pass passed, $fail failed, $skip skipped"; [ "$fail" -eq 0 ]; exit $?; }
check() { # check NAME LOG CMD...
    c_name=$1 c_log=$2
    shift 2
    if "$@" >"$c_log" 2>&1; then ok "$c_name"; else bad "$c_name"; tail -n 12 "$c_log" | sed 's/^/    /'; fi
}
rm -rf "$OUT"
mkdir -p "$OUT/gen"

check "token_calc.c builds clean (-Wall -Wextra -Werror -pedantic)" $OUT/calc.log \
    $CC -O2 -std=c99 -Wall -Wextra -Werror -pedantic $E/token_calc.c -o $OUT/token_calc
check "token_calc, Llama2-7B defaults" $OUT/calc7b.log $OUT/token_calc
sed 's/^/    /' $OUT/calc7b.log

if [ ! -f "$WEIGHTS" ]; then
    skip=1
    echo "SKIP: token factory simulation: $WEIGHTS missing (it needs the real weights)"
    finish
fi
command -v verilator >/dev/null 2>&1 || { skip=1; echo "SKIP: token factory simulation: verilator not installed"; finish; }

check "ntc bf16_q20.nt --fit $TENSOR --emit c,verilog" $OUT/gen.log \
    $NTC $A/bf16_q20.nt --fit "$WEIGHTS:$TENSOR" --emit c,verilog -o $OUT/gen
check "mv_ref builds" $OUT/ref.log \
    $CC -O2 -std=c99 -D_POSIX_C_SOURCE=200809L -I$OUT/gen -Iruntime $A/mv_ref.c $OUT/gen/bf16_q20.c runtime/nt_tensor_file.c \
    -o $OUT/mv_ref -lm
RTL="$E/factory_top.v $A/mv_engine.v $OUT/gen/bf16_q20_decoder.v $OUT/gen/ntc_tans_core.v $OUT/gen/ntc_bit_window.v \
     $OUT/gen/ntc_sdp_ram.v $OUT/gen/ntc_bridge.v"
echo "lanes tokens cycles weights/clock(decoders) weights/clock(engines) DRAM-bytes/token bf16-bytes/token(unshared)" > $OUT/results.txt
for lanes in 1 2 4; do
    D=$OUT/l$lanes
    mkdir -p $D
    check "lanes $lanes: streams and C reference" $D/ref.log $OUT/mv_ref $WEIGHTS $TENSOR $D $lanes 8
    eval "$(sed "s/ := /=/" $D/dims.mk)"
    check "lanes $lanes: verilator --lint-only -Wall, Verilator build" $D/build.log sh -c \
        "verilator --lint-only -Wall --top-module factory_top -GLANES=$lanes -GTOKENS=8 -GROWS=$((ROWS / lanes)) -GCOLS=$COLS $RTL &&
         verilator --cc --exe --build -O3 -Wno-fatal --top-module factory_top -GLANES=$lanes -GTOKENS=8 \
            -GROWS=$((ROWS / lanes)) -GCOLS=$COLS -Mdir $D/obj -CFLAGS '-O2 -std=c++11 -DFACTORY_LANES=$lanes -DFACTORY_TOKENS=8' \
            $RTL $(pwd)/$E/bench_factory.cpp -o Vfactory_top"
    [ -x $D/obj/Vfactory_top ] || continue
    for tokens in 1 2 4 8; do
        check "lanes $lanes tokens $tokens: every output equal to the C reference" $D/run$tokens.log \
            $D/obj/Vfactory_top $D --tokens $tokens
        grep '^factory' $D/run$tokens.log | sed 's/^/    /'
        sed -n 's/^factory lanes \([0-9]*\) tokens \([0-9]*\): \([0-9]*\) cycles, \([0-9.]*\) weights per clock from the decoders, \([0-9.]*\) weights per clock delivered to engines (MACs), \([0-9.]*\) DRAM bytes per token.*bf16 unshared \([0-9]*\).*/\1 \2 \3 \4 \5 \6 \7/p' \
            $D/run$tokens.log >> $OUT/results.txt
    done
    check "lanes $lanes tokens 8, random stalls 20%: every output equal to the C reference" $D/stall.log \
        $D/obj/Vfactory_top $D --tokens 8 --stall 20
done
echo "    results ($OUT/results.txt):"
column -t $OUT/results.txt 2>/dev/null | sed 's/^/    /' || sed 's/^/    /' $OUT/results.txt
RATIO=$(sed -n 's/.*ratio \([0-9.]*\)).*/\1/p' $OUT/l1/sizes.txt)
check "token_calc with the measured ratio ${RATIO:-?} (stories260K, 1 GB/s, 4 lanes at 200 MHz)" $OUT/calc260k.log \
    $OUT/token_calc --params 264128 --bytes 2 --bandwidth 1 --ratio "${RATIO:-1}" --tokens 8 --lanes 4 --clock 200
sed 's/^/    /' $OUT/calc260k.log
finish
