#!/bin/sh
# run.sh — builds and runs the tensor-file reader tests (runtime/nt_tensor_file.c) under
# AddressSanitizer and UBSan, twice: as shipped (mmap) and with -DNT_TENSOR_FILE_CHECKED, where
# the file and each header sit in exact-size malloc buffers so ASan sees any over-read. Then it
# cross-checks the reader's listing of each real safetensors file against Python's own parse of
# the JSON header (when python3 is present).
#   tests/readers/run.sh REPO_ROOT [SHARED_DATA_DIR]
# Prints one line per failure and "readers: N passed, N failed[, N skipped]"; exits non-zero on failure.
root=${1:-.}
data=${2:-}
cc=${CC:-cc}
out=$(mktemp -d "${TMPDIR:-/tmp}/ntc-readers-run.XXXXXX") || exit 2
trap 'rm -rf "$out"' EXIT
trap 'exit 1' INT TERM
pass=0 fail=0 skip=0
have_data=0
if [ -n "$data" ] && [ -d "$data" ]; then have_data=1; fi

# A compiler whose sanitizer runtime is not installed (e.g. clang without compiler-rt) still
# runs the tests, without sanitizers, and says so.
san="-fsanitize=address,undefined -fno-sanitize-recover=all"
echo 'int main(void) { return 0; }' >"$out/probe.c"
if ! $cc $san "$out/probe.c" -o "$out/probe" >/dev/null 2>&1; then
    echo "readers: note: $cc cannot link the sanitizers; testing without them"
    san=""
fi

# build NAME EXTRA_FLAGS: 0 if built, else counts a failure.
build() {
    if $cc -std=c99 -Wall -Wextra -Werror -pedantic $san $2 -g -O1 -I"$root/runtime" \
            "$root/tests/readers/test_readers.c" "$root/runtime/nt_tensor_file.c" \
            -o "$out/$1" 2>"$out/cc.log"; then
        return 0
    fi
    sed 's/^/readers: /' "$out/cc.log"
    echo "readers: FAIL build $1"
    fail=$((fail + 1))
    return 1
}

# run NAME: runs the test program and adds its counts.
run() {
    # TMPDIR inside $out: files of a crashed run are removed with it.
    if [ "$have_data" = 1 ]; then
        TMPDIR="$out" "$out/$1" "$data" >"$out/log" 2>&1
    else
        TMPDIR="$out" "$out/$1" >"$out/log" 2>&1
    fi
    rc=$?
    summary=$(grep '^readers: [0-9]* passed' "$out/log" | tail -n 1)
    grep '^readers: ' "$out/log" | grep -v '^readers: [0-9]* passed' | grep -v '^readers: shared data missing'
    p=$(echo "$summary" | sed -n 's/^readers: \([0-9]*\) passed.*/\1/p')
    f=$(echo "$summary" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
    s=$(echo "$summary" | sed -n 's/.* \([0-9]*\) skipped.*/\1/p')
    pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0})); skip=$((skip + ${s:-0}))
    if [ -z "$summary" ] || { [ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ]; }; then
        why=$(grep -m 1 -E 'ERROR: |runtime error|Segmentation|Assertion' "$out/log" | cut -c 1-200)
        echo "readers: FAIL $1 exited with status $rc: ${why:-no summary line}"
        fail=$((fail + 1))
    fi
}

if build test_readers ""; then run test_readers; fi
if build test_readers_checked "-DNT_TENSOR_FILE_CHECKED"; then run test_readers_checked; fi

# Independent check: the reader's listing must equal the JSON header as Python parses it.
files="stories260K-bf16.safetensors stories260K-f32.safetensors nanodet-m-f16.safetensors"
if [ "$have_data" = 1 ] && [ -x "$out/test_readers" ] && command -v python3 >/dev/null 2>&1; then
    for f in $files; do
        "$out/test_readers" --dump "$data/$f" >"$out/c.txt" 2>&1
        python3 - "$data/$f" >"$out/py.txt" 2>&1 <<'PY'
import json, struct, sys
b = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', b[:8])[0]
h = json.loads(b[8:8 + n])
rows = sorted((v['data_offsets'][0], v['data_offsets'][1], k, v) for k, v in h.items() if k != '__metadata__')
for b0, e0, k, v in rows:
    print('%s\t%s\t%s\t%d\t%d' % (k, v['dtype'], ','.join(str(d) for d in v['shape']), b0, e0))
PY
        if cmp -s "$out/c.txt" "$out/py.txt"; then
            pass=$((pass + 1))
        else
            echo "readers: FAIL $f: listing differs from python's JSON parse"
            fail=$((fail + 1))
        fi
    done
elif [ "$have_data" = 1 ]; then
    echo "readers: python3 or the test build missing, 3 JSON cross-checks skipped"
    skip=$((skip + 3))
else
    skip=$((skip + 3))
    echo "readers: shared data missing, $skip skipped"
fi

if [ "$skip" -gt 0 ]; then
    echo "readers: $pass passed, $fail failed, $skip skipped"
else
    echo "readers: $pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
