#!/usr/bin/env bash
# Installs the Debian packages hipp needs (Debian 12). Safe to rerun.
set -euo pipefail
PKGS=(build-essential cmake ninja-build pkg-config
      libtorch-dev libopencv-dev libopencv-contrib-dev opencv-data libsodium-dev libcli11-dev nlohmann-json3-dev
      libspdlog-dev libgtest-dev libgmock-dev libbenchmark-dev libcpp-httplib-dev libzstd-dev libjxl-dev libheif-dev
      libpng-dev libjpeg62-turbo-dev zlib1g-dev libopenblas0-openmp chromium clang)
# libpng and libjpeg-turbo: hipp reads and writes PNG and JPEG through them directly (OpenCV
# only for other formats), so the portable build for the GPU machine needs no OpenCV.
# libjxl-dev: a protected JPEG keeps its original recompressed by JPEG XL, losslessly (docs/jpeg.md).
# libheif-dev: HEIF photos (HEIC from phones, AVIF) are read and kept whole in their protected JPEG.
# libopencv-contrib-dev, opencv-data: BRISQUE and the face cascade in `hipp eval` (their model files).
# clang: the fuzzers (fuzz/). chromium (and npm, below): the browser test of hipp serve's page (tests/browser, puppeteer-core).
# libopenblas0-openmp: Debian's LibTorch calls the system BLAS, by default the reference one,
# 16x slower on the flows' 1x1 convolutions; the OpenMP build shares LibTorch's threads.
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
# npm by command, not by package: a Node.js from elsewhere (NodeSource) brings its own npm and
# conflicts with Debian's.
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# face-api's models (MIT): dlib's face recognition network, for the identity-privacy metric, and
# the tiny face detector and 68-point landmarks, for the face detection rate of naturalness and
# to frame the face before identity is measured. Fetched once with npm;
# nothing is downloaded at run time. Each weights file is checked against its SHA-256.
FACE_DIR=third_party/face-api/model
FACE_MODELS=(
  "face_recognition_model b413e420d6840b2775fba32008db6f3cddb07d485967fb42cfcf379c16a8c589"
  "tiny_face_detector_model b7503ce7df31039b1c43316a9b865cab6a70dd748cc602d3fa28b551503c3871"
  "face_landmark_68_tiny_model b98e9f2f7da76f8a6dda9741a36ed485b224b889d552de2b2c1bb16217f67bfc"
)
cd "$(dirname "$0")/.."
face_missing=()
for m in "${FACE_MODELS[@]}"; do
  set -- $m
  echo "$2  $FACE_DIR/$1.bin" | sha256sum -c --status 2>/dev/null && [ -f "$FACE_DIR/$1-weights_manifest.json" ] ||
    face_missing+=("$m")
done
if [ ${#face_missing[@]} -gt 0 ]; then
  if ! command -v npm >/dev/null; then
    echo "setup.sh: npm is missing: install it (apt-get install npm) to fetch the face models, or skip the face metrics" >&2
    exit 1
  fi
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent @vladmandic/face-api@1.7.15 >/dev/null)
  mkdir -p "$FACE_DIR"
  for m in "${face_missing[@]}"; do
    set -- $m
    tar -xzf "$tmp"/vladmandic-face-api-1.7.15.tgz -C "$tmp" package/model/"$1".bin package/model/"$1"-weights_manifest.json
    echo "$2  $tmp/package/model/$1.bin" | sha256sum -c --status ||
      { echo "setup.sh: $1.bin does not have the expected SHA-256" >&2; exit 1; }
    mv "$tmp"/package/model/"$1".bin "$tmp"/package/model/"$1"-weights_manifest.json "$FACE_DIR"/
    echo "setup.sh: fetched face-api's $1 into $FACE_DIR"
  done
fi

# puppeteer-core for the browser test (tests/browser/package-lock.json pins it); it drives the
# Debian chromium above and downloads no browser.
if [ ! -d tests/browser/node_modules/puppeteer-core ]; then
  if (cd tests/browser && npm ci --silent --no-audit --no-fund); then
    echo "setup.sh: installed puppeteer-core into tests/browser/node_modules"
  else
    echo "setup.sh: could not install puppeteer-core (no network?): the browser test will be skipped" >&2
  fi
fi
