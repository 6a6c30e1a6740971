#!/usr/bin/env bash
# hide_files.sh FILE... -- COMMAND...: runs COMMAND with each FILE covered by an empty file (a bind
# mount), as on a machine without it. Needs root; run it under `unshare -m`, so that the mounts are
# seen by COMMAND only.
set -euo pipefail
empty=$(mktemp)
trap 'rm -f "$empty"' EXIT
while [ $# -gt 0 ] && [ "$1" != -- ]; do
  [ -f "$1" ] || { echo "hide_files: $1 is not a file" >&2; exit 2; }
  mount --bind "$empty" "$1"
  shift
done
shift
"$@"
