#!/usr/bin/env bash
# Naturalness of protected images next to their originals (issue 20's measures): BRISQUE, the
# face detection rate (face-api's tiny detector; the Haar cascade as a second opinion) and bits/dim
# under an independent judge, from `hipp eval`, for HIPP and ideal TPE, on held-out
#   faces at 128 px (CelebA's test crops; judge celeba128-glow),
#   portrait photos at 128 px (the whole aligned 178x218 CelebA frame, test identities), where the
#     identity metric is measured on the face the detector cuts out,
#   scenes at 256 px (photos256's test split, 10% by file-name hash as in scripts/train_photos.sh;
#     judge photos256-glow),
#   scenes at 128 px (the same split; judge photos256-glow, run at 128),
#   portrait photos at 256 px (the aligned frames of test identities, upscaled: no face set here
#     has 256 px faces; judge celeba128-glow, run at 256).
# Usage: bash scripts/eval_naturalness.sh [OUT=out/naturalness] [DATA=../shared/data]
# Images: FACES (default 50), PORTRAITS (default 50), SCENES (default 30), SCENES128 (default 50),
# PORTRAITS256 (default 30).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-out/naturalness}; DATA=${2:-../shared/data}
H=build/hipp
[ -x $H ] || bash scripts/build.sh
mkdir -p "$OUT"
scenes="$OUT/scenes256-test"
[ -d "$scenes" ] || $H -q data pack --data "$DATA/scenes/photos256" --split test --test-fraction 0.1 --size 256 \
  --limit "${SCENES:-30}" --quality 95 -o "$scenes"
portraits="$OUT/portraits128-test"
[ -d "$portraits" ] || $H -q data pack --data "$DATA/faces/celeba-aligned-178x218" --split test \
  --identities "$DATA/faces/identity_CelebA.txt" --size 128 --limit "${PORTRAITS:-50}" --quality 95 -o "$portraits"
$H --threads 1 eval --data "$DATA/faces/celeba-test-crops" --crop 0.7 --size 128 --limit "${FACES:-50}" \
  --schemes hipp,hipp-smooth,tpe-ideal --out "$OUT/faces128"
$H --threads 1 eval --data "$portraits" --size 128 --schemes hipp,hipp-smooth,tpe-ideal --out "$OUT/portraits128"
$H --threads 1 eval --data "$scenes" --size 256 --schemes hipp,hipp-smooth,tpe-ideal --flow models/photos256-glow --out "$OUT/scenes256"
scenes128="$OUT/scenes128-test"
[ -d "$scenes128" ] || $H -q data pack --data "$DATA/scenes/photos256" --split test --test-fraction 0.1 --size 128 \
  --limit "${SCENES128:-50}" --quality 95 -o "$scenes128"
$H --threads 1 eval --data "$scenes128" --size 128 --schemes hipp,hipp-smooth,tpe-ideal --flow models/photos256-glow --out "$OUT/scenes128"
portraits256="$OUT/portraits256-test"
[ -d "$portraits256" ] || $H -q data pack --data "$DATA/faces/celeba-aligned-178x218" --split test \
  --identities "$DATA/faces/identity_CelebA.txt" --size 256 --limit "${PORTRAITS256:-30}" --quality 95 -o "$portraits256"
$H --threads 1 eval --data "$portraits256" --size 256 --schemes hipp,hipp-smooth,tpe-ideal --flow models/celeba128-glow \
  --out "$OUT/portraits256"
