#!/usr/bin/env bash
# Configures and builds hipp into build/ (Release). Extra arguments go to cmake's configure step,
# e.g. -DCMAKE_PREFIX_PATH=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)') on the GPU machine.
set -euo pipefail
cd "$(dirname "$0")/.."
# clang where installed (scripts/setup.sh installs it for fuzzing): its precompiled LibTorch header
# loads lazily, so a clean build takes 351 s here against gcc's 943 s (2 cores; docs/notes.md).
# CXX chooses another compiler; an existing build/ keeps the one it was configured with.
[ -n "${CXX:-}" ] || ! command -v clang++ >/dev/null || export CXX=clang++
gen=(); command -v ninja >/dev/null && gen=(-G Ninja)
[ -f build/CMakeCache.txt ] && gen=()
cmake -S . -B build "${gen[@]}" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build build -j "$(nproc)"
