#!/usr/bin/env bash
# Builds the libFuzzer harnesses (fuzz/fuzz_*.cpp) with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer into build-fuzz/, compiling only the sources they reach, in parallel,
# with LibTorch's headers precompiled once (they are most of each file's compile time).
# Usage: fuzz/build.sh   (then fuzz/run.sh; fuzz_http needs scripts/build.sh's build/ first)
set -euo pipefail
cd "$(dirname "$0")/.."
out=build-fuzz
mkdir -p "$out/obj"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
# The HTTP defines are cpp-httplib's (Debian builds it with them); every file gets them so that
# all share one precompiled header, whose macros must match each command line.
FLAGS=(-std=c++17 -O1 -g $SAN -Isrc -Ibuild/generated -isystem /usr/include/torch/csrc/api/include
       -isystem /usr/include/opencv4 -D_GLIBCXX_USE_CXX11_ABI=1 -DHIPP_WITH_IMAGES -DHIPP_WITH_OPENCV
       -DHIPP_WITH_SERVER -DSPDLOG_COMPILED_LIB -DSPDLOG_FMT_EXTERNAL -DSPDLOG_SHARED_LIB -DFMT_SHARED
       $(pkg-config --cflags cpp-httplib) -fsanitize=fuzzer-no-link)
SOURCES=(src/common/error.cpp src/common/files.cpp src/crypto/keystream.cpp src/keys/key.cpp
         src/container/protected_png.cpp src/container/protected_jpeg.cpp src/io/tensor_file.cpp
         src/image/image.cpp src/image/jpeg_segments.cpp src/image/png_codec.cpp src/image/jpeg_codec.cpp src/image/exif.cpp
         src/image/other_formats_opencv.cpp src/image/heif_libheif.cpp)
LIBS=(-ltorch -ltorch_cpu -lc10 -lsodium -lpng -ljpeg -lz -lzstd -lspdlog -lfmt
      -lopencv_core -lopencv_imgcodecs -lopencv_imgproc -lheif -lpthread)
jobs=$(nproc)

pch="$out/torch.pch"
if [ ! -f "$pch" ] || [ "$0" -nt "$pch" ]; then
  echo "fuzz/build.sh: $pch"
  echo '#include <torch/torch.h>' > "$out/torch_pch.h"
  clang++ "${FLAGS[@]}" -x c++-header "$out/torch_pch.h" -o "$pch"
fi
CFLAGS=("${FLAGS[@]}" -include-pch "$pch")

# Runs "$@" in the background, at most $jobs at once.
spawn() {
  "$@" &
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
}
# Whether $1 is missing or older than its source $2, this script, or any header under src/.
stale() {
  [ ! -f "$1" ] || [ "$2" -nt "$1" ] || [ "$0" -nt "$1" ] || [ "$pch" -nt "$1" ] ||
    [ -n "$(find src -name '*.h' -newer "$1" -print -quit)" ]
}

objs=()
for s in "${SOURCES[@]}"; do
  o="$out/obj/$(basename "${s%.cpp}").o"
  if stale "$o" "$s"; then
    echo "fuzz/build.sh: $s"
    spawn clang++ "${CFLAGS[@]}" -c "$s" -o "$o"
  fi
  objs+=("$o")
done
while [ "$(jobs -rp | wc -l)" -gt 0 ]; do wait -n; done  # each wait -n fails the script if its job failed

# Harnesses: compiled with the precompiled header (which has no -fsanitize=fuzzer), then linked.
harness() {  # harness TARGET SOURCE... -- LINK_ARGS...
  local t=$1 hobjs=() a
  shift
  while [ "$1" != -- ]; do
    a="$out/obj/h_$(basename "${1%.cpp}").o"
    clang++ "${CFLAGS[@]}" -c "$1" -o "$a"
    hobjs+=("$a")
    shift
  done
  shift
  clang++ "${FLAGS[@]}" -fsanitize=fuzzer "${hobjs[@]}" "$@" -o "$t"
}
for h in fuzz/fuzz_*.cpp; do
  [ "$h" = fuzz/fuzz_http.cpp ] && continue
  t="$out/$(basename "${h%.cpp}")"
  echo "fuzz/build.sh: $t"
  spawn harness "$t" "$h" -- "${objs[@]}" "${LIBS[@]}"
done
# The HTTP harness reaches the whole core (models, every scheme): rather than build it all again
# with clang, it links the regular build's libhipp_core.a (g++, same libstdc++), so only the
# routes (src/server/server.cpp, compiled here) are instrumented; the core's parsers have their
# own harnesses above. cpp-httplib is Debian's shared library: run, not instrumented.
core=build/libhipp_core.a
if [ -f "$core" ]; then
  echo "fuzz/build.sh: $out/fuzz_http"
  spawn harness "$out/fuzz_http" fuzz/fuzz_http.cpp src/server/server.cpp -- "$core" "${LIBS[@]}" \
    $(pkg-config --libs cpp-httplib libjxl libheif) -lprotobuf
else
  echo "fuzz/build.sh: no $core (run scripts/build.sh first): fuzz_http not built"
fi
while [ "$(jobs -rp | wc -l)" -gt 0 ]; do wait -n; done
