#!/bin/sh
# tests/rtl/run.sh SHARED — the RTL backend, from the repository root (called by tests/run.sh).
#
# For every example the RTL supports (tANS; a static model, or an adaptive one per stream or per
# block): generate the decoder, vectors and benches (--emit verilog,vectors,tb), then lint, the
# Verilator bench with random stalls and fault injection, and one-bit flips that must meet the C
# decoder's verdict error for error and word for word (make verify), a run without stalls
# (make throughput), the Icarus bench (make verify-iverilog) and Yosys synthesis (make synth).
# Static models are fitted to the real weights in SHARED/data where present (bf16_lossless: every
# tensor of stories260K-bf16 is streamed through the RTL), else to synthetic tensors, said so.
# Adaptive examples (each stream's or block's model section read and its table built in hardware,
# the build time counted in the cycles per word) run on every tensor of the real weights (no
# Icarus there) and on model-drawn vectors, and must refuse LANES = 2; those with a `block` size
# also run with blocks of 2501 words (most real tensors and model-drawn streams then hold several
# blocks, and blocks end inside chunks and lane rounds). The adaptive float splits are also
# checked as static variants, for the core's generic paths.
# Value types (a `bridge` item): the real f32 weights quantized to the type (ntc quantize), a static
# variant fitted to them, the RTL's output (the bridge: fp32 bits, fixed point or the pair) checked
# on those words and on every word of types of up to 8 bits, and the vectors checked against the
# generated C T_bridge (tests/tools/bridge_ref.c); no Icarus run on these whole files, but one on
# words drawn from the model (escaped codes, awkward sizes). Most value types give each code its
# own raw-bit count (the raw part then carries its length: the core's VAR_RAW = 1, one word per
# clock) or none (binary, ternary: VAR_RAW = 2). tests/rtl/*.nt add bridges on real bf16 weights.
# The decoder with LANES = 2 (two words per clock) is run the same way (lint, stalls and faults,
# throughput, Icarus, synthesis) on bf16_lossless over the real weights, its model-drawn vectors,
# the (code, raw) pair output and the static variants.
# Ends with "rtl: N passed, N failed, N skipped".
set -u
SHARED=${1:-../shared}
DATA=$SHARED/data
NTC=$(pwd)/${NTC_BUILD:-build}/ntc
B=${NTC_BUILD:-build}/test/rtl
CC=${CC:-cc}
rm -rf "$B"
mkdir -p "$B"

pass=0
fail=0
skip=0
ok() { pass=$((pass + 1)); echo "PASS: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
skipped() { skip=$((skip + 1)); echo "SKIP: $*"; }

# check NAME LOG CMD...: passes when CMD exits 0; shows the log's tail otherwise. (sh has no
# locals: the helpers use prefixed names.)
check() {
    c_name=$1
    c_log=$2
    shift 2
    if "$@" >"$c_log" 2>&1; then ok "$c_name"; else bad "$c_name"; tail -n 12 "$c_log" | sed 's/^/    /'; fi
}

for tool in verilator iverilog yosys m4; do
    if ! command -v $tool >/dev/null 2>&1; then
        skipped "RTL tests: $tool not installed"
        echo "rtl: $pass passed, $fail failed, $skip skipped"
        exit 0
    fi
done

SYNTH_SAN=
if [ "${SANITIZE:-}" = 1 ]; then SYNTH_SAN="-g -fsanitize=address,undefined -fno-sanitize-recover=all"; fi
$CC $SYNTH_SAN -O2 -std=c99 -D_POSIX_C_SOURCE=200809L tests/tools/synth.c -o $B/synth -lm || bad "synth tool"
data_for() { # data_for EXAMPLE -> real file, else a synthetic one (and a note)
    case "$1" in
    bf16_*) f=$DATA/stories260K-bf16.safetensors dt=BF16 ;;
    fp16_*) f=$DATA/nanodet-m-f16.safetensors dt=F16 ;;
    *) f=$DATA/stories260K-f32.safetensors dt=F32 ;;
    esac
    if [ -f "$f" ]; then
        echo "$f"
    else
        [ -f "$B/synthetic-$dt.safetensors" ] || $B/synth "$B/synthetic-$dt.safetensors" $dt 65536
        echo "$B/synthetic-$dt.safetensors"
    fi
}

# rtl_suite NAME NT DATA VECTORS MAX_CPW [noiv]: generate into $B/NAME and run every check (noiv:
# all but the Icarus bench, which takes minutes on a whole file).
rtl_suite() {
    name=$1 nt=$2 data=$3 vectors=$4 max_cpw=$5 iv=${6:-iv}
    G=$B/$name
    vf=
    [ -n "$vectors" ] && vf="--vectors-from $vectors"
    T=$(sed -n 's/^[[:space:]]*type[[:space:]]\{1,\}\([A-Za-z0-9_]*\).*/\1/p' "$nt" | head -n 1)
    if ! $NTC "$nt" --fit "$data" $vf --emit verilog,vectors,tb -o "$G" >$B/$name.gen.log 2>&1 &&
        grep -q 'not supported by the RTL backend' $B/$name.gen.log; then
        skipped "$name: $(sed -n 's/.*error: //p' $B/$name.gen.log | head -n 1)"
        return
    fi
    check "$name: ntc --emit verilog,vectors,tb" $B/$name.gen.log $NTC "$nt" --fit "$data" $vf --emit verilog,vectors,tb -o "$G"
    [ -f "$G/Makefile" ] || return
    check "$name: generated RTL is deterministic" $B/$name.det.log sh -c \
        "$NTC $nt --fit $data --emit verilog -o $G.again && cmp $G/${T}_decoder.v $G.again/${T}_decoder.v"
    check "$name: verilator --lint-only -Wall" $B/$name.lint.log make -C "$G" lint
    check "$name: Verilator bench, random stalls, faults (make verify)" $B/$name.verify.log make -C "$G" verify
    grep -E '^(PASS|FAIL) ' $B/$name.verify.log | sed 's/^/    /'
    check "$name: no stalls (make throughput${max_cpw:+, at most $max_cpw cycles per word})" $B/$name.tput.log \
        make -C "$G" throughput MAX_CPW="${max_cpw:-0}"
    grep -E '^(PASS|FAIL) ' $B/$name.tput.log | sed 's/^/    /'
    if [ "$iv" = iv ]; then
        check "$name: Icarus bench (make verify-iverilog)" $B/$name.iv.log make -C "$G" verify-iverilog
        tail -n 3 $B/$name.iv.log | head -n 2 | sed 's/^/    /'
    fi
    check "$name: Yosys synth_xilinx -family xc7 (make synth)" $B/$name.synth.log make -C "$G" synth
    grep 'LUTs' $B/$name.synth.log | sed 's/^/    /'
}

# lanes2 NAME MAX_CPW [noiv]: the decoder generated into $B/NAME, with LANES = 2 (make ... LANES=2)
lanes2() {
    l2_g=$B/$1 l2_cpw=$2 l2_iv=${3:-iv}
    if [ ! -f "$l2_g/Makefile" ]; then
        bad "$1, LANES=2: no generated decoder in $l2_g"
        return
    fi
    check "$1, LANES=2: verilator --lint-only -Wall" $B/$1.l2.lint.log make -C "$l2_g" lint LANES=2
    check "$1, LANES=2: Verilator bench, random stalls, faults (make verify)" $B/$1.l2.verify.log make -C "$l2_g" verify LANES=2
    grep -E '^(PASS|FAIL) ' $B/$1.l2.verify.log | sed 's/^/    /'
    check "$1, LANES=2: no stalls (make throughput${l2_cpw:+, at most $l2_cpw cycles per word})" $B/$1.l2.tput.log \
        make -C "$l2_g" throughput LANES=2 MAX_CPW="${l2_cpw:-0}"
    grep -E '^(PASS|FAIL) ' $B/$1.l2.tput.log | sed 's/^/    /'
    if [ "$l2_iv" = iv ]; then
        check "$1, LANES=2: Icarus bench (make verify-iverilog)" $B/$1.l2.iv.log make -C "$l2_g" verify-iverilog LANES=2
        tail -n 3 $B/$1.l2.iv.log | head -n 2 | sed 's/^/    /'
    fi
    check "$1, LANES=2: Yosys synth_xilinx -family xc7 (make synth)" $B/$1.l2.synth.log make -C "$l2_g" synth LANES=2
    grep 'LUTs' $B/$1.l2.synth.log | sed 's/^/    /'
}

# bridge_check NAME NT DATA OUT_BITS: the generated C bridge against the vectors of $B/NAME.
bridge_check() {
    bc_g=$B/$1
    bc_t=$(sed -n 's/^[[:space:]]*type[[:space:]]\{1,\}\([A-Za-z0-9_]*\).*/\1/p' "$2" | head -n 1)
    [ -f "$bc_g/${bc_t}_vectors/expected.hex" ] || return
    check "$1: the generated C T_bridge equals the RTL vectors" $B/$1.bridge.log sh -c \
        "$NTC $2 --fit $3 --emit c -o $bc_g && $CC -O1 -std=c99 -DNT_TYPE=$bc_t -DNT_HEADER='\"$bc_t.h\"' -DNT_OUT_BITS=$4 \
         -I$bc_g tests/tools/bridge_ref.c $bc_g/$bc_t.c -o $bc_g/bridge_ref && \
         $bc_g/bridge_ref $bc_g/${bc_t}_vectors/source.hex $bc_g/${bc_t}_vectors/expected.hex"
    grep -E '^(PASS|FAIL) ' $B/$1.bridge.log | sed 's/^/    /'
}

# value_suite NAME NT: a value type on its own words, the real f32 weights quantized to it.
value_suite() {
    vs_name=$1 vs_nt=$2
    vs_f32=$(data_for f32)
    vs_q=$B/$vs_name.quantized.safetensors
    if ! $NTC quantize "$vs_nt" "$vs_f32" -o "$vs_q" --scale absmax -q >$B/$vs_name.quantize.log 2>&1; then
        bad "$vs_name: ntc quantize"
        tail -n 5 $B/$vs_name.quantize.log | sed 's/^/    /'
        return
    fi
    if grep -Eq '^[[:space:]]*model[[:space:]]' "$vs_nt"; then
        sed 's/model[[:space:]]\{1,\}adaptive[^;]*;/model static;/' "$vs_nt"
    else
        sed 's/^\([[:space:]]*type[[:space:]].*{\)/\1\n    model static;/' "$vs_nt"
    fi > $B/$vs_name.static.nt
    case $vs_f32 in "$DATA"/*) vs_cpw=1.01 ;; *) vs_cpw= ;; esac
    rtl_suite "$vs_name.static-variant" $B/$vs_name.static.nt "$vs_q" "$vs_q" "$vs_cpw" noiv
    vs_ob=$(sed -n 's/.*output wire \[\(LANES\*\)\{0,1\}\([0-9]*\)-1:0\] m_axis_tdata.*/\2/p' $B/$vs_name.static-variant/*_decoder.v 2>/dev/null)
    [ -n "$vs_ob" ] && bridge_check "$vs_name.static-variant" $B/$vs_name.static.nt "$vs_q" "$vs_ob"
    [ -f $B/$vs_name.static-variant/Makefile ] || return
    vs_g=$B/$vs_name.static-variant.model-drawn
    check "$vs_name.static-variant.model-drawn: Icarus bench (make verify-iverilog)" $B/$vs_name.md.iv.log sh -c \
        "$NTC $B/$vs_name.static.nt --fit $vs_q --emit verilog,vectors,tb -o $vs_g && make -C $vs_g verify-iverilog"
    tail -n 3 $B/$vs_name.md.iv.log | head -n 2 | sed 's/^/    /'
}

signature() { grep -E '^[[:space:]]*(word|field|code|coder)[[:space:]]' "$1" | tr -d ' \n'; echo; }
for nt in examples/*.nt; do  # the static examples' coding pairs: no variant repeats them
    if grep -Eq '^[[:space:]]*model[[:space:]]+static[[:space:]]*;' "$nt"; then signature "$nt" >> $B/signatures; fi
done

for nt in examples/*.nt; do
    T=$(basename "$nt" .nt)
    if grep -Eq '^[[:space:]]*bridge[[:space:]]' "$nt"; then
        value_suite "$T" "$nt"
        continue
    fi
    data=$(data_for "$T")
    case $data in "$DATA"/*) real=1 ;; *) real=0 ;; esac
    if grep -Eq '^[[:space:]]*model[[:space:]]+static[[:space:]]*;' "$nt"; then
        if [ $real = 1 ]; then
            # the real weights, every tensor a stream; one word per clock over the whole file, and
            # two with LANES = 2
            rtl_suite "$T" "$nt" "$data" "$data" 1.01
            lanes2 "$T" 0.51
        else
            skipped "$T on real weights: $DATA missing (fitted and checked on synthetic data instead)"
            rtl_suite "$T" "$nt" "$data" "$data" ""
            lanes2 "$T" ""
        fi
        # words drawn from the model: codes never seen while fitting (escapes), awkward sizes
        rtl_suite "$T.model-drawn" "$nt" "$data" "" ""
        lanes2 "$T.model-drawn" ""
    else
        if $NTC "$nt" --emit verilog -o $B/$T.probe >$B/$T.refuse.log 2>&1; then
            # an adaptive model the RTL takes: each stream's model section read and its table
            # built in hardware (ntc_tans_builder); the build time counts in the cycles per word
            if [ $real = 1 ]; then
                rtl_suite "$T" "$nt" "$data" "$data" 1.5 noiv
            else
                skipped "$T on real weights: $DATA missing (checked on synthetic data instead)"
                rtl_suite "$T" "$nt" "$data" "$data" "" noiv
            fi
            rtl_suite "$T.model-drawn" "$nt" "$data" "" ""
            check "$T: LANES=2 refused for an adaptive model (lint fails with a clear name)" $B/$T.l2.refuse.log sh -c \
                "! make -C $B/$T.model-drawn lint LANES=2 >$B/$T.l2.lint.log 2>&1 && grep -q LANES_must_be_1_with_an_adaptive_model $B/$T.l2.lint.log"
            if grep -Eq '^[[:space:]]*model[[:space:]]+adaptive[[:space:]]+block[[:space:]]' "$nt"; then
                # small blocks: several per stream, each with its model section and table build
                sed 's/\(model[[:space:]]\{1,\}adaptive[[:space:]]\{1,\}block[[:space:]]\{1,\}\)[0-9]*/\12501/' "$nt" > $B/$T.small-blocks.nt
                rtl_suite "$T.small-blocks" $B/$T.small-blocks.nt "$data" "$data" "" noiv
                rtl_suite "$T.small-blocks.model-drawn" $B/$T.small-blocks.nt "$data" "" ""
            fi
        else
            check "$T: refused by the RTL backend with a message (exit 1)" $B/$T.refuse.log sh -c \
                "$NTC $nt --emit verilog -o $B/$T.refused 2>&1; test \$? -eq 1"
            skipped "$T: $(sed -n 's/.*error: //p' $B/$T.refuse.log | head -n 1)"
        fi
        # The static variant of a float split with real data to fit, once per coding pair: the
        # core's generic paths (raw widths 5, 9, 24; 10-bit codes; a 4096-cell table).
        case $T in bf16_* | fp16_* | fp32_*) ;; *) continue ;; esac
        sig=$(signature "$nt")
        if grep -qxF "$sig" $B/signatures 2>/dev/null; then continue; fi
        echo "$sig" >> $B/signatures
        sed 's/model[[:space:]]\{1,\}adaptive[^;]*;/model static;/' "$nt" > "$B/$T.static.nt"
        rtl_suite "$T.static-variant" "$B/$T.static.nt" "$data" "" ""
        # LANES = 2 (two words per clock on the 16-bit types; fp32 words need more than the 32-bit input)
        lanes2 "$T.static-variant" ""
    fi
done

# bridges on real bf16 weights (one matrix, so that the Icarus bench runs too): fp32 bits and the
# (code, bits) pair
for nt in tests/rtl/*.nt; do
    T=$(basename "$nt" .nt)
    data=$(data_for "$T")
    case $data in "$DATA"/*) one="$data:layers.0.feed_forward.w1.weight" ;; *) one=$data ;; esac
    rtl_suite "$T" "$nt" "$data" "$one" ""
    ob=$(sed -n 's/.*output wire \[\(LANES\*\)\{0,1\}\([0-9]*\)-1:0\] m_axis_tdata.*/\2/p' $B/$T/*_decoder.v 2>/dev/null)
    [ -n "$ob" ] && bridge_check "$T" "$nt" "$data" "$ob"
    # the pair output takes LANES = 2 (the fp32 bridge stage takes one word per clock)
    grep -q 'LANES\*[0-9]*-1:0\] m_axis_tdata' $B/$T/*_decoder.v 2>/dev/null && lanes2 "$T" ""
done

echo "rtl: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
