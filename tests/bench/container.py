#!/usr/bin/env python3
"""container.py WORKDIR NTC_TIMER FILE... — ntc pack/unpack next to zstd -3, zstd -19, xz -9,
bzip2 -9 and ZipNN on the same files, same machine, same run: ratio, compress MB/s and
decompress MB/s (of the original bytes), single-threaded and on all cores, in one table.

How each is timed (best of several runs; files on tmpfs under WORKDIR):
  - ntc: in-process through tests/bench/ntc_timer (no exec), file to file, including setting up
    the pairs, hashing every tensor, writing, fsync and rename. The row "ntc --check" times
    `ntc unpack --check`: every tensor decoded into memory and its checksum verified, nothing
    written (the container is read from tmpfs), which is what ZipNN's bytes-to-bytes time is.
  - zstd, xz, bzip2: the command-line tools, file to file (their process start is included; it
    is under a millisecond for zstd and bzip2).
  - ZipNN: in-process (the Python interpreter and imports excluded), bytes in memory to bytes in
    memory, with bytearray_dtype set to the file's float type (its byte mode, as its
    zipnn_compress_file.py script uses it), on a fresh copy of the bytes each time (its
    compress() rewrites its input in place). Its output is decompressed and compared too.
Every other tool's output is decompressed and compared with the input byte for byte.
BENCH_TOOLS=ntc,ZipNN (names as in the table, first word) runs only those rows.
"""
import os
import platform
import subprocess
import sys
import time

WORK, TIMER = sys.argv[1], sys.argv[2]
FILES = sys.argv[3:]
NCPU = os.cpu_count() or 1
BIG = 8 << 20


PASSES = 3
SLOW = ("zstd -19", "xz -9", "bzip2 -9")


def reps_for(size, slow=False):
    """Runs to take the best of: the slow tools (xz -9, bzip2 -9, zstd -19) once on large files,
    in the first pass only; the others 3 times in each of PASSES passes over a file's tools (9 in
    all whatever the size), so that a tool's best is not taken all in one stretch of a shared
    machine's load: 3 runs of a 40 ms decode were seen to differ by 20 % from the best of 15, and
    whole minutes of a run to be 1.5 times slower than others."""
    if slow:
        return 1 if size > BIG else 3
    return 9 // PASSES


def run_best(cmd, reps):
    best = None
    for _ in range(reps):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        t = time.perf_counter() - t0
        best = t if best is None or t < best else best
    return best


def same(a, b):
    with open(a, "rb") as f, open(b, "rb") as g:
        while True:
            x, y = f.read(1 << 20), g.read(1 << 20)
            if x != y:
                return False
            if not x:
                return True


def timer(args, reps):
    out = subprocess.run([TIMER, str(reps)] + args, check=True, capture_output=True, text=True).stdout
    return float(out.strip().splitlines()[-1])


def bench_ntc(path, threads, opts=()):
    size = os.path.getsize(path)
    z, o = os.path.join(WORK, "x%s.ntz" % "".join(opts)), os.path.join(WORK, "x.out")
    r = reps_for(size)
    tc = timer(["pack", path, "-o", z, "-j", str(threads), "--quiet"] + list(opts), r)
    td = timer(["unpack", z, "-o", o, "-j", str(threads), "--quiet"], r)
    ok = same(path, o)
    return size / os.path.getsize(z), size / tc / 1e6, size / td / 1e6, ok


def bench_ntc_check(path, threads, opts=()):
    """ntc unpack --check of the container bench_ntc made (with the same options): decode and
    verify, in memory."""
    size = os.path.getsize(path)
    z = os.path.join(WORK, "x%s.ntz" % "".join(opts))
    td = timer(["unpack", z, "--check", "-j", str(threads), "--quiet"], reps_for(size))
    return size / os.path.getsize(z), None, size / td / 1e6, True


def bench_cli(path, tool, comp, decomp, ext):
    slow = tool in SLOW
    size = os.path.getsize(path)
    src = os.path.join(WORK, "in.bin")
    z = src + ext
    if not os.path.exists(src) or os.path.getsize(src) != size or not same(src, path):
        subprocess.run(["cp", path, src], check=True)
    r = reps_for(size, slow)
    tc = run_best(comp + [src], r) if "-c" not in comp else None
    if tc is None:
        tc = run_best(["sh", "-c", " ".join(comp) + " '%s' > '%s'" % (src, z)], r)
    out = os.path.join(WORK, "out.bin")
    td = run_best(["sh", "-c", " ".join(decomp) + " '%s' > '%s'" % (z, out)], reps_for(size))
    ok = same(path, out)
    return size / os.path.getsize(z), size / tc / 1e6, size / td / 1e6, ok


def zipnn_dtype(path):
    n = os.path.basename(path).lower()
    if "bf16" in n:
        return "bfloat16"
    if "f16" in n:
        return "float16"
    return "float32"


def bench_zipnn(path, threads):
    import zipnn
    with open(path, "rb") as f:
        data = f.read()
    dt = zipnn_dtype(path)
    r = reps_for(len(data))
    best_c = best_d = None
    comp = None
    for _ in range(r):
        # ZipNN 0.5.4's compress() reorders the bits of its input in place, even of an immutable
        # bytes object: give it a fresh copy each time and compare with the untouched original.
        work = bytes(bytearray(data))
        z = zipnn.ZipNN(bytearray_dtype=dt, threads=threads)
        t0 = time.perf_counter()
        comp = z.compress(work)
        t = time.perf_counter() - t0
        best_c = t if best_c is None or t < best_c else best_c
    dec = None
    for _ in range(r):
        z = zipnn.ZipNN(bytearray_dtype=dt, threads=threads)
        t0 = time.perf_counter()
        dec = z.decompress(comp)
        t = time.perf_counter() - t0
        best_d = t if best_d is None or t < best_d else best_d
    ok = bytes(dec) == data
    return len(data) / len(comp), len(data) / best_c / 1e6, len(data) / best_d / 1e6, ok


def main():
    rows = []
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import zipnn  # noqa: F401  (fail early if the venv is not there)
    try:
        from importlib.metadata import version
        zv = version("zipnn")
    except Exception:
        zv = "?"
    zstd_v = subprocess.run(["zstd", "--version"], capture_output=True, text=True).stdout.strip()
    print("machine: %s, %d cores (shared), %s; %s; ZipNN %s; load average at start %s" % (
        cpu, NCPU, platform.platform(), zstd_v, zv, open("/proc/loadavg").read().split()[:3]))
    print()
    for path in FILES:
        name = os.path.basename(path)
        size = os.path.getsize(path)
        tools = []
        for th, label in ((1, "1 thread"), (NCPU, "%d threads" % NCPU)):
            tools.append(("ntc", label, lambda th=th: bench_ntc(path, th)))
            tools.append(("ntc --check", label, lambda th=th: bench_ntc_check(path, th)))
            fast = ("--fast-decode",)
            tools.append(("ntc --fast-decode", label, lambda th=th: bench_ntc(path, th, fast)))
            tools.append(("ntc --fast-decode --check", label, lambda th=th: bench_ntc_check(path, th, fast)))
        tools += [
            ("zstd -3", "1 thread", lambda: bench_cli(path, "zstd -3", ["zstd", "-q", "-3", "-T1", "-f"], ["zstd", "-q", "-d", "-c"], ".zst")),
            ("zstd -3", "%d threads" % NCPU, lambda: bench_cli(path, "zstd -3", ["zstd", "-q", "-3", "-T0", "-f"], ["zstd", "-q", "-d", "-c"], ".zst")),
            ("zstd -19", "1 thread", lambda: bench_cli(path, "zstd -19", ["zstd", "-q", "-19", "-T1", "-f"], ["zstd", "-q", "-d", "-c"], ".zst")),
            ("zstd -19", "%d threads" % NCPU, lambda: bench_cli(path, "zstd -19", ["zstd", "-q", "-19", "-T0", "-f"], ["zstd", "-q", "-d", "-c"], ".zst")),
            ("xz -9", "1 thread", lambda: bench_cli(path, "xz -9", ["xz", "-q", "-9", "-T1", "-k", "-f"], ["xz", "-q", "-d", "-c"], ".xz")),
            ("xz -9", "%d threads" % NCPU, lambda: bench_cli(path, "xz -9", ["xz", "-q", "-9", "-T0", "-k", "-f"], ["xz", "-q", "-d", "-c", "-T0"], ".xz")),
            ("bzip2 -9", "1 thread", lambda: bench_cli(path, "bzip2 -9", ["bzip2", "-q", "-9", "-k", "-f"], ["bzip2", "-q", "-d", "-c"], ".bz2")),
            ("ZipNN", "1 thread", lambda: bench_zipnn(path, 1)),
            ("ZipNN", "%d threads" % NCPU, lambda: bench_zipnn(path, 0)),
        ]
        only = os.environ.get("BENCH_TOOLS")  # e.g. "ntc,ZipNN": a quicker run of those rows
        if only:
            keep = [t.strip() for t in only.split(",")]
            tools = [t for t in tools if t[0].split()[0] in keep]
        # Each pass runs every tool once (the slow ones in the first pass only); a row keeps the
        # best speeds over the passes, and its round trip must hold in every one.
        best, failed = {}, set()
        for p in range(PASSES):
            for tool, th, fn in tools:
                if (p > 0 and tool in SLOW) or (tool, th) in failed:
                    continue
                try:
                    ratio, c, d, ok = fn()
                except Exception as e:  # a tool that fails is reported, not fatal
                    print("  %s %s on %s failed: %s" % (tool, th, name, e), file=sys.stderr)
                    failed.add((tool, th))
                    best.pop((tool, th), None)
                    continue
                if (tool, th) in best:
                    _, c0, d0, ok0 = best[(tool, th)]
                    c = None if c is None else max(c, c0)
                    d, ok = max(d, d0), ok and ok0
                best[(tool, th)] = (ratio, c, d, ok)
        for tool, th, fn in tools:
            if (tool, th) not in best:
                continue
            ratio, c, d, ok = best[(tool, th)]
            rows.append((name, size, tool, th, ratio, c, d, ok))
            print("  %-32s %-26s %-11s ratio %.4f  compress %8s MB/s  decompress %8.1f MB/s%s" % (
                name, tool, th, ratio, "-" if c is None else "%.1f" % c, d, "" if ok else "  ROUND TRIP FAILED"),
                file=sys.stderr)
    print("| file | size | tool | threads | ratio | compress MB/s | decompress MB/s | round trip |")
    print("| --- | ---: | --- | --- | ---: | ---: | ---: | --- |")
    for name, size, tool, th, ratio, c, d, ok in rows:
        print("| %s | %.2f MB | %s | %s | %.4f | %s | %.1f | %s |" % (
            name, size / 1e6, "**%s**" % tool if tool.startswith("ntc") else tool, th, ratio,
            "-" if c is None else "%.1f" % c, d, "yes" if ok else "**NO**"))


if __name__ == "__main__":
    main()
