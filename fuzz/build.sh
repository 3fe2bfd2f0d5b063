#!/usr/bin/env bash
# Builds the libFuzzer harnesses (fuzz/fuzz_*.cpp) with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer into build-fuzz/, compiling only the sources they reach.
# Usage: fuzz/build.sh   (then fuzz/run.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
out=build-fuzz
mkdir -p "$out/obj"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
FLAGS=(-std=c++17 -O1 -g $SAN -Isrc -isystem /usr/include/torch/csrc/api/include -isystem /usr/include/opencv4
       -D_GLIBCXX_USE_CXX11_ABI=1 -DHIPP_WITH_IMAGES -DHIPP_WITH_OPENCV -DSPDLOG_COMPILED_LIB -DSPDLOG_FMT_EXTERNAL
       -DSPDLOG_SHARED_LIB -DFMT_SHARED)
SOURCES=(src/common/error.cpp src/common/files.cpp src/crypto/keystream.cpp src/keys/key.cpp
         src/container/protected_png.cpp src/container/protected_jpeg.cpp src/io/tensor_file.cpp
         src/image/image.cpp src/image/png_codec.cpp src/image/jpeg_codec.cpp src/image/other_formats_opencv.cpp)
objs=()
for s in "${SOURCES[@]}"; do
  o="$out/obj/$(basename "${s%.cpp}").o"
  if [ ! -f "$o" ] || [ "$s" -nt "$o" ]; then
    echo "fuzz/build.sh: $s"
    clang++ "${FLAGS[@]}" -fsanitize=fuzzer-no-link -c "$s" -o "$o"
  fi
  objs+=("$o")
done
LIBS=(-ltorch -ltorch_cpu -lc10 -lsodium -lpng -ljpeg -lz -lzstd -lspdlog -lfmt
      -lopencv_core -lopencv_imgcodecs -lopencv_imgproc -lpthread)
for h in fuzz/fuzz_*.cpp; do
  t="$out/$(basename "${h%.cpp}")"
  echo "fuzz/build.sh: $t"
  clang++ "${FLAGS[@]}" -fsanitize=fuzzer "$h" "${objs[@]}" "${LIBS[@]}" -o "$t"
done
