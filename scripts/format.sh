#!/usr/bin/env bash
# format.sh - rewrite C++ files in place to .clang-format (clang-format 14).
#   bash scripts/format.sh            # every tracked *.cc and *.h
#   bash scripts/format.sh FILE...    # just these
# The `format` ctest (tests/format.sh) checks the same set without writing.
set -euo pipefail
cd "$(dirname "$0")/.."
cf=${CLANG_FORMAT:-clang-format}
if [ $# -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(git ls-files -- '*.cc' '*.h')
fi
"$cf" -i "${files[@]}"
echo "formatted ${#files[@]} files"
