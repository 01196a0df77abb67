#!/bin/sh
# Builds the libFuzzer harnesses of tests/fuzz with clang (ASan + UBSan) in build-fuzz and runs
# each for FUZZ_SECONDS (default 60) on its seed corpus (text seeds from tests/fuzz/corpus/<name>,
# binary ones written by make_seeds; new inputs stay in build-fuzz/corpus). Prints per harness
# the executions, the coverage and whether it crashed; a crash stops with its input saved as
# build-fuzz/crash-<name>-*.
#
#   scripts/fuzz.sh [harness ...]        (default: all)
#
# Environment: FUZZ_SECONDS, FUZZ_BUILD (default build-fuzz).
set -eu
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
build=${FUZZ_BUILD:-build-fuzz}
command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ not found (scripts/setup.sh installs clang)" >&2; exit 1; }
cmake -S . -B "$build" -G Ninja -DMPGRU_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DMPGRU_WERROR=ON >/dev/null
cmake --build "$build" -j "$(nproc)"
harnesses=${*:-"model_file model_crc genome idx wav config spam store torch_file torch_pickle numpy"}
failed=0
printf '%-11s %12s %8s %8s  %s\n' harness executions cov ft result
# Binary seeds (small models, an evaluation store) are generated, text seeds are committed.
# The PyTorch seeds: made with python3-torch when it is installed (setup.sh installs it).
torch_fixtures=""
if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  torch_fixtures="$build/torch-fixtures"
  mkdir -p "$torch_fixtures"
  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tests/fixtures/torch/make_fixtures.py "$torch_fixtures"
fi
"./$build/tests/fuzz/make_seeds" "$build/corpus" $torch_fixtures
for h in $harnesses; do
  corpus="$build/corpus/$h"
  mkdir -p "$corpus"
  cp -n tests/fuzz/corpus/"$h"/* "$corpus"/ 2>/dev/null || true
  log="$build/$h.log"
  if "./$build/tests/fuzz/${h}_fuzz" -max_total_time="$seconds" -rss_limit_mb=2048 \
    -artifact_prefix="$build/crash-$h-" -print_final_stats=1 "$corpus" >"$log" 2>&1; then
    result=ok
  else
    result="CRASH (see $log)"
    failed=1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
  printf '%-11s %12s %8s %8s  %s\n' "$h" "${runs:-?}" "${cov:-?}" "${ft:-?}" "$result"
done
exit $failed
