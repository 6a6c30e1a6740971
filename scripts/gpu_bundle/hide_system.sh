#!/usr/bin/env bash
# Runs a command with this machine's Open MPI (and PMIx, hwloc, libevent, munge) and LLVM hidden,
# as on the GPU machine, which has none of them: check_bundle.sh runs the bundle's suite so, to show
# that the bundle brings its own. Each directory is covered by an empty one and each library or
# program by an empty file (bind mounts), so that whatever still reached for the system's copy
# fails loudly ("file too short", "cannot execute") instead of finding it.
# Needs root, in a private mount namespace: unshare -m hide_system.sh COMMAND...
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "hide_system: needs root (bind mounts)" >&2; exit 2; }
empty=$(mktemp -d /tmp/hide-system.XXXXXX)
mkdir "$empty/dir"
: > "$empty/file"
multiarch=/usr/lib/x86_64-linux-gnu
hidden=0
for d in "$multiarch/openmpi" "$multiarch/pmix2" "$multiarch/hwloc" /usr/share/openmpi /etc/openmpi \
         /usr/lib/llvm-19 /usr/include/llvm-19; do
  [ -d "$d" ] || continue
  mount --bind "$empty/dir" "$d"
  hidden=$((hidden + 1))
done
shopt -s nullglob
for f in /usr/bin/orterun /usr/bin/orted /usr/bin/ompi_info /usr/bin/opal_wrapper \
         "$multiarch"/lib{mpi,open-rte,open-pal,pmix,hwloc,event,munge,mca_common,LLVM,clang}[-_.]*so*; do
  # Symlinks (libmpi.so.40 -> libmpi.so.40.30.4, /usr/bin/mpirun -> ... -> orterun) lead to a
  # covered file; only the files themselves are covered.
  [ -L "$f" ] && continue
  [ -f "$f" ] || continue
  mount --bind "$empty/file" "$f"
  hidden=$((hidden + 1))
done
# The check of the check: the system's mpirun and libmpi must be gone.
if command -v mpirun > /dev/null 2>&1 && mpirun --version > /dev/null 2>&1; then
  echo "hide_system: the system's mpirun still runs" >&2; exit 2
fi
if [ -s "$multiarch/libmpi.so.40" ]; then echo "hide_system: $multiarch/libmpi.so.40 is still there" >&2; exit 2; fi
echo "hide_system: $hidden paths of Open MPI, PMIx, hwloc, libevent, munge and LLVM hidden"
set +e
"$@"
rc=$?
rm -rf "$empty"   # (the mounts go with the namespace)
exit $rc
