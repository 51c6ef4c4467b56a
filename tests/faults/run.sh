#!/bin/sh
# tests/faults/run.sh SHARED — fault sweeps and absurd requests, run from the repository root
# (tests/run.sh does). Every program here is built with ASan and UBSan; a crash, a sanitizer report
# or a hang fails. Ends with "faults: N passed, N failed, N skipped".
#
# - container_sweep.c: every single-bit flip and every truncation of a small container (three
#   coded tensors, from small.py; and one packed with --fast-decode, a bf16_pairs stream shared
#   by two tensors), unpacked in process, whole and with --tensor: the original bytes or an error
#   naming the tensor, the header segment, the index or the tail.
# - stream_sweep.c: every truncation and bit flip of bare streams of a few generated types
#   (static tANS with escapes, adaptive tANS, rANS, a code table, 32-bit words, an absurd block).
# - absurd requests, each refused with its own message before any large allocation (ntc runs
#   under a 2 GiB address-space limit, or with ASan's allocation limit in a sanitized build):
#   a container claiming a tensor of 2^40 elements, an index of 1 GiB, 2^40 segments; safetensors
#   files whose data offsets or header length point past the end (pack, stats, --fit and
#   --vectors-from, which does not read such a file as raw words); a stream claiming 2^40 words;
#   a type source that never ends (/dev/zero), for ntc and for pack --type.
#   (A .nt asking for table_log 30 is a diagnostics golden: tests/diagnostics/absurd_sizes.nt.)
set -u
SHARED=${1:-../shared}
DATA=$SHARED/data
BD=${NTC_BUILD:-build}
NTC=$(pwd)/$BD/ntc
W=$BD/test/faults
rm -rf "$W"
mkdir -p "$W"
ASAN="-std=c99 -D_POSIX_C_SOURCE=200809L -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
# any single allocation above 64 MiB aborts the sweep programs
SWEEP_ASAN_OPTIONS="allocator_may_return_null=0:max_allocation_size_mb=64"

pass=0
fail=0
skip=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
# counted NAME CMD...: CMD prints PASS/FAIL lines (each a test, shown); a failing CMD with no FAIL
# line is one failure.
counted() {
    name=$1
    shift
    log="$W/log.$(echo "$name" | tr -c 'A-Za-z0-9_.-' '_')"
    ASAN_OPTIONS=$SWEEP_ASAN_OPTIONS "$@" >"$log" 2>&1
    rc=$?
    p=$(grep -c '^PASS' "$log")
    f=$(grep -c '^FAIL' "$log")
    pass=$((pass + p))
    fail=$((fail + f))
    grep -E '^(PASS|FAIL)|total:|^container:' "$log" | sed "s|^|$name: |"
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then bad "$name (exit $rc)"; tail -n 15 "$log" | sed 's/^/    /'; fi
}
# limited CMD...: runs ntc with the memory limit of this suite
limited() {
    if [ "${SANITIZE:-}" = 1 ]; then
        ASAN_OPTIONS="allocator_may_return_null=0:max_allocation_size_mb=256" "$@"
    else
        (ulimit -v 2097152 && "$@")
    fi
}
# refused NAME PATTERN CMD...: CMD (under the limit) exits 1 and says PATTERN (grep -E) on stderr
refused() {
    name=$1
    pat=$2
    shift 2
    log="$W/log.$(echo "$name" | tr -c 'A-Za-z0-9_.-' '_')"
    limited "$@" >"$log.out" 2>"$log"
    rc=$?
    if [ "$rc" -eq 1 ] && grep -Eq -- "$pat" "$log"; then
        ok
    else
        bad "$name (exit $rc, wanted 1 and /$pat/)"
        head -n 5 "$log" | sed 's/^/    /'
    fi
}

# ------------------------------------------------------------------ the container
python3 tests/faults/small.py "$W/small.safetensors" || bad "small.py"
LIBSRC="compiler/diag.c compiler/sema.c compiler/emit_c.c compiler/emit_value.c $BD/lexer.c $BD/parser.c
        runtime/nt_tensor_file.c runtime/nt_pairs.c $(ls $BD/pairs/*.c)"
LIBOBJ=
for src in $LIBSRC; do
    o=$W/$(basename "$src" .c).o
    # shellcheck disable=SC2086
    gcc $ASAN -w -Icompiler -Iruntime -I"$BD" -c "$src" -o "$o" || bad "build $src"
    LIBOBJ="$LIBOBJ $o"
done
# shellcheck disable=SC2086
if gcc $ASAN -Wall -Wextra -Icompiler -Iruntime -I"$BD" tests/faults/container_sweep.c $LIBOBJ \
    -o "$W/container_sweep" -lm -lxxhash -lzstd -lpthread; then
    counted "container" "$W/container_sweep" "$W/small.safetensors"
    python3 tests/faults/small.py "$W/small_pairs.safetensors" --pairs || bad "small.py --pairs"
    counted "container --fast-decode" "$W/container_sweep" "$W/small_pairs.safetensors" --fast-decode
else
    bad "container_sweep does not build"
fi

# ------------------------------------------------------------------ bare streams
# static tANS needs data to fit: the real weights, else synthetic ones
fitdata=$DATA/stories260K-bf16.safetensors
if [ ! -f "$fitdata" ]; then
    cc -O2 -std=c99 -D_POSIX_C_SOURCE=200809L tests/tools/synth.c -o "$W/synth" -lm
    fitdata=$W/synthetic-bf16.safetensors
    "$W/synth" "$fitdata" BF16 4096
fi
for nt in examples/bf16_lossless.nt examples/bf16_adaptive.nt examples/fp32_lossless.nt tests/codec/types/bf16_rans.nt \
    tests/codec/types/u12_table.nt tests/faults/huge_block.nt; do
    T=$(basename "$nt" .nt)
    G=$W/gen/$T
    fit=
    if grep -Eq '^[[:space:]]*model[[:space:]]+static[[:space:]]*;' "$nt"; then fit="--fit $fitdata"; fi
    # shellcheck disable=SC2086
    if ! "$NTC" "$nt" $fit -o "$G" >"$W/log.$T.ntc" 2>&1; then
        bad "stream $T: ntc"
        continue
    fi
    printf '#define NT_TYPE %s\n#include "%s.c"\n#include "%s/tests/faults/stream_sweep.c"\n' "$T" "$T" "$(pwd)" \
        >"$G/sweep.c"
    # shellcheck disable=SC2086
    if gcc $ASAN -Wall -Wextra -I"$G" "$G/sweep.c" -o "$G/sweep"; then
        counted "stream $T" "$G/sweep"
    else
        bad "stream $T: sweep does not build"
    fi
done

# ------------------------------------------------------------------ absurd requests
"$NTC" pack "$W/small.safetensors" -o "$W/small.ntz" -j 1 || bad "pack small.safetensors"
mkdir -p "$W/absurd"
# shellcheck disable=SC2086
if gcc $ASAN -Wall -Wextra -Iruntime tests/faults/absurd.c runtime/nt_tensor_file.c -o "$W/absurd_gen" \
    -lxxhash -lzstd -lpthread -lm && ASAN_OPTIONS=$SWEEP_ASAN_OPTIONS "$W/absurd_gen" "$W/small.ntz" "$W/absurd" >/dev/null; then
    for mode in whole one; do
        if [ $mode = whole ]; then opt="-o $W/absurd/out"; else opt="--tensor w.bf16 -o $W/absurd/one"; fi
        # shellcheck disable=SC2086
        refused "container claiming a tensor of 2^40 elements ($mode)" "'w.bf16': 2199023255552 bytes, more than a part" \
            "$NTC" unpack "$W/absurd/elements.ntz" $opt
        # shellcheck disable=SC2086
        refused "container claiming an index of 1 GiB ($mode)" "corrupt container index \\(size\\)" \
            "$NTC" unpack "$W/absurd/index.ntz" $opt
        # shellcheck disable=SC2086
        refused "container claiming 2^40 segments ($mode)" "corrupt container index \\(counts\\)" \
            "$NTC" unpack "$W/absurd/segments.ntz" $opt
    done
    if [ ! -e "$W/absurd/out" ] && [ ! -e "$W/absurd/one" ] && ! ls -a "$W/absurd" | grep -q '\.ntc-'; then ok; else
        bad "a refused container left files behind"
    fi
else
    bad "absurd.c does not build or run"
fi
# safetensors: a tensor of 2^40 BF16 words whose data offsets run past the end of a small file;
# a header length of 2^40
python3 -c '
import json, struct, sys
h = json.dumps({"big": {"dtype": "BF16", "shape": [1 << 40], "data_offsets": [0, 1 << 41]}}).encode()
open(sys.argv[1], "wb").write(struct.pack("<Q", len(h)) + h + bytes(64))
open(sys.argv[2], "wb").write(struct.pack("<Q", 1 << 40) + b"{}" + bytes(64))' "$W/past.safetensors" "$W/hlen.safetensors"
for cmd in pack stats fit vectors; do
    for f in past hlen; do
        if [ $f = past ]; then pat="tensor \"big\": data_offsets end 2199023255552 is past the end of the data area"; else
            pat="header length 1099511627776 exceeds file size"; fi
        case $cmd in
        pack) refused "ntc pack, safetensors $f the end of the file" "$pat" "$NTC" pack "$W/$f.safetensors" -o "$W/$f.ntz" ;;
        stats) refused "ntc stats, safetensors $f the end of the file" "$pat" "$NTC" stats "$W/$f.safetensors" ;;
        fit) refused "ntc --fit, safetensors $f the end of the file" "$pat" \
            "$NTC" examples/bf16_lossless.nt --fit "$W/$f.safetensors" -o "$W/fit.$f" ;;
        vectors) refused "ntc --vectors-from, safetensors $f the end of the file (not read as raw words)" \
            "--vectors-from: .*$pat" "$NTC" examples/bf16_adaptive.nt --emit vectors \
            --vectors-from "$W/$f.safetensors" -o "$W/vectors.$f" ;;
        esac
    done
done
# a source that never ends: refused at the size limit, not read until memory runs out
refused "ntc /dev/zero" "'/dev/zero' is larger than 67108864 bytes" "$NTC" /dev/zero --check
refused "ntc pack --type /dev/zero" "'/dev/zero' is larger than 1048576 bytes" \
    "$NTC" pack "$W/small.safetensors" --type /dev/zero -o "$W/zero.ntz"

echo
echo "faults: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
