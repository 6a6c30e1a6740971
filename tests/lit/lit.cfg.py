# lit configuration for Fusion programs: tests/lit/<area>/*.fu, FileCheck lines inline.
import os
import sys
import lit.formats

config.name = "fusion"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".fu", ".test"]
config.excludes = ["inputs", "lit.cfg.py", "lit.site.cfg.py.in", "run_both.py"]
config.test_source_root = os.path.dirname(__file__)
# A run of lit inside a test (diag_coverage.test) passes --param exec_root=DIR to keep its
# outputs apart from the outer run's.
config.test_exec_root = lit_config.params.get("exec_root", os.path.join(config.fusion_obj_root, "tests", "lit"))

python = lit_config.params.get("python", "python3")
run_both = os.path.join(config.test_source_root, "run_both.py")

# %cuda_double: the CUDA driver's test double (tests/cuda_double), for FUSION_CUDA_DRIVER.
# %run_gpu (before %run, which would match its start): %run, and the built executable once more on the CUDA device with the double as its
# driver, with the same output again (for GPU programs).
cuda_double = os.path.join(config.fusion_obj_root, "lib", "libcuda_double.so")
config.substitutions.append(("%cuda_double", cuda_double))
config.substitutions.append(("%run_gpu", "%s %s %s --double %s" % (python, run_both, config.fusion_bin, cuda_double)))
# %fusion: the compiler. %run: runs a program by the JIT and as a built executable, checks
# that both give the same stdout, stderr and exit code, then prints that output.
config.substitutions.append(("%fusion", config.fusion_bin))
# Open MPI's launcher, as CI runs it: as root, with more ranks than cores, on the CPU device.
config.substitutions.append(("%mpirun", "env FUSION_DEVICE=cpu mpirun --allow-run-as-root --oversubscribe"))
config.substitutions.append(("%run", "%s %s %s" % (python, run_both, config.fusion_bin)))
config.substitutions.append(("%src_root", config.fusion_src_root))
config.substitutions.append(("%python", python))
config.substitutions.append(("%obj_root", config.fusion_obj_root))
# %ffi_lib_dir: where the C test library of ABI cases (libfusion_ffi_cases.so) is built; programs
# name it as `extern "fusion_ffi_cases"` and are run with `-L %ffi_lib_dir`.
config.substitutions.append(("%ffi_lib_dir", os.path.join(config.fusion_obj_root, "lib")))
# %ptxas: CUDA's PTX assembler, which checks the PTX that `fusion emit --ptx` writes (REQUIRES: ptxas).
ptxas = os.path.join(os.environ.get("CUDA_HOME", "/usr/local/cuda"), "bin", "ptxas")
if os.path.exists(ptxas):
    config.available_features.add("ptxas")
config.substitutions.append(("%ptxas", ptxas))
# %cuda_include: the CUDA headers the shipped bindings come from (tests derive expected values from them).
config.substitutions.append(("%cuda_include", os.path.join(os.environ.get("CUDA_HOME", "/usr/local/cuda"), "include")))
# gdb, for the debugging tests (tests/lit/debug, REQUIRES: gdb).
import shutil
if shutil.which("gdb"):
    config.available_features.add("gdb")
# %gdb: gdb in batch mode, without the user's settings.
config.substitutions.append(("%gdb", "gdb -batch -nx -ex 'set debuginfod enabled off'"))
# %lsan: the standalone LeakSanitizer runtime (Debian's liblsan0), preloaded into a built executable
# to find what it leaks (REQUIRES: lsan; tests/lit/tensor/memory_lsan.test).
import glob
lsan = sorted(glob.glob("/usr/lib/x86_64-linux-gnu/liblsan.so.*")) + sorted(glob.glob("/usr/lib/gcc/x86_64-linux-gnu/*/liblsan.so"))
if lsan:
    config.available_features.add("lsan")
    config.substitutions.append(("%lsan", lsan[0]))
# C++ libraries that tests/lit/wrap wraps with `fusion wrap` (scripts/setup.sh installs them).
if os.path.exists("/usr/include/yaml-cpp/yaml.h"):
    config.available_features.add("yaml-cpp")
if os.path.exists("/usr/include/torch/csrc/api/include/torch/torch.h"):
    config.available_features.add("libtorch")
# %libtorch_files: the real files of the libraries the torch shim links (the hidden ones of
# wrap/torch_missing.test).
config.substitutions.append(("%libtorch_files", " ".join(
    os.path.realpath("/usr/lib/x86_64-linux-gnu/lib%s.so" % n) for n in ("torch", "torch_cpu", "c10"))))
# Root in a private mount namespace (`unshare -m`): tests that hide a system library behind an empty
# file (a bind mount seen by that test only), as a machine without it would look (CI runs as root).
import subprocess
if os.geteuid() == 0 and shutil.which("unshare") and \
        subprocess.run(["unshare", "-m", "true"], stderr=subprocess.DEVNULL).returncode == 0:
    config.available_features.add("mount-namespace")
# A C++ program against libtorch (the twins of the torch tests): `%torch_cxx -o OUT SRC`.
config.substitutions.append(("%torch_cxx", "c++ -std=c++17 -O1 -I/usr/include/torch/csrc/api/include -Wno-deprecated-declarations"
                             " -Wl,--no-as-needed -ltorch -ltorch_cpu -lc10"))
# %lit: lit itself, for tests that run other tests.
config.substitutions.append(("%lit", "%s %s" % (python, os.path.abspath(sys.argv[0]))))
config.environment["PATH"] = os.pathsep.join([config.llvm_tools_dir, config.environment.get("PATH", "")])
# The caches are off (every `fusion run` is the JIT's, every kernel compiled) unless a test turns
# them on with a directory of its own (FUSION_CACHE=%t.cache; tests/lit/run_cache, cache/): no
# test reads or writes the user's cache.
config.environment["FUSION_CACHE"] = "off"
for var in ["FUSION_DIAG_LOG", "HOME", "TMPDIR"]:
    if var in os.environ:
        config.environment[var] = os.environ[var]
