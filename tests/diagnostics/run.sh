#!/bin/sh
# run.sh NTC: the diagnostics tests. For every NAME.nt here, runs `NTC NAME.nt --check` from this
# directory and compares its stderr with NAME.expected, byte for byte, and its exit status with 1
# (NAME.expected not empty: a malformed input) or 0 (NAME.expected empty: a valid one).
# Prints one line per failure, then "diagnostics: N passed, N failed"; exits 1 if any failed.
ntc=${1:?usage: sh run.sh PATH/TO/ntc}
case $ntc in
*/*) dir=$(cd "$(dirname "$ntc")" 2>/dev/null && pwd) && ntc=$dir/$(basename "$ntc") ;;
esac
if ! command -v "$ntc" >/dev/null 2>&1; then
    echo "run.sh: no executable '$1' (build it with 'make')" >&2
    exit 2
fi
cd "$(dirname "$0")" || exit 2
out=$(mktemp) || exit 2
trap 'rm -f "$out"' EXIT INT TERM

passed=0 failed=0
for nt in *.nt; do
    name=${nt%.nt}
    if [ ! -f "$name.expected" ]; then
        echo "FAIL $nt: no $name.expected"
        failed=$((failed + 1))
        continue
    fi
    "$ntc" "$nt" --check >/dev/null 2>"$out"
    status=$?
    if [ -s "$name.expected" ]; then want=1; else want=0; fi
    if [ "$status" -ne "$want" ]; then
        echo "FAIL $nt: exit status $status, expected $want"
        failed=$((failed + 1))
    elif ! cmp -s "$out" "$name.expected"; then
        where=$(cmp "$name.expected" "$out" 2>&1 | sed -n 's/.*\(line [0-9]*\).*/\1/p; s/.*EOF on \([^ ]*\).*/end of \1/p')
        echo "FAIL $nt: stderr differs from $name.expected (${where:-see diff})"
        failed=$((failed + 1))
    else
        passed=$((passed + 1))
    fi
done
echo "diagnostics: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
