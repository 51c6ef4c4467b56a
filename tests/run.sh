#!/bin/sh
# run.sh SHARED [SANITIZE] — every test of ntc, run from the repository root by `make test`.
# NTC_BUILD is the build folder (build; build/san for `make test SANITIZE=1`, where ntc is built
# with ASan and UBSan and so is every test program here and in the sub-suites).
#
# Each check prints one line when it fails (and PASS lines from the codec tests); the run ends
# with "N passed, N failed, N skipped" and exits non-zero when anything failed. Tests that need
# the real weights in SHARED/data say so and count as skipped when the folder is missing.
set -u
SHARED=${1:-../shared}
SANITIZE=${2:-}
DATA=$SHARED/data
NTC_BUILD=${NTC_BUILD:-build}
NTC=$NTC_BUILD/ntc
B=$NTC_BUILD/test
CC=${CC:-cc}
STRICT="-std=c99 -Wall -Wextra -Werror -pedantic"
ASAN="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
# OPT: how test programs that are not already sanitized are built
OPT=-O2
OPTNAME=-O2
if [ "$SANITIZE" = 1 ]; then OPT=$ASAN OPTNAME="second build, ASan, UBSan"; fi
export NTC_BUILD SANITIZE
rm -rf "$B"
mkdir -p "$B"

pass=0
fail=0
skip=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
skipped() { skip=$((skip + 1)); echo "SKIP: $*"; }
section() { echo "== $*"; }

# check NAME CMD...: one test, passes when CMD exits 0 (its output goes to a log).
check() {
    name=$1
    shift
    log="$B/log.$(echo "$name" | tr -c 'A-Za-z0-9_.-' '_')"
    if "$@" >"$log" 2>&1; then ok; else bad "$name"; tail -n 15 "$log" | sed 's/^/    /'; fi
}

# counted NAME CMD...: CMD prints PASS/FAIL lines, each one a test; a failing CMD with no FAIL
# line counts as one failure.
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
    grep -E '^(PASS|FAIL)' "$log" | sed "s|^|  $name: |"
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then bad "$name (exit $rc)"; tail -n 15 "$log" | sed 's/^/    /'; fi
}

# summary NAME CMD...: CMD ends with "NAME: N passed, N failed[, N skipped]" (a sub-suite).
summary() {
    name=$1
    shift
    log="$B/log.$name"
    "$@" >"$log" 2>&1
    rc=$?
    line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        bad "$name: no summary (exit $rc)"
        tail -n 15 "$log" | sed 's/^/    /'
        return
    fi
    p=$(echo "$line" | sed -E 's/.* ([0-9]+) passed.*/\1/')
    f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
    s=$(echo "$line" | sed -nE 's/.* ([0-9]+) skipped.*/\1/p')
    pass=$((pass + p))
    fail=$((fail + f))
    skip=$((skip + ${s:-0}))
    grep -E '^(FAIL|SKIP)|missing' "$log" | head -n 20 | sed "s|^|  $name: |"
    echo "  $line"
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then bad "$name (exit $rc)"; fi
}

# ------------------------------------------------------------------ the command line
section "command line"
check "--version" sh -c "$NTC --version | grep -Eq '^ntc [0-9]+\.[0-9]+\.[0-9]+$'"
check "--help" sh -c "$NTC --help | grep -q '^usage: ntc'"
check "no input: exit 2" sh -c "$NTC >/dev/null 2>&1; test \$? -eq 2"
check "unknown option: exit 2" sh -c "$NTC --bogus examples/bf16_lossless.nt >/dev/null 2>&1; test \$? -eq 2"
check "missing file: exit 1 and a message" sh -c \
    "$NTC /nonexistent.nt 2>$B/err; test \$? -eq 1 && grep -q \"cannot open '/nonexistent.nt'\" $B/err"
check "static model without counts: exit 1" sh -c "$NTC examples/bf16_lossless.nt -o $B/x >/dev/null 2>&1; test \$? -eq 1"
check "bad --fit file: exit 1" sh -c "$NTC examples/bf16_lossless.nt --fit /nonexistent -o $B/x >/dev/null 2>&1; test \$? -eq 1"
check "man page" sh -c "test -s doc/ntc.1 && grep -q '^.TH NTC 1' doc/ntc.1"

# ------------------------------------------------------------------ the front end
section "diagnostics"
summary diagnostics sh tests/diagnostics/run.sh "$(pwd)/$NTC"

# ------------------------------------------------------------------ the file readers
section "readers"
summary readers sh tests/readers/run.sh "$(pwd)" "$DATA"

# ------------------------------------------------------------------ data for fitting and checking
# Real weights where present; otherwise deterministic synthetic tensors, labelled as such.
$CC $OPT -std=c99 -D_POSIX_C_SOURCE=200809L tests/tools/synth.c -o $B/synth -lm || bad "synth tool"
for dt in BF16 F16 F32; do $B/synth "$B/synthetic-$dt.safetensors" $dt 65536; done
data_for() { # data_for EXAMPLE -> the real file its words come from, else ""
    case "$1" in
    bf16_*) f=$DATA/stories260K-bf16.safetensors ;;
    fp16_*) f=$DATA/nanodet-m-f16.safetensors ;;
    fp32_*) f=$DATA/stories260K-f32.safetensors ;;
    *) f= ;;
    esac
    if [ -n "$f" ] && [ -f "$f" ]; then echo "$f"; fi
}
synthetic_for() {
    case "$1" in
    bf16_*) echo "$B/synthetic-BF16.safetensors" ;;
    fp16_*) echo "$B/synthetic-F16.safetensors" ;;
    *) echo "$B/synthetic-F32.safetensors" ;;
    esac
}

# ------------------------------------------------------------------ every example, and the test types
# (tests/codec/types: the rANS coder, code tables, blocks, odd lane counts, inline static models)
for nt in examples/*.nt tests/codec/types/*.nt; do
    T=$(basename "$nt" .nt)
    section "example $T"
    real=$(data_for "$T")
    data=${real:-$(synthetic_for "$T")}
    case "$T" in bf16_* | fp16_* | fp32_*) ;; *) data= ;; esac
    fit=
    if grep -Eq '^[[:space:]]*model[[:space:]]+static[[:space:]]*;' "$nt"; then fit="--fit ${data:-none}"; fi
    G=$B/gen/$T
    check "$T: compiles" $NTC "$nt" $fit -o "$G"
    [ -f "$G/$T.c" ] || continue
    check "$T: output is deterministic" sh -c "$NTC $nt $fit -o $G.again && cmp $G/$T.c $G.again/$T.c && cmp $G/$T.h $G.again/$T.h"
    check "$T: generated C, gcc $STRICT" gcc $STRICT -O2 -c "$G/$T.c" -o "$G/$T.gcc.o"
    if command -v clang >/dev/null 2>&1; then
        check "$T: generated C, clang $STRICT" clang $STRICT -O2 -c "$G/$T.c" -o "$G/$T.clang.o"
    else
        skipped "$T: clang not installed"
    fi
    check "$T: header compiles on its own" sh -c "printf '#include \"$T.h\"\nint main(void){return 0;}\n' > $G/hdr.c && gcc $STRICT -I$G $G/hdr.c -o $G/hdr"
    printf '#define NT_TYPE %s\n#include "%s.c"\n#include "%s/tests/codec/codec_test.c"\n' "$T" "$T" "$(pwd)" > "$G/codec_test_main.c"
    TESTSRC="$G/codec_test_main.c runtime/nt_tensor_file.c -D_POSIX_C_SOURCE=200809L -Iruntime -I$G -lm"
    check "$T: codec test builds (ASan, UBSan)" gcc $STRICT $ASAN $TESTSRC -o "$G/codec_test_asan"
    check "$T: codec test builds ($OPTNAME)" gcc $STRICT $OPT $TESTSRC -o "$G/codec_test"
    [ -x "$G/codec_test_asan" ] && [ -x "$G/codec_test" ] || continue
    counted "$T exhaustive" "$G/codec_test_asan" exhaustive
    counted "$T random" "$G/codec_test_asan" random 200000
    counted "$T faults" "$G/codec_test_asan" faults 1500
    if [ -n "$real" ]; then
        if [ "$T" = bf16_adaptive ]; then
            # the per-tensor scheme on real weights: within 0.5 % of the bound, ratio >= 1.49
            counted "$T on $(basename "$real")" "$G/codec_test" file "$real" 0.5 1.49
        else
            counted "$T on $(basename "$real")" "$G/codec_test" file "$real"
        fi
    elif [ -n "$data" ]; then
        skipped "$T on real weights: $DATA missing (checked on synthetic data instead)"
        counted "$T on synthetic data" "$G/codec_test" file "$data"
    fi
done

# ------------------------------------------------------------------ split and join from tables
# (what pack --type and quantize run once a word) against the IR's, on every type above
section "split and join from tables"
WM_OBJS=$(find "$NTC_BUILD/obj" -name '*.o' ! -name 'main.o' ! -name 'cmd_pack_stage0.o' | sort)
if $CC $STRICT $OPT -D_POSIX_C_SOURCE=200809L -Icompiler -Iruntime -I"$NTC_BUILD" tests/tools/word_map_check.c $WM_OBJS \
    -o "$B/word_map_check" -lm -lxxhash -lzstd -lpthread; then
    summary word_map "$B/word_map_check" examples/*.nt tests/codec/types/*.nt
else
    bad "word_map_check builds"
fi

# ------------------------------------------------------------------ value types against outside references
section "formats"
summary formats sh tests/formats/run.sh "$SHARED"

# ------------------------------------------------------------------ the RTL decoders (Verilator, Icarus, Yosys)
section "rtl"
summary rtl sh tests/rtl/run.sh "$SHARED"
summary bridge sh tests/rtl/bridge_sweep.sh

# ------------------------------------------------------------------ a decoder in a design: the matrix-vector engine, the token factory
section "accelerator"
summary accelerator sh examples/accelerator/run.sh "$SHARED" "$B/accel"
summary token_factory sh examples/token_factory/run.sh "$SHARED" "$B/factory"

# ------------------------------------------------------------------ bf16_pairs, f16_pairs (pack --fast-decode's codecs)
section "bf16_pairs"
PAIRS_FILES=
[ -f "$DATA/stories260K-bf16.safetensors" ] && PAIRS_FILES="$DATA/stories260K-bf16.safetensors"
[ -f "$DATA/nanodet-m-f16.safetensors" ] && PAIRS_FILES="$PAIRS_FILES $DATA/nanodet-m-f16.safetensors"
if $CC $STRICT $OPT -D_POSIX_C_SOURCE=200809L -Iruntime tests/tools/pairs_check.c runtime/nt_pairs.c \
    -o "$B/pairs_check" -lm; then
    summary pairs "$B/pairs_check" $PAIRS_FILES
else
    bad "pairs_check builds"
fi

# ------------------------------------------------------------------ whole checkpoints: pack, unpack, stats
section "container"
summary container sh tests/container/run.sh "$SHARED"

# ------------------------------------------------------------------ fault sweeps and absurd requests
section "faults"
summary faults sh tests/faults/run.sh "$SHARED"
grep -E 'container (bit flips|truncations)|total:' "$B/log.faults" | sed 's/^/  /'

# ------------------------------------------------------------------ fuzzing, briefly (make fuzz for longer)
section "fuzz"
summary fuzz sh tests/fuzz/run.sh "${FUZZ_SECONDS:-5}" "$SHARED"

echo
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
