#!/usr/bin/env bash
# Fresh Debian 12 -> installed, built, and the main job run on a bundled example image.
# Writes into out/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
mkdir -p out
img=examples/bsds_100007.jpg
model=models/celeba64-glow
build/hipp thumbnail "$img" --block 16 --upscale -o out/thumbnail.png
build/hipp flow recon "$img" tests/fixtures/scenes/{forest,sea,street}.jpg --model "$model" -o out/recon.png
build/hipp flow sample --model "$model" -n 16 -t 0.7 -o out/samples.png
echo "quickstart: wrote out/thumbnail.png, out/recon.png, out/samples.png"
