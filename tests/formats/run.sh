#!/bin/sh
# run.sh [SHARED] — the numeric formats of examples/, proved against outside references; run from
# the repository root (`make test` does, after `make oracles` has filled build/oracles).
#
#   floats (fp8, fp6, fp4, bf16, fp16): every word's T_to_double, and T_from_double/T_from_float on
#     every value, midpoint, 10^5 random doubles, specials: ml_dtypes / numpy (tests/formats/oracle.py)
#   posits: posit(8,0), (16,1), (16,2) on every word, posit(32,2) on 10^6 random words, both ways,
#     against SoftPosit (posit_check.c)
#   every value type: the pair and fp32 bridges, T_from_double(T_to_double(w)) == w, and for the
#     small ones a brute-force nearest-value check; ints: values are the integers; fixed bridge
#
# Ends with "formats: N passed, N failed, N skipped"; a check whose oracle could not be installed is
# skipped with the reason, never passed.
set -u
NTC=${NTC:-${NTC_BUILD:-build}/ntc}
B=${NTC_BUILD:-build}/formats
# SANITIZE=1 (make test SANITIZE=1): the drivers are built with ASan and UBSan
OPT=-O2
if [ "${SANITIZE:-}" = 1 ]; then OPT="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all"; fi
VENV=build/oracles
PY=$VENV/bin/python
SP=$VENV/softposit
STRICT="-std=c99 -Wall -Wextra -Werror -pedantic"
rm -rf "$B"
mkdir -p "$B"
pass=0 fail=0 skip=0

# counted NAME CMD...: CMD prints PASS/FAIL lines; a failing CMD without a FAIL line is one failure.
counted() {
    name=$1
    shift
    log="$B/log.$(echo "$name" | tr -c 'A-Za-z0-9_.-' '_')"
    "$@" >"$log" 2>&1
    rc=$?
    p=$(grep -c '^PASS' "$log")
    f=$(grep -c '^FAIL' "$log")
    pass=$((pass + p))
    fail=$((fail + f))
    grep -E '^(FAIL|NOTE)' "$log"
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then fail=$((fail + 1)); echo "FAIL $name (exit $rc)"; tail -n 5 "$log"; fi
}
skipped() { skip=$((skip + 1)); echo "SKIP $*"; }

# Which oracles are here.
why_py=
if [ ! -x "$PY" ]; then
    why_py="no $VENV (run 'make oracles')"
elif ! "$PY" -c 'import ml_dtypes, numpy' >/dev/null 2>&1; then
    why_py="ml_dtypes/numpy not installed in $VENV: $(grep -i ml_dtypes $VENV/missing 2>/dev/null | head -n 1)"
fi
why_sp=
if [ ! -f "$SP/softposit.a" ]; then
    why_sp="SoftPosit (from sfpy) not in $SP: $(grep -i sfpy $VENV/missing 2>/dev/null | head -n 1)"
fi

# build T: compile the example, the driver, and (with $2 = posit) the SoftPosit check.
build() {
    T=$1
    G=$B/$T
    if ! $NTC "examples/$T.nt" -o "$G" >"$B/log.$T.ntc" 2>&1; then
        fail=$((fail + 1)); echo "FAIL $T: ntc"; cat "$B/log.$T.ntc"; return 1
    fi
    extra=
    case $T in int8 | int4 | ternary | binary) extra="-DNT_FIXED_WIDTH=$(sed -n 's/.*bridge fixed(\([0-9]*\), *\([0-9]*\)).*/\1/p' examples/$T.nt) -DNT_FIXED_FRAC=0" ;; esac
    printf '#define NT_TYPE %s\n#include "%s.c"\n#include "%s/tests/formats/value_driver.c"\n' "$T" "$T" "$(pwd)" >"$G/driver.c"
    if ! gcc $STRICT $OPT $extra -I"$G" "$G/driver.c" -o "$G/driver" >"$B/log.$T.cc" 2>&1; then
        fail=$((fail + 1)); echo "FAIL $T: value driver does not build"; head -n 20 "$B/log.$T.cc"; return 1
    fi
    pass=$((pass + 1))
    counted "$T bridge" "$G/driver" bridge
    counted "$T fp32" "$G/driver" fp32
    counted "$T roundtrip" "$G/driver" roundtrip
    return 0
}

# ---- floats against ml_dtypes / numpy
for pair in fp8_e4m3fn:float8_e4m3fn fp8_e5m2:float8_e5m2 fp6_e2m3:float6_e2m3fn fp6_e3m2:float6_e3m2fn \
            fp4_e2m1:float4_e2m1fn bfloat16:bfloat16 float16:float16; do
    T=${pair%%:*}
    ref=${pair#*:}
    build "$T" || continue
    if [ -n "$why_py" ]; then
        skipped "$T against $ref: $why_py"
    else
        counted "$T oracle" "$PY" tests/formats/oracle.py "$T" "$B/$T/driver" "$ref"
    fi
    case $T in fp6_* | fp4_*) counted "$T nearest" "$B/$T/driver" nearest 100000 ;; esac
done

# ---- posits against SoftPosit
for p in posit8_0:8:0:all posit16_1:16:1:all posit16_2:16:2:all posit32_2:32:2:random; do
    IFS=: read -r T n es how <<EOP
$p
EOP
    build "$T" || continue
    if [ -n "$why_sp" ]; then
        skipped "$T against SoftPosit: $why_sp"
        continue
    fi
    printf '#define NT_TYPE %s\n#include "%s.c"\n#include "%s/tests/formats/posit_check.c"\n' "$T" "$T" "$(pwd)" >"$B/$T/posit_check.c"
    if ! gcc -std=c99 $OPT -DSP_N="$n" -DSP_ES="$es" -I"$B/$T" -I"$SP" "$B/$T/posit_check.c" "$SP/softposit.a" -lm \
        -o "$B/$T/posit_check" >"$B/log.$T.pc" 2>&1; then
        fail=$((fail + 1)); echo "FAIL $T: posit_check does not build"; head -n 20 "$B/log.$T.pc"; continue
    fi
    if [ "$how" = all ]; then
        counted "$T SoftPosit" "$B/$T/posit_check" all
    else
        counted "$T SoftPosit" "$B/$T/posit_check" random 1000000
    fi
done

# ---- ints, ternary, binary, the custom types: brute force (their rules are ours: nearest, saturate)
for nt in examples/int8.nt examples/int4.nt examples/ternary.nt examples/binary.nt examples/wq*.nt; do
    [ -f "$nt" ] || continue
    T=$(basename "$nt" .nt)
    build "$T" || continue
    counted "$T nearest" "$B/$T/driver" nearest 100000
    case $T in
    int8 | int4) counted "$T int" "$B/$T/driver" int; counted "$T fixed" "$B/$T/driver" fixed ;;
    ternary | binary) counted "$T fixed" "$B/$T/driver" fixed ;;
    esac
done

echo "formats: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
