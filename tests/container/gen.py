#!/usr/bin/env python3
"""gen.py OUTDIR — deterministic synthetic checkpoints for the container tests (stdlib only).

Writes into OUTDIR:
  mixed.safetensors    BF16, F16, F32 (one of F32 words that once were F16), I32, I64, U8, BOOL
                       and an empty tensor; a header whose
                       length is odd (so every tensor's data is misaligned in the file),
                       __metadata__, a gap between two tensors and bytes after the last one
  aligned.safetensors  BF16/F16/F32 tensors, header padded to 8 bytes (as the reference writer)
  big.safetensors      one BF16 tensor of 9 Mi words (18 MiB): coded in two parts
  special.safetensors  F32/BF16/F16 words that stress the codecs: zeros, subnormals, inf, NaN
                       payloads, one word repeated
  weights.npy          a .npy file of F16 words
  shards/              a sharded checkpoint: two safetensors, an index JSON, a config, a subfolder
  tensors.tsv          NAME<TAB>FILE<TAB>OFFSET<TAB>LENGTH of every tensor (for --tensor checks)
"""
import json
import math
import os
import random
import struct
import sys

rng = random.Random(20240417)
half_rng = random.Random(5)


def f32_bits(x):
    return struct.unpack("<I", struct.pack("<f", x))[0]


def bf16(x):
    u = f32_bits(x)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16) & 0xFFFF


def weights(n, sigma=0.02):
    return [rng.gauss(0.0, sigma) for _ in range(n)]


def enc(dtype, vals):
    if dtype == "BF16":
        return struct.pack("<%dH" % len(vals), *[bf16(v) for v in vals])
    if dtype == "F16":
        return struct.pack("<%de" % len(vals), *vals)
    if dtype == "F32":
        return struct.pack("<%df" % len(vals), *vals)
    if dtype == "I32":
        return struct.pack("<%di" % len(vals), *vals)
    if dtype == "I64":
        return struct.pack("<%dq" % len(vals), *vals)
    if dtype in ("U8", "BOOL"):
        return bytes(vals)
    raise ValueError(dtype)


def write_st(path, tensors, metadata=None, pad_to=8, odd=False, gaps=None, trailing=b""):
    """tensors: list of (name, dtype, shape, bytes); gaps: {index: bytes placed before tensor}."""
    gaps = gaps or {}
    header, body, off = {}, b"", 0
    for i, (name, dtype, shape, data) in enumerate(tensors):
        g = gaps.get(i, b"")
        body += g
        off += len(g)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [off, off + len(data)]}
        body += data
        off += len(data)
    if metadata:
        header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode()
    if odd:
        if (8 + len(h)) % 2 == 0:
            h += b" "
    elif pad_to:
        h += b" " * ((-len(h)) % pad_to)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + body + trailing)
    return 8 + len(h), header


def record(tsv, fname, hsize, header):
    for name, v in header.items():
        if name == "__metadata__":
            continue
        a, b = v["data_offsets"]
        tsv.append("%s\t%s\t%d\t%d" % (name, fname, hsize + a, b - a))


def main():
    out = sys.argv[1]
    os.makedirs(os.path.join(out, "shards", "sub"), exist_ok=True)
    tsv = []

    t = [
        ("emb.weight", "BF16", [64, 48], enc("BF16", weights(64 * 48))),
        ("conv.weight", "F16", [16, 8, 3, 3], enc("F16", weights(16 * 8 * 9, 0.1))),
        ("norm.weight", "F32", [300], enc("F32", [1.0 + rng.gauss(0, 0.05) for _ in range(300)])),
        ("position_ids", "I64", [1, 77], enc("I64", list(range(77)))),
        ("counts", "I32", [5, 7], enc("I32", [rng.randrange(-1000, 1000) for _ in range(35)])),
        ("mask", "BOOL", [33], enc("BOOL", [rng.randrange(2) for _ in range(33)])),
        ("bytes", "U8", [100], enc("U8", [rng.randrange(256) for _ in range(100)])),
        ("empty", "F32", [0, 4], b""),
        ("tiny.bias", "BF16", [3], enc("BF16", weights(3))),
        ("wide.weight", "F32", [40, 40], enc("F32", weights(1600))),
        # F32 words that once were F16 (low 13 bits zero), in two halves of different scale: codec
        # fp32_planes (its own generator, so that the tensors above and below do not change)
        ("half.weight", "F32", [64, 64], enc("F32", [struct.unpack("<e", struct.pack("<e", half_rng.gauss(0, 0.02 if i < 2048 else 0.2)))[0]
                                                      for i in range(4096)])),
    ]
    hs, hd = write_st(os.path.join(out, "mixed.safetensors"), t, metadata={"format": "pt", "note": "synthetic"},
                      odd=True, gaps={3: b"\0" * 5, 8: b"gap!"}, trailing=b"trailing bytes")
    record(tsv, "mixed.safetensors", hs, hd)

    t = [
        ("a.weight", "BF16", [128, 64], enc("BF16", weights(128 * 64))),
        ("b.weight", "F16", [64, 64], enc("F16", weights(64 * 64, 0.05))),
        ("c.weight", "F32", [32, 96], enc("F32", weights(32 * 96))),
    ]
    hs, hd = write_st(os.path.join(out, "aligned.safetensors"), t)
    record(tsv, "aligned.safetensors", hs, hd)

    # 9 Mi bf16 words: a 64 Ki-word random block repeated with a different sign pattern each time
    block = [bf16(v) for v in weights(65536)]
    parts = []
    for k in range(144):
        flip = (k * 0x9E37) & 0xFFFF
        parts.append(struct.pack("<65536H", *[(w ^ (flip & 0x8000)) for w in block]))
    hs, hd = write_st(os.path.join(out, "big.safetensors"), [("big.weight", "BF16", [9 * 1024, 1024], b"".join(parts))])
    record(tsv, "big.safetensors", hs, hd)

    special32 = [0x00000000, 0x80000000, 0x00000001, 0x007FFFFF, 0x7F800000, 0xFF800000, 0x7FC00000,
                 0x7FBFFFFF, 0xFFFFFFFF, 0x3F800000] * 50 + [0x3C23D70A] * 500
    special16 = [0x0000, 0x8000, 0x0001, 0x03FF, 0x7C00, 0xFC00, 0x7E00, 0x7C01, 0xFFFF, 0x3C00] * 50 + [0x2E66] * 500
    t = [
        ("f32.special", "F32", [len(special32)], struct.pack("<%dI" % len(special32), *special32)),
        ("bf16.special", "BF16", [len(special16)], struct.pack("<%dH" % len(special16), *special16)),
        ("f16.special", "F16", [len(special16)], struct.pack("<%dH" % len(special16), *special16)),
        ("bf16.constant", "BF16", [4096], struct.pack("<4096H", *([0x3F80] * 4096))),
    ]
    hs, hd = write_st(os.path.join(out, "special.safetensors"), t)
    record(tsv, "special.safetensors", hs, hd)

    # 12000 two-byte tensors with long names: an index of more than 1 MiB (read in pieces)
    t = [("model.layers.%05d.self_attention.rotary_embedding.inverse_frequency_buffer" % i, "U8", [2],
          bytes([i & 255, i >> 8])) for i in range(12000)]
    write_st(os.path.join(out, "many.safetensors"), t)

    # .npy, version 1.0, little-endian float16
    vals = weights(3000, 0.1)
    hdr = "{'descr': '<f2', 'fortran_order': False, 'shape': (3000,), }"
    hdr += " " * ((-(10 + len(hdr) + 1)) % 64) + "\n"
    with open(os.path.join(out, "weights.npy"), "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode() + enc("F16", vals))

    # a sharded checkpoint
    wm = {}
    for k in range(2):
        fn = "model-%05d-of-00002.safetensors" % (k + 1)
        t = [("layers.%d.weight" % k, "BF16", [96, 64], enc("BF16", weights(96 * 64))),
             ("layers.%d.bias" % k, "F32", [96], enc("F32", weights(96)))]
        hs, hd = write_st(os.path.join(out, "shards", fn), t)
        for name, _, _, _ in t:
            wm[name] = fn
    with open(os.path.join(out, "shards", "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": 0}, "weight_map": wm}, f, indent=2)
    with open(os.path.join(out, "shards", "config.json"), "w") as f:
        f.write('{"model_type": "synthetic", "hidden_size": 64}\n')
    with open(os.path.join(out, "shards", "sub", "notes.txt"), "w") as f:
        f.write("a file in a subfolder\n")
    open(os.path.join(out, "shards", "sub", "empty"), "w").close()

    with open(os.path.join(out, "tensors.tsv"), "w") as f:
        f.write("\n".join(tsv) + "\n")


if __name__ == "__main__":
    main()
