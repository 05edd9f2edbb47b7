#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (AddressSanitizer and libFuzzer's
# coverage on the readers' sources) into fuzz/out/, outside the CMake build:
#   fuzz/build.sh && fuzz/out/spec_fuzzer -rss_limit_mb=1024 -max_total_time=60 fuzz/out/spec-corpus
# See fuzz/README.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/fuzz/out
mkdir -p "$out"
cxx=${CXX:-clang++}
flags=(-std=c++20 -O1 -g -fsanitize=fuzzer-no-link,address -I"$root/src" -DFUNGIBLE_SOURCE_DIR="\"$root\"")
srcs=()
for stage in util model catalog spec forecast; do
  for f in "$root"/src/$stage/*.cc; do
    case $f in *_test.cc) continue ;; esac
    srcs+=("$f")
  done
done
objs=()
for f in "${srcs[@]}"; do
  o=$out/obj/${f#"$root"/src/}.o
  mkdir -p "$(dirname "$o")"
  if [ ! -f "$o" ] || [ "$f" -nt "$o" ]; then
    case $f in
      # GCC's target_clones with AVX vectors between functions: clang refuses
      # the ABI. Built by g++ without instrumentation (not an input reader).
      */vector_math.cc) g++ -std=c++20 -O2 -I"$root/src" -c "$f" -o "$o" ;;
      *) "$cxx" "${flags[@]}" -c "$f" -o "$o" ;;
    esac
  fi
  objs+=("$o")
done
libs=(-lyaml-cpp -lcsv -pthread)
for t in spec actuals trace; do
  "$cxx" "${flags[@]}" -fsanitize=fuzzer,address "$root/fuzz/${t}_fuzzer.cc" "${objs[@]}" "${libs[@]}" \
    -o "$out/${t}_fuzzer"
done
# Seed corpora: the bundled specs and CSVs, fuzz/seeds/, and every kept
# regression input.
mkdir -p "$out/spec-corpus" "$out/actuals-corpus" "$out/trace-corpus"
cp "$root"/examples/*.yaml "$root"/tests/cases/spec/*.yaml "$root"/tests/cases/forecast/*.yaml "$out/spec-corpus/"
cp "$root"/tests/cases/forecast/*.csv "$out/actuals-corpus/"
cp "$root"/fuzz/seeds/trace/* "$out/trace-corpus/"
for t in spec actuals trace; do
  find "$root/fuzz/regressions/$t" -type f ! -name '.*' -exec cp {} "$out/$t-corpus/" \;
done
echo "built $out/spec_fuzzer, $out/actuals_fuzzer and $out/trace_fuzzer"
