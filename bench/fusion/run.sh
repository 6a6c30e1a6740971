#!/usr/bin/env bash
# Tensor fusion benchmark (issue 15): chain.fu built with `fusion build -O2` and run on the CPU
# device (or FUSION_DEVICE=cuda), each case eager and under @fuse in the same run, and the same
# computations in NumPy (eager) and numexpr (fusing, multithreaded) from Debian's python3-numpy and
# python3-numexpr (/usr/bin/python3), on the same core count. Prints the times (best of RUNS) and
# the ratios; checks that eager and fused Fusion agree (the same checksum).
#
#   bench/fusion/run.sh            RUNS=5 by default
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
fusion="${FUSION:-$root/build/bin/fusion}"
out="$root/bench/out/fusion"
mkdir -p "$out"
export RUNS="${RUNS:-5}"
"$fusion" build -O2 "$here/chain.fu" -o "$out/chain"
"$out/chain" > "$out/fusion.txt"
py=/usr/bin/python3
if $py -c 'import numpy, numexpr' 2>/dev/null; then
  $py "$here/numpy_ref.py" > "$out/numpy.txt"
else
  echo "(python3-numpy or python3-numexpr missing: apt-get install python3-numpy python3-numexpr)" > "$out/numpy.txt"
fi
python3 - "$out/fusion.txt" "$out/numpy.txt" <<'PY'
import sys
t, s = {}, {}
for path in sys.argv[1:]:
    for line in open(path):
        parts = line.split()
        if len(parts) == 3:
            t[parts[0]] = float(parts[1]); s[parts[0]] = float(parts[2])
bad = 0
print("%-10s %12s %12s %12s %12s %10s %10s %10s" % ("case", "eager ms", "fused ms", "numpy ms", "numexpr ms",
                                                     "eager/fused", "numpy/fused", "numexpr/fused"))
for case in ["chain10", "gelu", "softmax"]:
    e, f = t[case + "_eager"], t[case + "_fused"]
    n, x = t.get(case + "_numpy"), t.get(case + "_numexpr")
    if s[case + "_eager"] != s[case + "_fused"]:
        print("MISMATCH: %s eager checksum %r, fused %r" % (case, s[case + "_eager"], s[case + "_fused"]))
        bad = 1
    fmt = lambda v: "%12.1f" % v if v is not None else "%12s" % "-"
    ratio = lambda v: "%10.2f" % (v / f) if v is not None else "%10s" % "-"
    print("%-10s %12.1f %12.1f %s %s %10.2f %s %s" % (case, e, f, fmt(n), fmt(x), e / f, ratio(n), ratio(x)))
sys.exit(bad)
PY
