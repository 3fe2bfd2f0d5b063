#!/usr/bin/env bash
# Installs the Debian packages hipp needs (Debian 12). Safe to rerun.
set -euo pipefail
PKGS=(build-essential cmake ninja-build pkg-config
      libtorch-dev libopencv-dev libopencv-contrib-dev opencv-data libsodium-dev libcli11-dev nlohmann-json3-dev
      libspdlog-dev libgtest-dev libgmock-dev libbenchmark-dev libcpp-httplib-dev libzstd-dev
      libpng-dev libjpeg62-turbo-dev zlib1g-dev libopenblas0-openmp chromium clang)
# libpng and libjpeg-turbo: hipp reads and writes PNG and JPEG through them directly (OpenCV
# only for other formats), so the portable build for the GPU machine needs no OpenCV.
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

# dlib's face recognition network as face-api ships it (MIT), for the identity-privacy metric.
# Fetched once with npm; nothing is downloaded at run time.
FACE_DIR=third_party/face-api/model
FACE_BIN_SHA256=b413e420d6840b2775fba32008db6f3cddb07d485967fb42cfcf379c16a8c589
cd "$(dirname "$0")/.."
if ! echo "$FACE_BIN_SHA256  $FACE_DIR/face_recognition_model.bin" | sha256sum -c --status 2>/dev/null; then
  if ! command -v npm >/dev/null; then
    echo "setup.sh: npm is missing: install it (apt-get install npm) to fetch the face model, or skip the face metric" >&2
    exit 1
  fi
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent @vladmandic/face-api@1.7.15 >/dev/null)
  tar -xzf "$tmp"/vladmandic-face-api-1.7.15.tgz -C "$tmp" \
    package/model/face_recognition_model.bin package/model/face_recognition_model-weights_manifest.json
  echo "$FACE_BIN_SHA256  $tmp/package/model/face_recognition_model.bin" | sha256sum -c --status ||
    { echo "setup.sh: face_recognition_model.bin does not have the expected SHA-256" >&2; exit 1; }
  mkdir -p "$FACE_DIR"
  mv "$tmp"/package/model/face_recognition_model* "$FACE_DIR"/
  echo "setup.sh: fetched the face recognition model into $FACE_DIR"
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
