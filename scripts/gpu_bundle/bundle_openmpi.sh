#!/usr/bin/env bash
# Copies this machine's Open MPI runtime (Debian 12's openmpi-bin 4.1 and PMIx) into the GPU
# bundle, relocatable, for single-machine runs on a target that has no MPI (docs/gpu-bundle.md,
# "Open MPI"): mpirun (orterun), orted and ompi_info; libmpi and the libraries it and they need
# (all but glibc, libstdc++ and libgcc_s); the MCA components Open MPI and PMIx dlopen, less those
# that need libraries a single machine does not (UCX, libfabric/OFI, PSM, verbs, OpenSHMEM,
# netlink); the help texts and the configuration files; and bin/mpirun, a wrapper that points Open
# MPI, PMIx and hwloc at the bundle's copies (OPAL_PREFIX and friends) and runs the real mpirun.
# usage: bundle_openmpi.sh BUNDLE_DIR     (writes BUNDLE_DIR/mpi and BUNDLE_DIR/bin/mpirun)
set -euo pipefail
stage=$(cd "$1" && pwd)
die() { echo "bundle_openmpi: $*" >&2; exit 1; }

# Debian's split layout (ompi_info --path all; --libdir and --sysconfdir of its configure line).
ompi_bin=/usr/bin
ompi_lib=/usr/lib/x86_64-linux-gnu/openmpi/lib
ompi_components=$ompi_lib/openmpi3
ompi_share=/usr/share/openmpi
ompi_etc=/etc/openmpi
pmix_prefix=/usr/lib/x86_64-linux-gnu/pmix2
for p in "$ompi_bin/orterun" "$ompi_bin/orted" "$ompi_components" "$ompi_share" "$ompi_etc" "$pmix_prefix/lib/pmix"; do
  [ -e "$p" ] || die "no $p: install Debian's openmpi-bin and libopenmpi-dev (scripts/setup.sh)"
done

m=$stage/mpi
rm -rf "$m"
mkdir -p "$m"/{bin,lib/openmpi3,lib/pmix,lib/hwloc,share,etc}

# The libraries of a binary, by ldd, except glibc's, libstdc++ and libgcc_s (as make_bundle.sh):
# into mpi/lib under their sonames.
system_lib='^(linux-vdso\.so|ld-linux-x86-64\.so|libc\.so|libm\.so|libpthread\.so|libdl\.so|librt\.so|libstdc\+\+\.so|libgcc_s\.so)'
deps_of() {   # deps_of ELF: "soname path" per non-system library
  ldd "$1" | awk '$2 == "=>" { print $1, $3 }' | while read -r soname path; do
    [[ "$soname" =~ $system_lib ]] || echo "$soname $path"
  done
}
copy_deps() {
  deps_of "$1" | while read -r soname path; do
    [ -f "$path" ] || die "$1 needs $soname, which ldd cannot find"
    [ -f "$m/lib/$soname" ] || cp -L "$path" "$m/lib/$soname"
  done
}

for b in orterun orted ompi_info; do
  cp "$ompi_bin/$b" "$m/bin/$b"
  copy_deps "$m/bin/$b"
done
copy_deps "$ompi_lib/libmpi.so"

# The components: kept when every library they need is Open MPI's own core, PMIx (and munge,
# which libpmix links), hwloc, libevent, libz, libudev, or one of the small common libraries of
# the shared-memory, monitoring and MPI-IO components. What needs more (UCX, libfabric, PSM,
# verbs, OpenSHMEM's liboshmem, libnl for the netlink reachability component) serves networks
# and machines a one-machine run does not have; Open MPI skips a component that is not there.
allowed='^(libmpi|libopen-rte|libopen-pal|libhwloc|libevent_core-2\.1|libevent_pthreads-2\.1|libz|libudev|libpmix|libmunge|libmca_common_sm|libmca_common_monitoring|libmca_common_ompio)\.so'
kept=0
dropped=()
for c in "$ompi_components"/mca_*.so; do
  name=$(basename "$c")
  extra=$(deps_of "$c" | awk '{ print $1 }' | grep -Ev "$allowed" | tr '\n' ' ' || true)
  if [ -n "$extra" ]; then dropped+=("${name%.so}"); continue; fi
  cp "$c" "$m/lib/openmpi3/"
  copy_deps "$c"
  kept=$((kept + 1))
done
for c in "$pmix_prefix"/lib/pmix/*.so; do
  cp "$c" "$m/lib/pmix/"
  copy_deps "$c"
done
# mpi/lib/hwloc stays empty: HWLOC_PLUGINS_PATH points there, so hwloc loads none of its plugins
# (Debian's, or a different hwloc's on the target: GL, OpenCL, PCI and libxml2 ones that pull in
# X11 and more); Open MPI needs only the CPU and memory topology hwloc finds without them.
echo "hwloc plugins are not bundled (HWLOC_PLUGINS_PATH points here)" > "$m/lib/hwloc/README"

cp -r "$ompi_share" "$m/share/openmpi"
mkdir -p "$m/share/pmix"
cp "$pmix_prefix"/share/pmix/help-*.txt "$m/share/pmix/"
cp "$ompi_etc/openmpi-mca-params.conf" "$ompi_etc/openmpi-default-hostfile" "$m/etc/"
# PMIx's file names its component directory by absolute path; the wrapper sets it instead.
grep -v '^mca_base_component_path' "$pmix_prefix/share/pmix-mca-params.conf" > "$m/etc/pmix-mca-params.conf"

cat > "$stage/bin/mpirun" <<'WRAP'
#!/bin/sh
# Open MPI's mpirun from the bundle (mpi/): Open MPI, PMIx and hwloc are told where their
# components, help texts and configuration are, and the bundle's libraries come first, for
# mpirun and for the ranks it starts (which inherit this environment).
here=$(cd "$(dirname "$0")/.." && pwd)
m=$here/mpi
export OPAL_PREFIX="$m" OPAL_EXEC_PREFIX="$m" OPAL_BINDIR="$m/bin" OPAL_SBINDIR="$m/bin" \
  OPAL_LIBEXECDIR="$m/bin" OPAL_LIBDIR="$m/lib" OPAL_PKGLIBDIR="$m/lib/openmpi3" \
  OPAL_DATAROOTDIR="$m/share" OPAL_DATADIR="$m/share" OPAL_PKGDATADIR="$m/share/openmpi" \
  OPAL_SYSCONFDIR="$m/etc" OPAL_INCLUDEDIR="$m/include"
export OMPI_MCA_mca_base_component_path="$m/lib/openmpi3"
export PMIX_PREFIX="$m" PMIX_EXEC_PREFIX="$m" PMIX_LIBDIR="$m/lib" PMIX_PKGLIBDIR="$m/lib/pmix" \
  PMIX_DATAROOTDIR="$m/share" PMIX_DATADIR="$m/share" PMIX_PKGDATADIR="$m/share/pmix" PMIX_SYSCONFDIR="$m/etc"
export PMIX_MCA_mca_base_component_path="$m/lib/pmix"
export HWLOC_PLUGINS_PATH="$m/lib/hwloc"
# Shared-memory messages past the eager size go by a single copy between processes (Linux CMA,
# process_vm_readv), which containers often forbid (no CAP_SYS_PTRACE: "Read -1, expected ...,
# errno = 1" and a failed transfer); copying through the shared segment works everywhere.
export OMPI_MCA_btl_vader_single_copy_mechanism="${OMPI_MCA_btl_vader_single_copy_mechanism:-none}"
# Without ssh or rsh, Open MPI's default launcher (rsh) refuses to start even on one machine; the
# `isolated` one starts ranks on this machine only, which is all a machine without them can do.
if [ -z "${OMPI_MCA_plm-}" ] && ! command -v ssh > /dev/null 2>&1 && ! command -v rsh > /dev/null 2>&1; then
  export OMPI_MCA_plm=isolated
fi
export LD_LIBRARY_PATH="$m/lib:$here/lib/deps${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
exec "$m/bin/orterun" "$@"
WRAP
chmod +x "$stage/bin/mpirun"

echo "bundle_openmpi: $(du -sh "$m" | cut -f1) in mpi/: $kept of $(ls "$ompi_components"/mca_*.so | wc -l) MCA components, libraries: $(cd "$m/lib" && ls -p | grep -v / | tr '\n' ' ')"
echo "bundle_openmpi: components left out (they need UCX, libfabric, PSM, verbs, liboshmem or libnl): ${dropped[*]}"
