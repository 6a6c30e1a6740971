#!/usr/bin/env bash
# The GPU bundle's suite (docs/gpu-bundle.md): runs every GPU test program and example on a device,
# by the JIT (`fusion run`) and as the executable prebuilt with the bundle, compares each output
# with what the CPU device printed when the bundle was made, runs the MPI programs under the
# bundled Open MPI (bin/mpirun: one rank on the device, NCCL over MPI among them, and 2 and 4
# ranks on the CPU device) and compares them the same way, runs the GPU benchmarks against their
# CUDA C references (compiled here with `nvcc -O3`) and the tensor fusion benchmark against CuPy
# and PyTorch (bench/fusion/gpu_ref.py, in this machine's python3), and prints one summary. Writes
# the summary, the fusion table (fusion-bench.txt) and every log under $OUT (or --out DIR) when
# set. Exit status: 0 when something ran and nothing failed, 1 when something failed, 2 when
# everything was skipped (no GPU).
#
# usage: run-gpu-suite.sh [--device cuda|cpu] [--out DIR] [--quick]
#   --device cuda (default): the GPU; without one every item says SKIP, none passes.
#   --device cpu: the CPU executor, with the benchmarks at a small size (checks the bundle itself).
#   --quick: the benchmarks at a small size on any device.
# Environment: SUITE_BUDGET_S (450): start nothing new after it; FUSION_BENCH_S (150): the part of
# it kept for the tensor fusion benchmark, last; RUNS, REPS: that benchmark's timed runs (10) and
# calls per run (20; 1 and 1 with --quick or --device cpu).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
device=cuda
out=${OUT:-}
quick=0
while [ $# -gt 0 ]; do
  case $1 in
    --device) device=$2; shift 2 ;;
    --device=*) device=${1#*=}; shift ;;
    --out) out=$2; shift 2 ;;
    --quick) quick=1; shift ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "run-gpu-suite: unknown argument $1" >&2; exit 2 ;;
  esac
done
case $device in cuda|cpu) ;; *) echo "run-gpu-suite: --device is cuda or cpu" >&2; exit 2 ;; esac
[ "$device" = cpu ] && quick=1
start=$(date +%s)
budget_s=${SUITE_BUDGET_S:-450}   # stop starting new items after this (the suite must end in 8 minutes)
fusion_s=${FUSION_BENCH_S:-150}   # of which the tensor fusion benchmark's part, kept for it at the end
work=${out:+$out/gpu-suite}
work=${work:-$(mktemp -d /tmp/gpu-suite.XXXXXX)}
mkdir -p "$work/logs" "$work/refs"
summary=$work/summary.txt
: > "$summary"
say() { echo "$*" | tee -a "$summary"; }
pass=0; fail=0; skip=0
result() {   # result PASS|FAIL|SKIP NAME DETAIL
  case $1 in PASS) pass=$((pass + 1)) ;; FAIL) fail=$((fail + 1)) ;; SKIP) skip=$((skip + 1)) ;; esac
  say "$1: $2${3:+ ($3)}"
}
# The tests and bench/gpu start nothing new in the last fusion_s of the budget: the tensor fusion
# benchmark, last, has that time.
over_budget() { [ $(($(date +%s) - start)) -ge $((budget_s - fusion_s)) ]; }

export FUSION_DEVICE=$device
export FUSION_CACHE=off   # `fusion run` is the JIT every time, not a cached executable
system_ld_path=${LD_LIBRARY_PATH-}   # for this machine's python3 (CuPy, PyTorch): not the bundle's libraries
export LD_LIBRARY_PATH="$here/lib/deps${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"   # for the prebuilt executables
fusion=$here/bin/fusion

# The machine.
say "gpu-suite: bundle $(sed -n 's/^commit: //p' "$here/BUILD-INFO" 2>/dev/null), device $device, $(uname -srm), $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
gpu_present=0
no_gpu_why=""
if command -v nvidia-smi > /dev/null 2>&1; then
  if nvidia-smi -L > "$work/logs/nvidia-smi.txt" 2>&1 && grep -q '^GPU ' "$work/logs/nvidia-smi.txt"; then
    gpu_present=1
    say "gpu: $(nvidia-smi --query-gpu=name,driver_version,compute_cap,memory.total --format=csv,noheader 2>/dev/null | head -1)"
  else
    no_gpu_why="nvidia-smi lists no GPU: $(head -1 "$work/logs/nvidia-smi.txt")"
  fi
elif [ -e /dev/nvidiactl ]; then
  gpu_present=1
  say "gpu: /dev/nvidiactl exists (no nvidia-smi to name the GPU)"
else
  no_gpu_why="no nvidia-smi and no /dev/nvidiactl"
fi
[ $gpu_present = 1 ] || say "gpu: none ($no_gpu_why)"
# What the CUDA device needs and the CPU device does not.
needs_gpu() { [ "$device" = cuda ] && [ $gpu_present = 0 ]; }

# NCCL is not in the bundle (libnccl is about 200 MB): on a GPU the programs that use it (uses_nccl)
# load this machine's libnccl.so.2, which Fusion's loader looks for on LD_LIBRARY_PATH, in the
# system's directories and in CUDA's lib64. PyTorch's wheels carry one in the Python package
# nvidia.nccl: when it is the only one, its directory goes on FUSION_LIBRARY_PATH. With none at
# all, those programs say SKIP (not FAIL: NCCL is the machine's, not the bundle's).
uses_nccl() { case $1 in gpudev_nccl_alloc|nccl_over_mpi|mpi_allreduce) return 0 ;; esac; return 1; }
nccl_dir=""
no_nccl_why=""
if [ "$device" = cuda ] && [ $gpu_present = 1 ]; then
  nvcc_lib=$(command -v nvcc 2>/dev/null)
  nvcc_lib=${nvcc_lib:+$(dirname "$(dirname "$nvcc_lib")")/lib64}
  for d in ${LD_LIBRARY_PATH//:/ } $(ldconfig -p 2>/dev/null | awk '$1 ~ /^libnccl\.so/ { print $NF }' | xargs -r -n1 dirname) \
           ${CUDA_HOME:+$CUDA_HOME/lib64} $nvcc_lib /usr/local/cuda/lib64 /usr/lib/x86_64-linux-gnu /usr/lib64; do
    if ls "$d"/libnccl.so* > /dev/null 2>&1; then nccl_dir=$d; break; fi
  done
  if [ -z "$nccl_dir" ] && command -v python3 > /dev/null 2>&1; then
    d=$(env LD_LIBRARY_PATH="$system_ld_path" python3 -c 'import os, nvidia.nccl as m; print(os.path.join(list(m.__path__)[0], "lib"))' 2> /dev/null)
    if [ -n "$d" ] && ls "$d"/libnccl.so* > /dev/null 2>&1; then
      nccl_dir=$d
      export FUSION_LIBRARY_PATH="$d${FUSION_LIBRARY_PATH:+:$FUSION_LIBRARY_PATH}"
    fi
  fi
  if [ -n "$nccl_dir" ]; then
    say "nccl: $(cd "$nccl_dir" && ls libnccl.so* | tr '\n' ' ')in $nccl_dir"
  else
    no_nccl_why="no libnccl.so.2 on this machine (LD_LIBRARY_PATH, ldconfig, CUDA's lib64, python3's nvidia.nccl)"
    say "nccl: none ($no_nccl_why)"
  fi
fi
needs_nccl() { [ "$2" = cuda ] && [ -n "$no_nccl_why" ] && uses_nccl "$1"; }   # needs_nccl ID DEVICE: none here

# The compiler itself must start (the bundled libraries resolve).
if "$fusion" --version > "$work/logs/fusion-version.txt" 2>&1; then
  result PASS "compiler starts" "$(cat "$work/logs/fusion-version.txt")"
else
  result FAIL "compiler starts" "$(head -3 "$work/logs/fusion-version.txt" | tr '\n' ' ')"
fi

# Every test program, by the JIT and prebuilt, against the CPU device's output from bundle time.
# stdout and the exit status are compared; stderr (panic and error text, which differ between
# the devices by design) is kept in the logs.
# check_output NAME LOG RC EXPECTED: PASS when LOG.out equals EXPECTED and RC its status file's.
check_output() {
  local name=$1 log=$2 rc=$3 expected=$4
  local want_rc
  want_rc=$(cat "$expected-status")
  if [ "$rc" = "$want_rc" ] && cmp -s "$log.out" "$expected"; then
    result PASS "$name"
  else
    diff "$expected" "$log.out" > "$log.diff" 2>&1
    local why="exit $rc, expected $want_rc"
    [ "$rc" = 124 ] && why="timed out after 120 s"
    cmp -s "$log.out" "$expected" || why="$why; stdout differs: $(head -4 "$log.diff" | tr '\n' ' ' | cut -c1-200)"
    [ -s "$log.err" ] && why="$why; stderr: $(head -2 "$log.err" | tr '\n' ' ' | cut -c1-200)"
    result FAIL "$name" "$why"
  fi
}
run_compare() {   # run_compare KIND ID COMMAND...
  local kind=$1 id=$2; shift 2
  local log=$work/logs/$id.$kind
  if needs_gpu; then result SKIP "$id ($kind)" "SKIP: no GPU: $no_gpu_why"; return; fi
  if over_budget; then result SKIP "$id ($kind)" "time budget of ${budget_s}s spent"; return; fi
  if needs_nccl "$id" "$device"; then result SKIP "$id ($kind)" "SKIP: $no_nccl_why"; return; fi
  (cd "$here" && timeout 120 "$@" > "$log.out" 2> "$log.err")
  local rc=$?
  check_output "$id ($kind)" "$log" "$rc" "$here/tests/$id.expected"
}
for src in "$here"/tests/*.fu; do
  id=$(basename "$src" .fu)
  if [ "${id#gpudev_}" != "$id" ] && [ "$device" != cuda ]; then  # GPU-only programs
    result SKIP "$id" "SKIP: it needs the CUDA device (--device $device)"
    continue
  fi
  run_compare jit "$id" "$fusion" run "tests/$id.fu"
  run_compare exe "$id" "tests/$id"
  # Checked dual execution (docs/gpu.md): every launch on the device and on the CPU executor,
  # compared; a difference is exit 101. (GPU-only programs' CUDA C kernels have no CPU body.)
  if [ "${id#gpudev_}" = "$id" ]; then run_compare check "$id" env FUSION_DEVICE=check "tests/$id"; fi
done

# MPI (Open MPI from the bundle, bin/mpirun): tests/mpi/runs.txt lists each program with one rank
# on this suite's device (NCCL over MPI among them, on the CUDA device only: on the CPU device there
# is no NCCL) and with 2 and 4 ranks on the CPU device, by the JIT and prebuilt. The ranks' lines
# are sorted before the comparison (they arrive in any order). One GPU is lent: NCCL needs a GPU
# per rank, so on the CUDA device every run has one rank. Without a GPU, --device cuda skips them
# all, the CPU ones too, as it does everything else.
mpirun_flags=(--allow-run-as-root --oversubscribe)
while read -r id np dev kind; do
  case $id in ''|'#'*) continue ;; esac
  [ "$dev" = suite ] && dev=$device
  name="$id -np $np ($kind, device $dev)"
  log=$work/logs/$id.np$np.$dev.$kind
  if needs_gpu; then result SKIP "$name" "SKIP: no GPU: $no_gpu_why"; continue; fi
  if [ "$id" = nccl_over_mpi ] && [ "$dev" != cuda ]; then result SKIP "$name" "SKIP: NCCL needs the CUDA device"; continue; fi
  if over_budget; then result SKIP "$name" "time budget of ${budget_s}s spent"; continue; fi
  if needs_nccl "$id" "$dev"; then result SKIP "$name" "SKIP: $no_nccl_why"; continue; fi
  read -r -a args < "$here/tests/mpi/$id.args"
  cmd=("tests/mpi/$id")
  [ "$kind" = jit ] && cmd=("$fusion" run "tests/mpi/$id.fu")
  (cd "$here" && FUSION_DEVICE=$dev timeout 120 bin/mpirun "${mpirun_flags[@]}" -np "$np" "${cmd[@]}" "${args[@]}" \
     < /dev/null > "$log.raw" 2> "$log.err")
  rc=$?
  LC_ALL=C sort "$log.raw" > "$log.out"
  expected=$here/tests/mpi/$id.np$np.expected
  [ "$dev" = cuda ] && [ -f "$expected-cuda" ] && expected=$expected-cuda
  check_output "$name" "$log" "$rc" "$expected"
done < "$here/tests/mpi/runs.txt"

# The benchmarks. On the CPU device (and with --quick) a small size checks that they run and are
# correct; their timings mean nothing there, and the CUDA C references need a GPU.
declare -A size_small=([launch]=2000 [saxpy]=1000003 [matmul]=96 [reduction]=100003 [sgemm]=256 [hgemm]=256)
declare -A value
nvcc=""
for c in "$(command -v nvcc 2>/dev/null)" "${CUDA_HOME:-/usr/local/cuda}/bin/nvcc" /usr/local/cuda/bin/nvcc; do
  if [ -n "$c" ] && [ -x "$c" ]; then nvcc=$c; break; fi
done
if [ -n "$nvcc" ] && [ -z "${CUDA_HOME:-}" ]; then export CUDA_HOME=$(cd "$(dirname "$nvcc")/.." && pwd); fi
bench_line() {   # bench_line LOG NAME FIELD: the FIELD after NAME's `bench` line
  awk -v n="$2" -v f="$3" '$1 == "bench" && $2 == n { for (i = 3; i < NF; i++) if ($i == f) print $(i + 1) }' "$1" | tail -1
}
# hgemm.fu times cuBLAS itself (cublasGemmEx, in the same program): it has no CUDA C twin below.
for b in launch saxpy matmul reduction sgemm hgemm; do
  size=""
  [ $quick = 1 ] && size=${size_small[$b]}
  if needs_gpu; then result SKIP "bench $b (Fusion)" "SKIP: no GPU: $no_gpu_why"; continue; fi
  if over_budget; then result SKIP "bench $b (Fusion)" "time budget of ${budget_s}s spent"; continue; fi
  log=$work/logs/bench-$b
  (cd "$here" && timeout 150 "bench/$b" $size > "$log.out" 2> "$log.err")
  rc=$?
  if [ $rc != 0 ]; then
    result FAIL "bench $b (Fusion)" "exit $rc: $(head -2 "$log.err" | tr '\n' ' ' | cut -c1-200)"
  elif grep -q '^SKIP:' "$log.out"; then
    result SKIP "bench $b (Fusion)" "$(grep '^SKIP:' "$log.out" | head -1)"
  elif grep -q "^check $b ok" "$log.out"; then
    result PASS "bench $b (Fusion)" "$(grep "^bench $b" "$log.out" | cut -d' ' -f3-)"
  else
    result FAIL "bench $b (Fusion)" "$(grep "^check" "$log.out" | head -1)"
  fi
done

# The CUDA C references, compiled here with nvcc -O3 for this GPU.
refs_ok=1
if [ "$device" != cuda ]; then
  result SKIP "CUDA C references" "SKIP: they run on a GPU only (--device $device)"; refs_ok=0
elif [ $gpu_present = 0 ]; then
  result SKIP "CUDA C references" "SKIP: no GPU: $no_gpu_why"; refs_ok=0
elif [ -z "$nvcc" ]; then
  result SKIP "CUDA C references" "SKIP: no nvcc (looked on PATH, \$CUDA_HOME/bin, /usr/local/cuda/bin)"; refs_ok=0
fi
arch=native
if [ $refs_ok = 1 ]; then
  cap=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d ' .')
  [ -n "$cap" ] && arch=sm_$cap
  for b in launch saxpy matmul reduction sgemm; do
    libs=""
    [ $b = launch ] && libs="-lcuda"
    [ $b = sgemm ] && libs="-lcublas"
    ref=$work/refs/${b}_ref
    if over_budget; then result SKIP "bench $b (CUDA C)" "time budget of ${budget_s}s spent"; continue; fi
    if ! "$nvcc" -O3 -arch=$arch -I "$here/bench" "$here/bench/${b}_ref.cu" -o "$ref" $libs > "$work/logs/nvcc-$b.txt" 2>&1; then
      result FAIL "bench $b (CUDA C)" "nvcc failed: $(head -3 "$work/logs/nvcc-$b.txt" | tr '\n' ' ' | cut -c1-200)"
      continue
    fi
    size=""
    [ $quick = 1 ] && size=${size_small[$b]}
    log=$work/logs/bench-${b}_c
    timeout 150 "$ref" $size > "$log.out" 2> "$log.err"
    rc=$?
    if [ $rc = 0 ] && grep -q "^check ${b}_c ok" "$log.out"; then
      result PASS "bench $b (CUDA C)" "$(grep "^bench ${b}_c" "$log.out" | cut -d' ' -f3-)"
    else
      result FAIL "bench $b (CUDA C)" "exit $rc: $(cat "$log.out" "$log.err" | tail -2 | tr '\n' ' ' | cut -c1-200)"
    fi
  done
fi

# The ratios, each with its target (Fusion's number over C's; for times lower is better, for
# bandwidth and GFLOP/s higher is better).
ratio() {   # ratio LABEL FUSION_VALUE C_VALUE OP TARGET (OP: <=, >=, or - for no target)
  local label=$1 f=$2 c=$3 op=$4 target=$5
  if [ -z "$f" ] || [ -z "$c" ]; then say "ratio $label: not measured"; return; fi
  awk -v l="$label" -v f="$f" -v c="$c" -v op="$op" -v t="$target" 'BEGIN {
    r = f / c; ok = (op == "<=") ? (r <= t) : (r >= t)
    if (op == "-") printf "ratio %s: %.3fx (recorded, no target)\n", l, r
    else printf "ratio %s: %.3fx (target %s %.2f: %s)\n", l, r, op, t, ok ? "met" : "MISSED" }' | tee -a "$summary"
}
L=$work/logs
say "benchmarks (Fusion prebuilt executables against nvcc -O3 -arch=$arch):"
ratio "launch overhead, ns per empty launch, Fusion / cuLaunchKernel" \
  "$(bench_line $L/bench-launch.out launch ns_per_launch 2>/dev/null)" "$(bench_line $L/bench-launch_c.out launch_c ns_per_launch 2>/dev/null)" "<=" 1.05
ratio "saxpy bandwidth, Fusion / nvcc kernel" \
  "$(bench_line $L/bench-saxpy.out saxpy gbps 2>/dev/null)" "$(bench_line $L/bench-saxpy_c.out saxpy_c gbps 2>/dev/null)" ">=" 0.95
ratio "saxpy bandwidth, Fusion / cudaMemcpy device to device" \
  "$(bench_line $L/bench-saxpy.out saxpy gbps 2>/dev/null)" "$(bench_line $L/bench-saxpy_c.out memcpy_d2d gbps 2>/dev/null)" "-" 0
ratio "tiled matmul time, Fusion / nvcc twin" \
  "$(bench_line $L/bench-matmul.out matmul best_ns 2>/dev/null)" "$(bench_line $L/bench-matmul_c.out matmul_c best_ns 2>/dev/null)" "<=" 1.10
ratio "block reduction time, Fusion / nvcc twin" \
  "$(bench_line $L/bench-reduction.out reduction best_ns 2>/dev/null)" "$(bench_line $L/bench-reduction_c.out reduction_c best_ns 2>/dev/null)" "<=" 1.10
ratio "cuBLAS SGEMM GFLOP/s, Fusion on gpu.alloc / C on cudaMalloc" \
  "$(bench_line $L/bench-sgemm.out sgemm gflops 2>/dev/null)" "$(bench_line $L/bench-sgemm_c.out sgemm_c gflops 2>/dev/null)" ">=" 0.98

# The tensor fusion benchmark (issue 15, bench/fusion): chain.fu, prebuilt, each case eager and
# under @fuse on the device (ms per call: the best of RUNS runs of REPS calls back to back), then
# the same cases in CuPy (eager, cupy.fuse) and PyTorch (eager, torch.compile) by
# bench/fusion/gpu_ref.py in this machine's python3, which also times a device-to-device copy of the
# chain's 2^24 floats. One table and its ratios, in the summary and in fusion-bench.txt. On the
# CPU device (and without CuPy or PyTorch) the references say SKIP and only Fusion's columns fill.
ftable=$work/fusion-bench.txt
: > "$ftable"
fsay() { say "$*"; echo "$*" >> "$ftable"; }
if [ $quick = 1 ]; then fusion_runs=${RUNS:-1}; fusion_reps=${REPS:-1}; else fusion_runs=${RUNS:-10}; fusion_reps=${REPS:-20}; fi
fusion_start=$(date +%s)
fusion_over() { [ $(($(date +%s) - start)) -ge "$budget_s" ]; }
FB=$L/fusion-chain
: > "$FB.out"
if needs_gpu; then
  result SKIP "bench fusion chain (Fusion)" "SKIP: no GPU: $no_gpu_why"
elif fusion_over; then
  result SKIP "bench fusion chain (Fusion)" "time budget of ${budget_s}s spent"
else
  (cd "$here" && RUNS=$fusion_runs REPS=$fusion_reps timeout 100 bench/fusion/chain > "$FB.out" 2> "$FB.err")
  rc=$?
  # Eager and fused must give the same checksum (the same bits): `case eager X, fused Y` where not.
  bad=$(awk '$1 ~ /_eager$/ { e[substr($1, 1, length($1) - 6)] = $3 } $1 ~ /_fused$/ { f[substr($1, 1, length($1) - 6)] = $3 }
             END { for (c in e) if (!(c in f) || e[c] != f[c]) printf "%s eager %s, fused %s; ", c, e[c], f[c] }' "$FB.out")
  if [ $rc != 0 ]; then
    result FAIL "bench fusion chain (Fusion)" "exit $rc: $(head -2 "$FB.err" | tr '\n' ' ' | cut -c1-200)"
  elif [ "$(awk '$1 ~ /_(eager|fused)$/' "$FB.out" | wc -l)" != 6 ] || [ -n "$bad" ]; then
    result FAIL "bench fusion chain (Fusion)" "eager and fused checksums differ or are missing: ${bad:-$(tr '\n' ' ' < "$FB.out" | cut -c1-200)}"
  else
    result PASS "bench fusion chain (Fusion)" "$(awk '{ printf "%s%s %.3f ms", (NR > 1 ? ", " : ""), $1, $2 }' "$FB.out")"
  fi
fi
FR=$L/fusion-ref
: > "$FR.out"
py=$(command -v python3 2>/dev/null)
if needs_gpu; then
  result SKIP "bench fusion references (CuPy, PyTorch)" "SKIP: no GPU: $no_gpu_why"
elif [ -z "$py" ]; then
  result SKIP "bench fusion references (CuPy, PyTorch)" "SKIP: no python3 on PATH"
elif fusion_over; then
  result SKIP "bench fusion references (CuPy, PyTorch)" "time budget of ${budget_s}s spent"
else
  # What is left of the fusion part's time, at least 30 s. On the CPU device the references see
  # no GPU (CUDA_VISIBLE_DEVICES empty), so that a GPU's times never stand beside the CPU's.
  left=$((fusion_s - ($(date +%s) - fusion_start)))
  [ $left -ge 30 ] || left=30
  hide_gpu=()
  [ "$device" = cpu ] && hide_gpu=(CUDA_VISIBLE_DEVICES=)
  (cd "$here" && env LD_LIBRARY_PATH="$system_ld_path" "${hide_gpu[@]}" RUNS=$fusion_runs REPS=$fusion_reps \
     timeout "$left" "$py" bench/fusion/gpu_ref.py > "$FR.out" 2> "$FR.err")
  rc=$?
  for lib in cupy torch; do
    n=$(awk -v l="$lib" '$1 ~ ("_" l "(_fuse|_compile|_native)?$") && NF == 3' "$FR.out" | wc -l)
    if [ "$n" -gt 0 ]; then
      result PASS "bench fusion reference ($lib)" "$n cases, $(grep -c "^SKIP: [a-z0-9_]*_${lib}" "$FR.out") skipped"
    elif grep -q "^SKIP: ${lib}" "$FR.out"; then
      result SKIP "bench fusion reference ($lib)" "$(grep -m1 "^SKIP: ${lib}" "$FR.out")"
    fi
  done
  # Stopped at its time limit: the cases it printed are used, the rest are left out (as the budget
  # leaves items out); torch.compile, last, is what a slow compile loses.
  if [ $rc = 124 ]; then
    result SKIP "bench fusion references (CuPy, PyTorch)" "stopped after ${left}s, the fusion part's time; cases after $(awk 'NF == 3 && $1 !~ /^#/ { l = $1 } END { print l ? l : "none" }' "$FR.out") left out"
  elif [ $rc != 0 ]; then
    result FAIL "bench fusion references (CuPy, PyTorch)" "exit $rc: $(tail -2 "$FR.err" | tr '\n' ' ' | cut -c1-200)"
  fi
  grep '^SKIP: [a-z0-9_]*_' "$FR.out" | sed 's/^/  gpu_ref: /' | tee -a "$summary"
fi
fval() { awk -v n="$2" '$1 == n { v = $2 } END { if (v != "") print v }' "$1"; }   # fval LOG NAME: its ms
fcell() { local v; v=$(fval "$@"); if [ -n "$v" ]; then printf '%.3f' "$v"; else printf -- '-'; fi; }
fsay "tensor fusion (bench/fusion, device $device): ms per call, the best of RUNS=$fusion_runs runs of REPS=$fusion_reps calls"
fsay "$(printf '%-8s %13s %13s %11s %11s %12s %14s' case 'Fusion eager' 'Fusion fused' 'CuPy eager' cupy.fuse 'torch eager' torch.compile)"
for c in chain10 gelu softmax; do
  fsay "$(printf '%-8s %13s %13s %11s %11s %12s %14s' $c "$(fcell "$FB.out" ${c}_eager)" "$(fcell "$FB.out" ${c}_fused)" \
    "$(fcell "$FR.out" ${c}_cupy)" "$(fcell "$FR.out" ${c}_cupy_fuse)" "$(fcell "$FR.out" ${c}_torch)" "$(fcell "$FR.out" ${c}_torch_compile)")"
done
[ -z "$(fval "$FR.out" softmax_torch_native)" ] || fsay "(torch.softmax itself: $(fcell "$FR.out" softmax_torch_native) ms)"
for c in chain10 gelu softmax; do
  fused=$(fval "$FB.out" ${c}_fused)
  ratio "$c: Fusion eager / Fusion fused (the speed-up)" "$(fval "$FB.out" ${c}_eager)" "$fused" "-" 0 | tee -a "$ftable"
  ratio "$c: cupy.fuse / Fusion fused (above 1: Fusion is faster)" "$(fval "$FR.out" ${c}_cupy_fuse)" "$fused" "-" 0 | tee -a "$ftable"
  ratio "$c: torch.compile / Fusion fused (above 1: Fusion is faster)" "$(fval "$FR.out" ${c}_torch_compile)" "$fused" "-" 0 | tee -a "$ftable"
done
# The chain reads 2^24 floats and writes 2^24, 128 MiB as the copy moves: its bandwidth over the
# copy's is the copy's time over its own. The copy is the faster of CuPy's and PyTorch's.
copy=$(awk '$1 ~ /^copy_/ && NF == 3 && (best == "" || $2 < best) { best = $2; who = $1 } END { if (best != "") print best, who }' "$FR.out")
copy_ms=${copy% *}
fused=$(fval "$FB.out" chain10_fused)
if [ -n "$fused" ] && [ -n "$copy" ]; then
  fsay "$(awk -v f="$fused" -v c="$copy_ms" -v w="${copy#* }" 'BEGIN { b = 2 * 4 * 2^24 / 1e9
    printf "bandwidth: chain10 fused %.0f GB/s; device-to-device copy %.0f GB/s (%s, %.4f ms)", b / (f / 1000), b / (c / 1000), w, c }')"
fi
ratio "chain10: fused bandwidth / a device-to-device copy's" "${copy:+$copy_ms}" "$fused" ">=" 0.9 | tee -a "$ftable"
if [ -n "$out" ]; then cp "$ftable" "$out/fusion-bench.txt"; fi

elapsed=$(($(date +%s) - start))
say "gpu-suite summary: device $device: $pass passed, $fail failed, $skip skipped, in ${elapsed}s; logs in $work"
if [ -n "$out" ]; then cp "$summary" "$out/gpu-suite-results.txt"; fi
if [ $fail -gt 0 ]; then exit 1; fi
if [ $pass -le 1 ]; then exit 2; fi   # only the compiler started: nothing ran on the device
exit 0
