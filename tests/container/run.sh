#!/bin/sh
# tests/container/run.sh SHARED — ntc pack / unpack / stats and the .ntz container
# (spec/container.md). Run from the repository root; ends with
# "container: N passed, N failed, N skipped".
#
# Round trips (byte for byte) of every real file in SHARED/data and of synthetic checkpoints
# (tests/container/gen.py: every dtype, misaligned data, gaps, a tensor coded in parts, special
# float words, .npy, a sharded directory); deterministic output for any -j; --tensor; corrupted,
# truncated and foreign containers rejected with the broken tensor named; no half-written target
# ever left behind; stats and its HTML report; the command line.
set -u
SHARED=${1:-../shared}
DATA=$SHARED/data
NTC=$(pwd)/${NTC_BUILD:-build}/ntc
T=${NTC_BUILD:-build}/test/container
rm -rf "$T"
mkdir -p "$T"

pass=0
fail=0
skip=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
skipped() { skip=$((skip + 1)); echo "SKIP: $*"; }
# check NAME CMD...: passes when CMD exits 0 (output kept in a log, shown on failure)
check() {
    name=$1
    shift
    log="$T/log.$(echo "$name" | tr -c 'A-Za-z0-9_.-' '_')"
    if "$@" >"$log" 2>&1; then ok; else bad "$name"; tail -n 8 "$log" | sed 's/^/    /'; fi
}
# fails_with NAME PATTERN CMD...: CMD must exit 1 and print PATTERN (grep -E) on stderr
fails_with() {
    name=$1
    pat=$2
    shift 2
    log="$T/log.$(echo "$name" | tr -c 'A-Za-z0-9_.-' '_')"
    "$@" >"$log.out" 2>"$log"
    rc=$?
    if [ "$rc" -eq 1 ] && grep -Eq -- "$pat" "$log"; then
        ok
    else
        bad "$name (exit $rc, wanted 1 and /$pat/)"
        sed 's/^/    /' "$log" | head -n 5
    fi
}
# no_leftovers DIR: no temporary file of ntc is left in DIR
no_leftovers() { ! ls -a "$1" | grep -q '\.ntc-'; }

# flip FILE OFFSET: xor one byte
flip() { python3 -c "
import sys
p, o = sys.argv[1], int(sys.argv[2])
b = bytearray(open(p, 'rb').read()); b[o] ^= 0x5a; open(p, 'wb').write(b)" "$1" "$2"; }
# field FILE.ntz NAME COLUMN: a column of the --list line of tensor NAME (first part)
field() { "$NTC" unpack "$1" --list | awk -F'\t' -v n="$2" -v c="$3" '$3 == n { print $c; exit }'; }

python3 tests/container/gen.py "$T/syn" || { echo "container: 0 passed, 1 failed"; exit 1; }
S=$T/syn

# ------------------------------------------------------------------ round trips
roundtrip() { # roundtrip NAME INPUT [PACK OPTIONS...]
    name=$1
    in=$2
    shift 2
    out=$T/rt.$(basename "$in")
    check "$name: pack, unpack, byte-identical" sh -c \
        "'$NTC' pack '$in' -o '$out.ntz' $* && '$NTC' unpack '$out.ntz' -o '$out.out' && cmp '$in' '$out.out'"
}
for f in stories260K-bf16.safetensors stories260K-f32.safetensors nanodet-m-f16.safetensors nanodet-m.bin \
    nanodet-m.param stories260K.bin; do
    if [ -f "$DATA/$f" ]; then
        roundtrip "real $f" "$DATA/$f"
    else
        skipped "real $f: $DATA missing"
    fi
done
if [ -f "$DATA/stories260K-bf16.safetensors" ]; then
    # coded, not stored: the ratio of the per-tensor scheme on real bf16 weights
    check "real stories260K-bf16: ratio >= 1.50" python3 -c "
import os, sys
a = os.path.getsize('$DATA/stories260K-bf16.safetensors'); b = os.path.getsize('$T/rt.stories260K-bf16.safetensors.ntz')
print(a / b); sys.exit(0 if a / b >= 1.50 else 1)"
fi
if [ -f "$DATA/stories260K-bf16.safetensors" ]; then
    # small tensors of one dtype share a stream (codec 7: the words continue the head's stream)
    G=$T/rt.stories260K-bf16.safetensors.ntz
    check "real stories260K-bf16: small tensors share streams (at least 20 group members)" sh -c \
        "test \$('$NTC' unpack '$G' --list | awk -F'\t' '\$5 == 7' | wc -l) -ge 20"
    member=$("$NTC" unpack "$G" --list | awk -F'\t' '$5 == 7 { m = $3 } END { print m }')
    python3 -c "
import sys
o, l = int(sys.argv[2]), int(sys.argv[3])
open(sys.argv[4], 'wb').write(open(sys.argv[1], 'rb').read()[o:o + l])" "$DATA/stories260K-bf16.safetensors" \
        "$(field "$G" "$member" 7)" "$(field "$G" "$member" 8)" "$T/want.member"
    check "--tensor of a group member ($member): exactly its bytes" sh -c \
        "'$NTC' unpack '$G' --tensor '$member' -o '$T/got.member' && cmp '$T/want.member' '$T/got.member'"
    check "groups: the same container for -j 1 and -j 3" sh -c \
        "'$NTC' pack '$DATA/stories260K-bf16.safetensors' -o '$T/g1.ntz' -j 1 &&
         '$NTC' pack '$DATA/stories260K-bf16.safetensors' -o '$T/g3.ntz' -j 3 && cmp '$T/g1.ntz' '$T/g3.ntz' && cmp '$T/g1.ntz' '$G'"
fi
for f in mixed aligned big special; do
    roundtrip "synthetic $f" "$S/$f.safetensors"
done
roundtrip "synthetic .npy" "$S/weights.npy"
check "the tensor larger than a part is coded in two parts" sh -c \
    "'$NTC' unpack '$T/rt.big.safetensors.ntz' --list | awk -F'\t' '\$3 == \"big.weight\" && \$5 == 2' | grep -c . | grep -qx 2"
check "misaligned bf16/f16/f32 tensors are coded" sh -c \
    "'$NTC' unpack '$T/rt.mixed.safetensors.ntz' --list | awk -F'\t' '\$4 ~ /^(BF16|F16|F32)\$/ && \$5 != 0' | grep -q emb.weight"
check "sharded directory: pack, unpack, identical tree" sh -c \
    "'$NTC' pack '$S/shards' -o '$T/shards.ntz' && '$NTC' unpack '$T/shards.ntz' -o '$T/shards.out' && diff -r '$S/shards' '$T/shards.out'"
check "several files: unpacked into a directory" sh -c \
    "'$NTC' pack '$S/aligned.safetensors' '$S/special.safetensors' -o '$T/two.ntz' && '$NTC' unpack '$T/two.ntz' -o '$T/two.out' &&
     cmp '$S/aligned.safetensors' '$T/two.out/aligned.safetensors' && cmp '$S/special.safetensors' '$T/two.out/special.safetensors'"
check "12000 tensors (an index of more than 1 MiB): round trip" sh -c \
    "'$NTC' pack '$S/many.safetensors' -o '$T/many.ntz' && '$NTC' unpack '$T/many.ntz' -o '$T/many.out' &&
     cmp '$S/many.safetensors' '$T/many.out' && python3 -c \"
import struct, sys
b = open(sys.argv[1], 'rb').read()
sys.exit(0 if struct.unpack('<Q', b[-16:-8])[0] > 1 << 20 else 1)\" '$T/many.ntz'"
check "same container for -j 1, -j 2 and -j 3" sh -c \
    "'$NTC' pack '$S/big.safetensors' -o '$T/j1.ntz' -j 1 && '$NTC' pack '$S/big.safetensors' -o '$T/j2.ntz' -j 2 &&
     '$NTC' pack '$S/big.safetensors' -o '$T/j3.ntz' -j 3 && cmp '$T/j1.ntz' '$T/j2.ntz' && cmp '$T/j1.ntz' '$T/j3.ntz'"
check "unpack -j 1 and -j 2 agree" sh -c \
    "'$NTC' unpack '$T/j2.ntz' -o '$T/j2a.out' -j 1 && '$NTC' unpack '$T/j2.ntz' -o '$T/j2b.out' -j 2 && cmp '$T/j2a.out' '$T/j2b.out' && cmp '$T/j2a.out' '$S/big.safetensors'"
check "default output names (IN.ntz, and back)" sh -c \
    "cp '$S/aligned.safetensors' '$T/dflt.safetensors' && '$NTC' pack '$T/dflt.safetensors' && mv '$T/dflt.safetensors' '$T/dflt.orig' &&
     '$NTC' unpack '$T/dflt.safetensors.ntz' && cmp '$T/dflt.orig' '$T/dflt.safetensors'"
check "--type: a user type, carried in the container" sh -c \
    "'$NTC' pack '$S/mixed.safetensors' -o '$T/user.ntz' --type examples/bf16_exp_mant2.nt &&
     '$NTC' unpack '$T/user.ntz' --list | head -n 1 | grep -q 'with a user type' &&
     '$NTC' unpack '$T/user.ntz' --list | awk -F'\t' '\$3 == \"emb.weight\"' | cut -f5 | grep -qx 255 &&
     '$NTC' unpack '$T/user.ntz' -o '$T/user.out' && cmp '$S/mixed.safetensors' '$T/user.out'"
# pack --type runs its own instances for the shapes of the example types (16-bit words with 8, 6 or
# 9 raw bits, 32-bit words with 24; 4 lanes, tANS) and the generic coder for the rest (8 lanes,
# rANS); each codes at least one tensor of the file with the type (codec 255)
for ut in examples/bf16_adaptive.nt examples/fp16_lossless.nt examples/fp32_lossless.nt \
    tests/codec/types/bf16_lanes8.nt tests/codec/types/bf16_rans.nt; do
    un=$(basename "$ut" .nt)
    check "--type $un: byte-identical round trip" sh -c \
        "'$NTC' pack '$S/mixed.safetensors' -o '$T/user.$un.ntz' --type '$ut' &&
         '$NTC' unpack '$T/user.$un.ntz' --list | awk -F'\t' '\$5 == 255' | grep -q . &&
         '$NTC' unpack '$T/user.$un.ntz' -o '$T/user.$un.out' && cmp '$S/mixed.safetensors' '$T/user.$un.out' &&
         '$NTC' unpack '$T/user.$un.ntz' --check"
done

# flips_named WHAT F TENSOR AT...: byte AT of TENSOR's payload in container F flipped (in a copy):
# unpack --check fails and names the tensor
flips_named() {
    what=$1 fc=$2 tn=$3
    shift 3
    for at in "$@"; do
        cp "$fc" "$T/badfast.ntz"
        flip "$T/badfast.ntz" $(( $(field "$fc" "$tn" 9) + at ))
        fails_with "$what: flipped byte $at of $(field "$fc" "$tn" 10): rejected, named" "tensor '$tn'" \
            "$NTC" unpack "$T/badfast.ntz" --check
    done
}

# fast_real IN OUT CODEC COUNT RATIO: IN packed with --fast-decode into OUT unpacks byte for byte,
# with at least COUNT segments of codec CODEC and a ratio of at least RATIO
fast_real() {
    check "--fast-decode, real $(basename "$1" .safetensors): round trip, codec $3 on $4 or more streams, ratio >= $5" sh -c \
        "'$NTC' pack '$1' -o '$2' --fast-decode && '$NTC' unpack '$2' -o '$2.out' && cmp '$1' '$2.out' &&
         test \$('$NTC' unpack '$2' --list | awk -F'\t' '\$5 == $3' | wc -l) -ge $4 &&
         python3 -c \"import os, sys; sys.exit(0 if os.path.getsize(sys.argv[1]) * $5 <= os.path.getsize(sys.argv[2]) else 1)\" '$2' '$1'"
}

# --fast-decode: bf16_pairs (codec 8) for the BF16 tensors where it is at most 5 % larger; the
# real bf16 checkpoint keeps a ratio of 1.50 with it, and a flipped byte of such a stream is named
if [ -f "$DATA/stories260K-bf16.safetensors" ]; then
    F=$T/fast.stories.ntz
    fast_real "$DATA/stories260K-bf16.safetensors" "$F" 8 3 1.50
    fn=$("$NTC" unpack "$F" --list | awk -F'\t' '$5 == 8 { print $3; exit }')
    flips_named "--fast-decode, a bf16_pairs stream" "$F" "$fn" 0 2 1000
    check "--fast-decode: the same container for -j 1 and -j 3" sh -c \
        "'$NTC' pack '$DATA/stories260K-bf16.safetensors' -o '$T/f1.ntz' -j 1 --fast-decode &&
         '$NTC' pack '$DATA/stories260K-bf16.safetensors' -o '$T/f3.ntz' -j 3 --fast-decode && cmp '$T/f1.ntz' '$T/f3.ntz' && cmp '$T/f1.ntz' '$F'"
    check "--fast-decode: stats shows bf16_pairs' bound and codes with it" sh -c \
        "'$NTC' stats '$DATA/stories260K-bf16.safetensors' --fast-decode | grep -q 'bf16_pairs\$' &&
         '$NTC' stats '$DATA/stories260K-bf16.safetensors' | head -n 1 | grep -q bf16_pairs"
else
    skipped "--fast-decode on stories260K-bf16: $DATA missing"
fi
# F32 with --fast-decode: codec fp32_planes with the high halves in bf16_pairs (the payload's first
# byte, hi_codec, is 8, with bit 7 set for raw low planes); a flipped byte in the high halves'
# stream or in the low planes is named
if [ -f "$DATA/stories260K-f32.safetensors" ]; then
    F=$T/fast.f32.ntz
    fast_real "$DATA/stories260K-f32.safetensors" "$F" 5 5 1.196
    check "--fast-decode F32: fp32_planes over bf16_pairs with raw low planes (hi_codec 136) on 5 or more streams" sh -c \
        "test \$('$NTC' unpack '$F' --list | awk -F'\t' '\$5 == 5 { print \$9 }' |
                while read o; do od -An -tu1 -j \$o -N1 '$F'; done | awk '\$1 == 136' | wc -l) -ge 5"
    fn=$("$NTC" unpack "$F" --list | awk -F'\t' '$5 == 5 { print $3; exit }')
    ps=$(field "$F" "$fn" 10)
    flips_named "--fast-decode F32, an fp32_planes payload" "$F" "$fn" 12 $((ps / 2)) $((ps - 100))
else
    skipped "--fast-decode on stories260K-f32: $DATA missing"
fi
for f in mixed aligned big special; do
    check "--fast-decode, synthetic $f: pack, unpack, byte-identical" sh -c \
        "'$NTC' pack '$S/$f.safetensors' -o '$T/fast.$f.ntz' --fast-decode && '$NTC' unpack '$T/fast.$f.ntz' -o '$T/fast.$f.out' &&
         cmp '$S/$f.safetensors' '$T/fast.$f.out'"
done
check "--fast-decode, synthetic: a BF16 tensor coded with bf16_pairs" sh -c \
    "'$NTC' unpack '$T/fast.big.ntz' --list | awk -F'\t' '\$5 == 8' | grep -q ."
check "--fast-decode, synthetic: an F16 tensor coded with f16_pairs" sh -c \
    "'$NTC' unpack '$T/fast.mixed.ntz' --list | awk -F'\t' '\$4 == \"F16\" && \$5 == 9' | grep -q ."
# F16 with --fast-decode: f16_pairs (codec 9); a flipped byte of such a stream is named
if [ -f "$DATA/nanodet-m-f16.safetensors" ]; then
    F=$T/fast.f16.ntz
    fast_real "$DATA/nanodet-m-f16.safetensors" "$F" 9 20 1.15
    # (the largest of a tensor alone: a group's members follow their head, codec 7)
    fn=$("$NTC" unpack "$F" --list | awk -F'\t' '$4 == "F16" { if ($5 == 7) g[h] = 1; else if ($5 == 9) { h = $3; z[h] = $10 } }
        END { for (k in z) if (!g[k] && z[k] > m) { m = z[k]; n = k }; print n }')
    ps=$(field "$F" "$fn" 10)
    flips_named "--fast-decode F16, an f16_pairs stream" "$F" "$fn" 0 2 $((ps / 2)) $((ps - 3))
    check "--fast-decode F16: stats shows f16_pairs' bound" sh -c \
        "'$NTC' stats '$DATA/nanodet-m-f16.safetensors' --fast-decode | grep -q 'f16_pairs\$'"
else
    skipped "--fast-decode on nanodet-m-f16: $DATA missing"
fi

# ------------------------------------------------------------------ one tensor
# extract NAME: the tensor's bytes cut from its file with the offsets gen.py recorded
extract() { python3 -c "
import sys
for line in open('$S/tensors.tsv'):
    n, f, o, l = line.rstrip('\n').split('\t')
    if n == sys.argv[1]:
        d = open('$S/' + f, 'rb').read()[int(o):int(o) + int(l)]
        open(sys.argv[2], 'wb').write(d)" "$1" "$2"; }
check "F32 words that once were F16: codec fp32_planes, at least 1.5:1" sh -c \
    "test \"\$('$NTC' unpack '$T/rt.mixed.safetensors.ntz' --list | awk -F'\t' '\$3 == \"half.weight\" { print \$5, (\$8 >= 1.5 * \$10) }')\" = '5 1'"
for tn in emb.weight norm.weight counts wide.weight half.weight; do
    extract "$tn" "$T/want.$tn"
    check "--tensor $tn: exactly its bytes" sh -c \
        "'$NTC' unpack '$T/rt.mixed.safetensors.ntz' --tensor '$tn' -o '$T/got.$tn' && cmp '$T/want.$tn' '$T/got.$tn'"
done
extract big.weight "$T/want.big"
check "--tensor of a tensor in two parts" sh -c \
    "'$NTC' unpack '$T/rt.big.safetensors.ntz' --tensor big.weight -o '$T/got.big' && cmp '$T/want.big' '$T/got.big'"
# --tensor reads only that tensor's payload: with every other payload destroyed it still works
cp "$T/rt.mixed.safetensors.ntz" "$T/others.ntz"
python3 -c "
import subprocess, sys
p = sys.argv[1]
rows = [l.split('\t') for l in subprocess.run(['$NTC', 'unpack', p, '--list'], capture_output=True, text=True).stdout.splitlines() if not l.startswith('#')]
b = bytearray(open(p, 'rb').read())
for r in rows:
    if r[2] != 'wide.weight':
        for i in range(int(r[8]), int(r[8]) + int(r[9])):
            b[i] ^= 0xff
open(p, 'wb').write(b)" "$T/others.ntz"
check "--tensor does not read the other tensors' payloads" sh -c \
    "'$NTC' unpack '$T/others.ntz' --tensor wide.weight -o '$T/got.wide2' && cmp '$T/want.wide.weight' '$T/got.wide2'"
fails_with "... while a whole unpack of that container fails" "tensor|header" "$NTC" unpack "$T/others.ntz" -o "$T/others.out"
fails_with "--tensor NAME that is not there" "no tensor named 'nope'" "$NTC" unpack "$T/rt.mixed.safetensors.ntz" --tensor nope -o "$T/nope"
check "... and leaves no file" sh -c "test ! -e '$T/nope' && ! ls -a '$T' | grep -q '\\.ntc-'"

# ------------------------------------------------------------------ corruption, truncation, safety
C=$T/rt.mixed.safetensors.ntz
for tn in emb.weight conv.weight norm.weight counts wide.weight half.weight; do
    off=$(field "$C" "$tn" 9)
    len=$(field "$C" "$tn" 10)
    # (half.weight: byte 0 is its high halves' pair, 1-8 their stream's size)
    for at in 0 1 $((len / 2)) $((len - 1)); do
        cp "$C" "$T/bad.ntz"
        flip "$T/bad.ntz" $((off + at))
        echo "previous" >"$T/bad.out"
        fails_with "flipped byte $at of '$tn': rejected, named" "tensor '$tn'" "$NTC" unpack "$T/bad.ntz" -o "$T/bad.out"
        check "... the existing target is untouched, no temporary left" sh -c \
            "grep -qx previous '$T/bad.out' && ! ls -a '$T' | grep -q '\\.ntc-'"
    done
done
check "--check of a sound container: ok, writes nothing" sh -c \
    "'$NTC' unpack '$C' --check | grep -q 'every checksum verified' && ! ls -a '$T' | grep -q '\\.ntc-'"
cp "$C" "$T/bad.ntz"
flip "$T/bad.ntz" $(( $(field "$C" wide.weight 9) + 3 ))
fails_with "--check of a corrupted container: rejected, named" "tensor 'wide.weight'" "$NTC" unpack "$T/bad.ntz" --check
big=$T/rt.big.safetensors.ntz
cp "$big" "$T/badbig.ntz"
flip "$T/badbig.ntz" $(( $(field "$big" big.weight 9) + 5000000 ))
fails_with "corrupt first part of a big tensor: named with its part" "tensor 'big.weight' \\(part 1 of 2\\)" \
    "$NTC" unpack "$T/badbig.ntz" -o "$T/badbig.out"
size=$(wc -c <"$C")
for cut in 0 7 16 100 $((size / 2)) $((size - 41)) $((size - 40)) $((size - 1)); do
    head -c "$cut" "$C" >"$T/trunc.ntz"
    fails_with "truncated to $cut bytes: rejected" "truncated|corrupt|not an ntc container|empty" "$NTC" unpack "$T/trunc.ntz" -o "$T/trunc.out"
done
check "... and no output was created" sh -c "test ! -e '$T/trunc.out' && ! ls -a '$T' | grep -q '\\.ntc-'"
for back in 1 20 30 39; do
    cp "$C" "$T/tail.ntz"
    flip "$T/tail.ntz" $((size - back))
    fails_with "flipped byte in the tail (-$back): rejected" "corrupt|truncated" "$NTC" unpack "$T/tail.ntz" -o "$T/tail.out"
done
cp "$C" "$T/idx.ntz"
flip "$T/idx.ntz" $((size - 45))
fails_with "flipped byte in the index: rejected" "index" "$NTC" unpack "$T/idx.ntz" -o "$T/idx.out"
cp "$C" "$T/ver.ntz"
printf '\002' | dd of="$T/ver.ntz" bs=1 seek=8 conv=notrunc 2>/dev/null
fails_with "another container version: rejected" "unsupported container version 2" "$NTC" unpack "$T/ver.ntz" -o "$T/ver.out"
fails_with "not a container" "not an ntc container" "$NTC" unpack "$S/aligned.safetensors" -o "$T/x.out"
fails_with "corrupt safetensors input: pack fails" "aligned|header" sh -c \
    "head -c 100 '$S/aligned.safetensors' > '$T/short.safetensors'; '$NTC' pack '$T/short.safetensors' -o '$T/short.ntz'"
check "... and leaves no container" sh -c "test ! -e '$T/short.ntz' && ! ls -a '$T' | grep -q '\\.ntc-'"
fails_with "pack into a missing directory" "cannot create a temporary file" "$NTC" pack "$S/aligned.safetensors" -o "$T/no/such/dir/x.ntz"
mkdir -p "$T/full.out"
echo x >"$T/full.out/keep"
fails_with "unpack into a non-empty directory: refused" "must not exist or be empty" "$NTC" unpack "$T/shards.ntz" -o "$T/full.out"
check "... the directory is untouched, no temporary left" sh -c "test \"\$(ls '$T/full.out')\" = keep && ! ls -a '$T' | grep -q '\\.ntc-'"
check "pack replaces an existing container only at the end (rename)" sh -c \
    "echo old > '$T/replace.ntz' && '$NTC' pack '$S/aligned.safetensors' -o '$T/replace.ntz' && '$NTC' unpack '$T/replace.ntz' --list >/dev/null"

# ------------------------------------------------------------------ progress and quiet
check "quiet when stderr is not a terminal" sh -c "'$NTC' pack '$S/big.safetensors' -o '$T/q.ntz' 2>'$T/q.err' && test ! -s '$T/q.err'"
check "--progress shows progress" sh -c "'$NTC' pack '$S/big.safetensors' -o '$T/q.ntz' --progress 2>'$T/p.err' && grep -q '%' '$T/p.err'"

# ------------------------------------------------------------------ stats
check "stats: a line per tensor with dtype, count and bounds" sh -c \
    "'$NTC' stats '$S/mixed.safetensors' > '$T/stats.txt' && grep -Eq '^emb.weight +BF16 +3072 ' '$T/stats.txt' &&
     grep -Eq '^counts +I32 +35 ' '$T/stats.txt' && head -n 1 '$T/stats.txt' | grep -q bf16_exp_mant2 && grep -q '^total' '$T/stats.txt'"
check "stats: the ratio matches what pack writes for the tensor" sh -c "
    got=\$(awk '\$1 == \"wide.weight\" { print \$(NF - 2) }' '$T/stats.txt')
    want=\$('$NTC' unpack '$T/rt.mixed.safetensors.ntz' --list | awk -F'\t' '\$3 == \"wide.weight\" { print \$10 }')
    test \"\$got\" = \"\$want\""
check "stats --html: self-contained, with histograms and the ratio chart" sh -c \
    "'$NTC' stats '$S/aligned.safetensors' --html '$T/report.html' >/dev/null && grep -q '<svg' '$T/report.html' &&
     grep -q 'Ratio per tensor' '$T/report.html' && grep -c '<rect' '$T/report.html' | grep -qv '^0$' &&
     ! grep -Eiq '(src|href)=\"(https?:)?//' '$T/report.html' && ! grep -qi '<script' '$T/report.html'"
if [ -f "$DATA/stories260K-bf16.safetensors" ]; then
    check "stats on real bf16: bound of bf16_adaptive about 1.508" sh -c \
        "'$NTC' stats '$DATA/stories260K-bf16.safetensors' | awk '\$1 == \"total\" { exit !(\$3 > 1.50 && \$3 < 1.52) }'"
else
    skipped "stats on real bf16: $DATA missing"
fi

# ------------------------------------------------------------------ command line
usage() { # usage NAME CMD...: exit status 2
    name=$1
    shift
    "$@" >/dev/null 2>&1
    if [ $? -eq 2 ]; then ok; else bad "usage: $name"; fi
}
usage "pack without input" "$NTC" pack
usage "--fast-decode is not an unpack option" "$NTC" unpack "$T/fast.big.ntz" --fast-decode -o "$T/x"
usage "pack with an unknown option" "$NTC" pack --bogus "$S/aligned.safetensors"
usage "unpack with two inputs" "$NTC" unpack a.ntz b.ntz
usage "-j 0" "$NTC" pack "$S/aligned.safetensors" -j 0 -o "$T/j0.ntz"
usage "--tensor given to pack" "$NTC" pack "$S/aligned.safetensors" --tensor x -o "$T/x.ntz"
usage "--check with -o" "$NTC" unpack "$T/rt.mixed.safetensors.ntz" --check -o "$T/x.out"
usage "--check given to pack" "$NTC" pack "$S/aligned.safetensors" --check -o "$T/x.ntz"
usage "--html given to pack" "$NTC" pack "$S/aligned.safetensors" --html x.html -o "$T/x.ntz"
check "pack --help" sh -c "'$NTC' pack --help | grep -q 'usage: ntc pack'"
fails_with "missing input" "no/such: No such file" "$NTC" pack "$T/no/such" -o "$T/x.ntz"

echo
echo "container: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
