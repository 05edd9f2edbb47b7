#!/usr/bin/env bash
# standalone.sh - the repository stands alone: no tracked file refers to the
# reference folder kept beside it during development, and every data set that
# the tests, examples, docs and derivations read is bundled with its SOURCE.md
# and licence.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
fail=0
# 1. No reference to a folder beside the repository.
# The folder's name is assembled here so that this file does not name it itself.
beside="shared"
if hits=$(git ls-files -z | xargs -0 grep -nE "\\.\\./$beside|$beside/data|$beside/context" -- 2>/dev/null); then
  echo "FAIL: files refer to material outside the repository:"; echo "$hits"; fail=1
fi
# 2. Every data/<set>/ has a SOURCE.md naming its licence, and data/README.md lists it.
for d in data/*/; do
  set=$(basename "$d")
  [ "$set" = LICENSES ] && continue
  [ -f "$d/SOURCE.md" ] || { echo "FAIL: $d has no SOURCE.md"; fail=1; continue; }
  grep -qi 'licen' "$d/SOURCE.md" || { echo "FAIL: $d/SOURCE.md names no licence"; fail=1; }
  grep -q "\`$set\`" data/README.md || { echo "FAIL: data/README.md does not list $set"; fail=1; }
done
# 3. Every data file a test case, doc or example names exists.
while IFS= read -r path; do
  [ -e "$path" ] || { echo "FAIL: $path is named but missing"; fail=1; }
done < <(git ls-files -z -- tests docs examples src scripts README.md | xargs -0 grep -ohE '\bdata/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+\.(csv|json|md)' -- | sort -u)
[ $fail = 0 ] && echo "standalone: OK"
exit $fail
