#!/usr/bin/env bash
# Packs, here, what the portable build of hipp needs on the GPU machine beyond its LibTorch
# (CMakeLists.txt, HIPP_PORTABLE): Debian's static libpng, libjpeg-turbo, zlib, libsodium and
# libzstd with their headers, and the header-only fmt, spdlog, CLI11 and nlohmann. One tar file
# under gpu-carry/ (git-ignored), about 4 MB; the trainer-only build uses the same tar.
set -euo pipefail
cd "$(dirname "$0")/../.."
L=/usr/lib/x86_64-linux-gnu
rm -rf gpu-deps && mkdir -p gpu-deps/include gpu-deps/lib gpu-carry
cp -r /usr/include/{fmt,spdlog,CLI,nlohmann,sodium,sodium.h} gpu-deps/include/
cp /usr/include/{png.h,pngconf.h,pnglibconf.h,zlib.h,zconf.h,jpeglib.h,jmorecfg.h,jerror.h,zstd.h,zstd_errors.h} \
   gpu-deps/include/
cp /usr/include/x86_64-linux-gnu/jconfig.h gpu-deps/include/
cp $L/libpng16.a $L/libjpeg.a $L/libz.a $L/libsodium.a $L/libzstd.a gpu-deps/lib/
tar cf gpu-carry/gpu-deps.tar gpu-deps
du -sh gpu-carry/gpu-deps.tar
