#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite (GoogleTest under CTest), then
# each fuzzer for a few seconds from its seeds (fuzz/README.md): a finding fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
phase() { echo "== test.sh: $1 done at ${SECONDS}s"; }
bash scripts/setup.sh
phase setup
bash scripts/build.sh
phase build
# The fuzzers build (clang, one core most of the time) while the tests run.
mkdir -p build-fuzz
bash fuzz/build.sh > build-fuzz/build.log 2>&1 &
fuzz_build=$!
(cd build && ctest --output-on-failure -j1)
phase tests
wait "$fuzz_build" || { cat build-fuzz/build.log; echo "fuzz/build.sh failed"; exit 1; }
phase "fuzzer build"
bash fuzz/run.sh 5
phase fuzzing
