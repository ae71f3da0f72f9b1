#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz (a separate clang tree configured
# with -DVAULT_FUZZ=ON) and runs each for a set time.
#
#   scripts/fuzz.sh [--build-dir DIR] [--seconds N] [--jobs N] [--build-only]
#                   [--no-build] [TARGET...]
#
# Defaults: build-fuzz, $FUZZ_SECONDS or 300 s per target, $JOBS or nproc
# targets at a time, every target. Seeds come from tests/fuzz/corpus/<target>
# (read-only); what a run learns goes to DIR/corpus/<target>; a crash leaves
# its input in DIR/artifacts/<target>/ and fails the run: fix the bug, then
# copy the input into the seed corpus so it stays fixed. Exits 77 (ctest:
# skipped) when clang or libFuzzer is not installed.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build_dir=build-fuzz
seconds=${FUZZ_SECONDS:-300}
jobs=${JOBS:-$(nproc)}
build=1
run=1
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build_dir=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --build-only) run=0; shift ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
case "$build_dir" in /*) ;; *) build_dir=$src/$build_dir ;; esac

clangxx=$(command -v clang++ || command -v clang++-14 || true)
clangc=$(command -v clang || command -v clang-14 || true)
if [ -z "$clangxx" ] || [ -z "$clangc" ]; then
  echo "fuzz.sh: clang++ not found (apt-get install clang libclang-rt-dev); skipping" >&2
  exit 77
fi
if ! echo 'extern "C" int LLVMFuzzerTestOneInput(const char*, unsigned long){return 0;}' |
    "$clangxx" -x c++ -fsanitize=fuzzer - -o /dev/null 2>/dev/null; then
  echo "fuzz.sh: clang has no libFuzzer (apt-get install libclang-rt-dev); skipping" >&2
  exit 77
fi

if [ "$build" = 1 ]; then
  # One build at a time per tree: ctest may start several runs together.
  mkdir -p "$build_dir"
  exec 9>"$build_dir/.fuzz-build.lock"
  flock 9
  if [ ! -f "$build_dir/CMakeCache.txt" ]; then
    # -Werror (from $CI) is for the gcc build; clang's extra warnings in
    # code under test must not stop fuzzing.
    env -u CI CC="$clangc" CXX="$clangxx" cmake -S "$src" -B "$build_dir" \
      -DVAULT_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build_dir/configure.log" 2>&1 ||
      { cat "$build_dir/configure.log" >&2; exit 1; }
  fi
  env -u CI cmake --build "$build_dir" --target fuzz_targets -j "$jobs" \
    >"$build_dir/build.log" 2>&1 || { tail -n 60 "$build_dir/build.log" >&2; exit 1; }
  flock -u 9
fi
[ "$run" = 1 ] || { echo "fuzz.sh: fuzz targets built in $build_dir"; exit 0; }

if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(grep -v '^$' "$build_dir/fuzz_targets.txt")
fi

# Runs one target; prints one summary line; returns non-zero on a crash.
run_one() {
  local t=$1
  local bin=$build_dir/tests/fuzz/$t
  local seeds=$src/tests/fuzz/corpus/$t
  local work=$build_dir/corpus/$t
  local artifacts=$build_dir/artifacts/$t
  local log=$build_dir/logs/$t.log
  [ -x "$bin" ] || { echo "$t: not built ($bin)"; return 1; }
  mkdir -p "$work" "$artifacts" "$(dirname "$log")" "$seeds"
  local dict=()
  [ -f "$src/tests/fuzz/$t.dict" ] && dict=(-dict="$src/tests/fuzz/$t.dict")
  local rc=0
  # Seeds first so every run re-checks every saved crash input.
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
      -print_final_stats=1 -error_exitcode=3 -timeout_exitcode=4 -artifact_prefix="$artifacts/" "${dict[@]}" \
      "$work" "$seeds" >"$log" 2>&1 || rc=$?
  local execs corpus
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
  corpus=$(find "$work" -type f | wc -l)
  if [ "$rc" -ne 0 ]; then
    echo "$t: CRASH after ${execs:-?} executions (exit $rc); input in $artifacts/, log $log"
    grep -m1 -E 'ERROR: |runtime error|property broken|deadly signal|Timeout' "$log" || true
    return 1
  fi
  echo "$t: ${execs:-?} executions in ${seconds}s, 0 crashes, corpus $corpus (+$(find "$seeds" -type f | wc -l) seeds)"
}

mkdir -p "$build_dir/logs"
for t in "${targets[@]}"; do
  rm -f "$build_dir/logs/$t.summary" "$build_dir/logs/$t.rc"
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 1; done
  ( rc=0; run_one "$t" >"$build_dir/logs/$t.summary" 2>&1 || rc=$?
    echo "$rc" >"$build_dir/logs/$t.rc" ) &
done
wait
failed=0
for t in "${targets[@]}"; do
  cat "$build_dir/logs/$t.summary"
  [ "$(cat "$build_dir/logs/$t.rc" 2>/dev/null)" = 0 ] || failed=1
done
exit "$failed"
