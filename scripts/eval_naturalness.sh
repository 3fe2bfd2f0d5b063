#!/usr/bin/env bash
# Naturalness of protected images next to their originals (issue 20's measures): BRISQUE, the
# face cascade's detection rate and bits/dim under an independent judge, from `hipp eval`, on
# held-out faces at 128 px and held-out scenes at 256 px (photos256's test split, 10% by file-name
# hash as in scripts/train_photos.sh), for HIPP and ideal TPE. Usage:
#   bash scripts/eval_naturalness.sh [OUT=out/naturalness] [DATA=../shared/data]
# Images: FACES (default 50), SCENES (default 30).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-out/naturalness}; DATA=${2:-../shared/data}
H=build/hipp
[ -x $H ] || bash scripts/build.sh
mkdir -p "$OUT"
scenes="$OUT/scenes256-test"
[ -d "$scenes" ] || $H -q data pack --data "$DATA/scenes/photos256" --split test --test-fraction 0.1 --size 256 \
  --limit "${SCENES:-30}" --quality 95 -o "$scenes"
$H --threads 1 eval --data "$DATA/faces/celeba-test-crops" --crop 0.7 --size 128 --limit "${FACES:-50}" \
  --schemes hipp,tpe-ideal --out "$OUT/faces128"
$H --threads 1 eval --data "$scenes" --size 256 --schemes hipp,tpe-ideal --flow none --out "$OUT/scenes256"
