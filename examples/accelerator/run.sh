#!/bin/sh
# examples/accelerator/run.sh SHARED [OUT] — the matrix-vector example, from the repository root
# (make test runs it; so can you). Generates the bf16_q20 decoder and its C, compresses a real
# weight matrix of stories260K with the generated encoder, and checks in Verilator that the
# decoder + bridge + engine compute y = W x exactly as the C reference does, with and without
# random stalls; then lints the RTL and synthesises it with Yosys (xc7) for its size.
# Prints PASS/FAIL lines and ends with "accelerator: N passed, N failed, N skipped".
set -u
SHARED=${1:-../shared}
OUT=${2:-build/accel}
TENSOR=${TENSOR:-layers.0.feed_forward.w1.weight}
VECTORS=${VECTORS:-4}
WEIGHTS=$SHARED/data/stories260K-bf16.safetensors
NTC=$(pwd)/${NTC_BUILD:-build}/ntc
E=examples/accelerator
CC=${CC:-cc}
pass=0 fail=0 skip=0
ok() { pass=$((pass + 1)); echo "PASS: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
finish() { echo "accelerator: $pass passed, $fail failed, $skip skipped"; [ "$fail" -eq 0 ]; exit $?; }
check() { # check NAME LOG CMD...
    c_name=$1 c_log=$2
    shift 2
    if "$@" >"$c_log" 2>&1; then ok "$c_name"; else bad "$c_name"; tail -n 12 "$c_log" | sed 's/^/    /'; fi
}
if [ ! -f "$WEIGHTS" ]; then
    skip=1
    echo "SKIP: accelerator: $WEIGHTS missing (the example needs the real weights)"
    finish
fi
for tool in verilator m4; do
    command -v $tool >/dev/null 2>&1 || { skip=1; echo "SKIP: accelerator: $tool not installed"; finish; }
done
rm -rf "$OUT"
mkdir -p "$OUT/gen" "$OUT/data"

check "ntc bf16_q20.nt --fit $TENSOR --emit c,verilog" $OUT/gen.log \
    $NTC $E/bf16_q20.nt --fit "$WEIGHTS:$TENSOR" --emit c,verilog -o $OUT/gen
check "C reference and streams (mv_ref)" $OUT/ref.log sh -c \
    "$CC -O2 -std=c99 -D_POSIX_C_SOURCE=200809L -I$OUT/gen -Iruntime $E/mv_ref.c $OUT/gen/bf16_q20.c runtime/nt_tensor_file.c \
        -o $OUT/mv_ref -lm && $OUT/mv_ref $WEIGHTS $TENSOR $OUT/data 1 $VECTORS"
sed 's/^/    /' $OUT/ref.log
RTL="$E/accel_top.v $E/mv_engine.v $OUT/gen/bf16_q20_decoder.v $OUT/gen/ntc_tans_core.v $OUT/gen/ntc_bit_window.v \
     $OUT/gen/ntc_sdp_ram.v $OUT/gen/ntc_bridge.v"
[ -f $OUT/data/dims.mk ] && eval "$(sed "s/ := /=/" $OUT/data/dims.mk)"
check "verilator --lint-only -Wall (engine, top)" $OUT/lint.log sh -c \
    "verilator --lint-only -Wall --top-module mv_engine $E/mv_engine.v &&
     verilator --lint-only -Wall --top-module accel_top -GROWS=${ROWS:-172} -GCOLS=${COLS:-64} $RTL"
check "Verilator build" $OUT/build.log verilator --cc --exe --build -O3 -Wno-fatal --top-module accel_top \
    -GROWS=${ROWS:-172} -GCOLS=${COLS:-64} -Mdir $OUT/obj -CFLAGS "-O2 -std=c++11" $RTL \
    $(pwd)/$E/bench_accel.cpp -o Vaccel_top
for stall in 0 30; do
    check "engine on $TENSOR, $VECTORS vectors, stalls $stall%: y equal to the C reference" $OUT/run$stall.log \
        $OUT/obj/Vaccel_top $OUT/data --stall $stall
    grep -E '^(PASS|FAIL|cycles)' $OUT/run$stall.log | sed 's/^/    /'
done
if command -v yosys >/dev/null 2>&1; then
    check "Yosys synth_xilinx -family xc7 (decoder, bridge, engine)" $OUT/synth.log sh -c \
        "yosys -q -p 'read_verilog $RTL; chparam -set ROWS ${ROWS:-172} -set COLS ${COLS:-64} accel_top; synth_xilinx -family xc7 -flatten -top accel_top; tee -o $OUT/synth_stat.txt stat' >/dev/null"
    awk '/ LUT[1-6] / { lut += $2 } / FD[RSCP]E / { ff += $2 } / RAMB(18|36)E1 / { ram = ram sprintf(", %d %s", $2, $1) }
         / RAM(32|64|128|256)[MSX]/ { lr += $2 } / DSP48E1 / { dsp += $2 }
         END { printf "    accel_top: %d LUTs, %d flip-flops%s, %d LUT-RAM cells, %d DSP48E1\n", lut, ff, ram, lr, dsp }' \
        $OUT/synth_stat.txt 2>/dev/null
fi
finish
