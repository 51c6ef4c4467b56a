#!/bin/sh
# tests/rtl/bridge_sweep.sh — the RTL bridge stage alone (ntc --emit bridge) against the generated
# C, for every example with `bridge fp32` or `bridge fixed`, whatever its coder: every word of the
# types of up to 16 bits, 10^6 random words of wider ones, under random stalls (Verilator), and
# lint. This reaches every word of the wider types, which the whole decoder (tests/rtl/run.sh) sees
# only on real weights. From the repository root; ends with "bridge: N passed, N failed, N skipped".
set -u
NTC=$(pwd)/${NTC_BUILD:-build}/ntc
B=build/test/bridge
CC=${CC:-cc}
rm -rf "$B"
mkdir -p "$B"
pass=0 fail=0 skip=0
ok() { pass=$((pass + 1)); echo "PASS: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { # check NAME LOG CMD...
    c_name=$1 c_log=$2
    shift 2
    if "$@" >"$c_log" 2>&1; then ok "$c_name"; else bad "$c_name"; tail -n 12 "$c_log" | sed 's/^/    /'; fi
}
if ! command -v verilator >/dev/null 2>&1 || ! command -v m4 >/dev/null 2>&1; then
    echo "SKIP: bridge sweep: verilator or m4 not installed"
    echo "bridge: 0 passed, 0 failed, 1 skipped"
    exit 0
fi
for nt in examples/*.nt; do
    grep -Eq '^[[:space:]]*bridge[[:space:]]+(fp32|fixed)' "$nt" || continue
    T=$(sed -n 's/^[[:space:]]*type[[:space:]]\{1,\}\([A-Za-z0-9_]*\).*/\1/p' "$nt" | head -n 1)
    G=$B/$T
    mkdir -p $G
    if ! $NTC "$nt" --emit c,bridge -o $G >$G/gen.log 2>&1; then
        bad "$T: ntc --emit c,bridge"
        sed 's/^/    /' $G/gen.log
        continue
    fi
    WB=$(sed -n "s/^#define [A-Z0-9_]*_WORD_BITS \([0-9]*\).*/\1/p" $G/$T.h | head -n 1)
    printf '#include "V%s_bridge.h"\ntypedef V%s_bridge TOP;\n' $T $T > $G/bridge_top.h
    OB=$(sed -n 's/.*output wire \[\([0-9]*\)-1:0\] m_data.*/\1/p' $G/${T}_bridge.v)
    check "$T: verilator --lint-only -Wall" $G/lint.log \
        verilator --lint-only -Wall --top-module ${T}_bridge $G/${T}_bridge.v $G/ntc_bridge.v
    check "$T: bridge stage equals the generated C on $([ "$WB" -le 16 ] && echo "all 2^$WB words" || echo "10^6 random words"), random stalls" \
        $G/sweep.log sh -c "
        $CC -O1 -std=c99 -DNT_TYPE=$T -DNT_HEADER='\"$T.h\"' -DNT_OUT_BITS=$OB -DNT_WORD_BITS=$WB -I$G \
            tests/tools/bridge_pairs.c $G/$T.c -o $G/pairs && $G/pairs > $G/pairs.txt &&
        verilator --cc --exe --build -O2 -Wno-fatal --top-module ${T}_bridge -Mdir $G/obj \
            -CFLAGS '-O2 -std=c++11 -I$(pwd)/$G' \
            $G/${T}_bridge.v $G/ntc_bridge.v $(pwd)/tests/rtl/bridge_bench.cpp -o bench >/dev/null &&
        $G/obj/bench $G/pairs.txt"
    grep -E '^(PASS|FAIL) ' $G/sweep.log | sed 's/^/    /'
done
echo "bridge: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
