#!/usr/bin/env bash
# Fresh Debian 12 -> installed, built, and the main job run on a bundled example photo:
# a key, the protected image, its restoration, and how close each is to the original.
# Writes into out/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
mkdir -p out
img=examples/bsds_100007.jpg
[ -f out/key.key ] || build/hipp keygen -o out/key.key
build/hipp protect "$img" -o out/protected.png -k out/key.key --force
build/hipp restore out/protected.png -o out/restored.png -k out/key.key --force
build/hipp info out/protected.png
echo -n "restored  vs original: "; build/hipp compare "$img" out/restored.png -b 16
echo -n "protected vs original: "; build/hipp compare "$img" out/protected.png -b 16
build/hipp thumbnail "$img" --block 16 --upscale -o out/thumbnail.png
echo "quickstart: wrote out/key.key, out/protected.png, out/restored.png, out/thumbnail.png"
