#!/usr/bin/env bash
# Runs every libFuzzer harness built by fuzz/build.sh for SECONDS each (default 30), starting
# from the committed seeds (fuzz/corpus/<target>, never written to: new inputs go to
# build-fuzz/corpus). Exit 1 when any harness finds a crash, leak, hang or sanitizer report;
# its reproducer is left in build-fuzz/findings/.
# Usage: fuzz/run.sh [SECONDS] [TARGET...]   (targets: protected_file header image_decode tensor_file key_file http)
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(protected_file header image_decode tensor_file key_file http)
mkdir -p build-fuzz/findings
status=0
for t in "${targets[@]}"; do
  bin=build-fuzz/fuzz_$t
  [ -x "$bin" ] || { echo "fuzz/run.sh: $bin missing: run fuzz/build.sh"; exit 2; }
  work=build-fuzz/corpus/$t
  mkdir -p "$work"
  # Leak checking is off: LibTorch and OpenCV keep one-time allocations that LeakSanitizer reports.
  if ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 OMP_NUM_THREADS=1 \
     "$bin" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=3072 -max_len=65536 -print_final_stats=1 \
     -artifact_prefix=build-fuzz/findings/"$t"- "$work" "fuzz/corpus/$t" > "build-fuzz/$t.log" 2>&1; then
    echo "fuzz/run.sh: $t: $(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "build-fuzz/$t.log" | grep -o '[0-9]*$') inputs in ${seconds} s, no finding"
  else
    echo "fuzz/run.sh: $t: FINDING (build-fuzz/$t.log, build-fuzz/findings/$t-*)"
    grep -m5 -E "ERROR|runtime error|terminate|SUMMARY" "build-fuzz/$t.log"
    status=1
  fi
done
exit $status
