#!/usr/bin/env python3
"""small.py OUT.safetensors [--pairs] — a small deterministic checkpoint for the fault sweeps
(stdlib only): six tensors of weight-like values, BF16 (1024 words, then 96 and 64 that share its
stream), F16 (256), F32 (128) and F32 words that once were F16 (1024), about 6 KB. With --pairs:
BF16 (4096 words, and 256 that share its stream), F16 (2048) and F32 (1024), for pack --fast-decode."""
import json
import random
import struct
import sys

rng = random.Random(6)


def f32(x):
    return struct.unpack("<I", struct.pack("<f", x))[0]


def bf16(x):
    u = f32(x)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16) & 0xFFFF


pairs = len(sys.argv) > 2 and sys.argv[2] == "--pairs"
tensors = [
    ("w.bf16", "BF16", [1024], b"".join(struct.pack("<H", bf16(rng.gauss(0, 0.02))) for _ in range(1024))),
    # two more like it: the three share one stream (a group)
    ("b.bf16", "BF16", [96], b"".join(struct.pack("<H", bf16(rng.gauss(0, 0.02))) for _ in range(96))),
    ("c.bf16", "BF16", [64], b"".join(struct.pack("<H", bf16(rng.gauss(0, 0.02))) for _ in range(64))),
    ("w.f16", "F16", [16, 16], b"".join(struct.pack("<e", rng.gauss(0, 0.05)) for _ in range(256))),
    ("w.f32", "F32", [128], b"".join(struct.pack("<f", rng.gauss(0, 0.1)) for _ in range(128))),
    # fp32 words that once were fp16 (low 13 bits zero): coded with codec fp32_planes
    ("w.half", "F32", [1024], b"".join(struct.pack("<f", struct.unpack("<e", struct.pack("<e", rng.gauss(0, 0.1)))[0])
                                       for _ in range(1024))),
]
if pairs:
    # for pack --fast-decode: a BF16 tensor long enough for bf16_pairs, and one sharing its
    # stream; F16 words for f16_pairs; F32 words whose high halves bf16_pairs codes (fp32_planes)
    tensors = [
        ("p.bf16", "BF16", [4096], b"".join(struct.pack("<H", bf16(rng.gauss(0, 0.02))) for _ in range(4096))),
        ("q.bf16", "BF16", [256], b"".join(struct.pack("<H", bf16(rng.gauss(0, 0.02))) for _ in range(256))),
        ("w.f16", "F16", [32, 64], b"".join(struct.pack("<e", rng.gauss(0, 0.05)) for _ in range(2048))),
        ("v.f32", "F32", [1024], b"".join(struct.pack("<f", rng.gauss(0, 0.05)) for _ in range(1024))),
    ]
header, at = {}, 0
for name, dt, shape, data in tensors:
    header[name] = {"dtype": dt, "shape": shape, "data_offsets": [at, at + len(data)]}
    at += len(data)
h = json.dumps(header, separators=(",", ":")).encode()
h += b" " * (-len(h) % 8)
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h + b"".join(t[3] for t in tensors))
