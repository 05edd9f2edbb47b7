#!/usr/bin/env bash
# format.sh - the `format` ctest: every tracked C++ file matches .clang-format
# (clang-format 14, Debian's clang-format package). On failure it names each
# file that differs; `bash scripts/format.sh` rewrites them in place.
#   tests/format.sh [FILE...]     (default: every tracked *.cc, *.h)
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cf=${CLANG_FORMAT:-clang-format}
command -v "$cf" >/dev/null || { echo "FAIL: $cf not found (Debian package clang-format)"; exit 1; }
if [ $# -gt 0 ]; then
  files=("$@")
else
  if git rev-parse --git-dir >/dev/null 2>&1; then
    mapfile -t files < <(git ls-files -- '*.cc' '*.h')
  else  # a source tarball: every C++ file but the build trees'
    mapfile -t files < <(find src fuzz bench tests -name '*.cc' -o -name '*.h' | sort)
  fi
fi
[ ${#files[@]} -gt 0 ] || { echo "FAIL: no C++ files found under $root"; exit 1; }
# One clang-format process for all files; it names each differing file as
# "FILE:LINE:COL: error: code should be clang-formatted".
out=$("$cf" --dry-run --Werror "${files[@]}" 2>&1 >/dev/null)
rc=$?
mapfile -t bad < <(printf '%s\n' "$out" | sed -n 's/^\(.*\):[0-9]*:[0-9]*: error: code should be clang-formatted.*/\1/p' | sort -u)
if [ $rc -ne 0 ] && [ ${#bad[@]} -eq 0 ]; then
  echo "FAIL: $cf exited $rc:"; printf '%s\n' "$out" | head -20; exit 1
fi
if [ ${#bad[@]} -gt 0 ]; then
  echo "FAIL: ${#bad[@]} of ${#files[@]} C++ files do not match .clang-format:"
  printf '  %s\n' "${bad[@]}"
  echo "Fix with: bash scripts/format.sh ${bad[*]}"
  exit 1
fi
echo "${#files[@]} C++ files match .clang-format"
