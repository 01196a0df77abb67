#!/bin/sh
# Builds the LibTorch-free libraries and their unit tests with AddressSanitizer +
# UndefinedBehaviorSanitizer and assertions on (CMake option MPGRU_SANITIZE) in build-asan, and
# runs every test program once (except the slow-labelled *_slow_test ones), whole (one process per program, not per test as CTest does: the
# shared fixtures are built once, which keeps the run to minutes under ASan). A sanitizer report
# fails the program; the script exits non-zero if any program failed.
#
#   scripts/sanitize.sh
#
# Environment: SANITIZE_BUILD (default build-asan), JOBS (default 2).
set -eu
cd "$(dirname "$0")/.."
build=${SANITIZE_BUILD:-build-asan}
cmake -S . -B "$build" -G Ninja -DMPGRU_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMPGRU_WERROR=ON -DMPGRU_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j "$(nproc)"
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
failed=""
for program in "$build"/tests/*_test; do
  name=$(basename "$program")
  case $name in *_slow_test) continue ;; esac  # the slow-labelled programs: not in make test
  start=$(date +%s)
  if (cd "$build/tests" && "./$name" --gtest_brief=1 >"$name.log" 2>&1); then
    result=ok
  else
    result="FAILED (see $build/tests/$name.log)"
    failed="$failed $name"
    tail -n 40 "$build/tests/$name.log"
  fi
  tests=$(sed -n 's/^\[==========\] \([0-9]*\) tests.*ran.*/\1/p' "$build/tests/$name.log")
  printf 'sanitize: %-12s %5s tests  %4d s  %s\n' "$name" "${tests:-?}" $(($(date +%s) - start)) "$result"
done
if [ -n "$failed" ]; then
  echo "sanitize: failed:$failed" >&2
  exit 1
fi
