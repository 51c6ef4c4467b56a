"""oracle.py TYPE DRIVER DTYPE — check a generated type's value functions against ml_dtypes/numpy.

DRIVER is value_driver.c built with the type; DTYPE names the reference: an ml_dtypes type
(float8_e4m3fn, float6_e2m3fn, bfloat16, ...) or numpy's float16. Checks, each printed as one
PASS or FAIL line:
  to_double    every word: T_to_double equals the reference's value (NaN: both NaN, same sign)
  from_double  every representable value, every midpoint between neighbours (and half a step
               beyond the largest), 10^5 random doubles and the infinities: T_from_double gives
               the reference's word; NaN inputs too where the format has a NaN. The reference is
               ml_dtypes' conversion of x rounded to float32 by round-to-odd (see round_to_odd_f32);
               where ml_dtypes' own double conversion differs (double rounding), a NOTE says so.
  from_float   the same inputs as floats through T_from_float (where float holds them exactly)
"""
import subprocess
import sys

import numpy as np

try:
    import ml_dtypes
except ImportError:  # run.sh checks first; this is only for a clear message
    ml_dtypes = None

np.seterr(all="ignore")  # overflowing casts are what some checks are about
name, driver, dtype_name = sys.argv[1], sys.argv[2], sys.argv[3]
dt = np.float16 if dtype_name == "float16" else getattr(ml_dtypes, dtype_name)
bits = int(subprocess.run([driver, "info"], capture_output=True, text=True, check=True).stdout.split()[0])
nbytes = np.dtype(dt).itemsize
uint = {1: np.uint8, 2: np.uint16}[nbytes]
failed = 0


def report(ok, what):
    global failed
    print(("PASS " if ok else "FAIL ") + name + ": " + what)
    failed += not ok


def run(mode, data):
    out = subprocess.run([driver, mode], input=data.tobytes(), capture_output=True, check=True).stdout
    return np.frombuffer(out, np.uint64 if mode.startswith("from") else np.float64)


def ref_words(x):
    """The reference's storage words for doubles x (sub-byte types sit in the low bits)."""
    return x.astype(dt).view(uint).astype(np.uint64) & np.uint64((1 << bits) - 1)


def round_to_odd_f32(x):
    """x rounded to float32 toward zero, with the last bit set when inexact ("round to odd"). Every
    reference type has at least two mantissa bits fewer than float32, so rounding this to the type
    (ties to even) is the correct rounding of x itself. ml_dtypes converts a double through a
    float32 rounded to nearest, which rounds twice: a double just below a tie can go up."""
    f = x.astype(np.float32)
    inexact = f.astype(np.float64) != x
    over = np.abs(f.astype(np.float64)) > np.abs(x)
    f = np.where(inexact & over & np.isfinite(x), np.nextafter(f, np.float32(0)), f).astype(np.float32)
    big = np.copysign(np.float64(np.finfo(np.float32).max), x).astype(np.float32)
    f = np.where(np.isinf(f) & np.isfinite(x), big, f).astype(np.float32)
    u = f.view(np.uint32) | np.where(inexact & np.isfinite(x), np.uint32(1), np.uint32(0))
    return u.view(np.float32)


# ---- every word -> double
words = np.arange(1 << bits, dtype=np.uint64)
ours = np.frombuffer(subprocess.run([driver, "words"], capture_output=True, check=True).stdout, np.float64)
ref = words.astype(uint).view(dt).astype(np.float64)
nan_o, nan_r = np.isnan(ours), np.isnan(ref)
same = (ours == ref) | (nan_o & nan_r)
same &= np.signbit(ours) == np.signbit(ref)
bad = np.flatnonzero(~same)
report(bad.size == 0, "T_to_double on all %d words%s" % (words.size, "" if bad.size == 0 else
       ": %d differ, first word 0x%x: %r, reference %r" % (bad.size, bad[0], ours[bad[0]], ref[bad[0]])))

# ---- doubles -> word
finite = np.unique(ref[np.isfinite(ref)])  # sorted; -0 and +0 are one value here
values = ref[np.isfinite(ref)]              # both zeros
mids = (finite[:-1] + finite[1:]) / 2
top = finite[-1] + (finite[-1] - finite[-2]) / 2  # half a step beyond the largest: the overflow tie
rng = np.random.default_rng(20240521)
n = 100000
span = np.log2(finite[-1])
tiny = np.log2(np.min(np.abs(finite[finite != 0])))
mag = 2.0 ** rng.uniform(tiny - 3, span + 2, n)         # magnitudes across the whole range and past it
rand = np.where(rng.random(n) < 0.5, -mag, mag)
rand[: n // 4] = rng.uniform(-1.2 * finite[-1], 1.2 * finite[-1], n // 4)  # uniform over the range
specials = np.array([np.inf, -np.inf, 0.0, -0.0, top, -top, np.nextafter(top, 0), -np.nextafter(top, 0),
                     np.nextafter(top, np.inf), 1e300, -1e300, 5e-324, -5e-324])
has_nan = bool(nan_r.any())
inputs = [("representable values", values), ("midpoints", np.concatenate([mids, -mids])),
          ("doubles one ulp either side of a midpoint", np.concatenate(
              [np.nextafter(mids, np.inf), np.nextafter(mids, -np.inf), -np.nextafter(mids, np.inf)])),
          ("random floats", rand.astype(np.float32).astype(np.float64)),
          ("random doubles", rand), ("infinities, zeros, overflow ties, extremes", specials)]
if has_nan:
    inputs.append(("NaNs", np.array([np.nan, -np.nan])))
total = 0
for what, x in inputs:
    x = np.ascontiguousarray(x, dtype=np.float64)
    got, want = run("fromdouble", x), ref_words(round_to_odd_f32(x).astype(np.float64))
    bad = np.flatnonzero(got != want)
    total += x.size
    twice = int(np.count_nonzero(ref_words(x) != want))
    if twice:
        print("NOTE %s: %d of the %s round differently in ml_dtypes' own double conversion (through a "
              "float32 rounded to nearest: double rounding); compared with the correct rounding" % (name, twice, what))
    report(bad.size == 0, "T_from_double on %d %s%s" % (x.size, what, "" if bad.size == 0 else
           ": %d differ, first %r -> 0x%x, reference 0x%x" % (bad.size, x[bad[0]], got[bad[0]], want[bad[0]])))
    xf = x.astype(np.float32)
    exact = xf.astype(np.float64) == x
    xf = np.ascontiguousarray(xf[exact])
    if xf.size:
        got, want = run("fromfloat", xf), ref_words(xf.astype(np.float64))
        bad = np.flatnonzero(got != want)
        report(bad.size == 0, "T_from_float on %d %s%s" % (xf.size, what, "" if bad.size == 0 else
               ": %d differ, first %r -> 0x%x, reference 0x%x" % (bad.size, xf[bad[0]], got[bad[0]], want[bad[0]])))
if not has_nan:
    print("NOTE %s: no NaN in the format: NaN converts to the zero of its sign here; ml_dtypes gives the zero "
          "of the opposite sign, an artefact not compared" % name)
sys.exit(1 if failed else 0)
