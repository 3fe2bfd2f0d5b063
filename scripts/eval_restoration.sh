#!/usr/bin/env bash
# Restoration on every kind of photo (docs/restoration.md): writes the stress set, then runs
# `hipp eval` (hipp only) at 64, 128 and 256 px on faces, scenes and the stress set, each folder
# a set with its own mean / 5th percentile / minimum row. Usage:
#   bash scripts/eval_restoration.sh [OUT=out/restoration] [DATA=../shared/data] [extra hipp eval flags, e.g. --lossless]
# Images per set: LIMIT64, LIMIT128, LIMIT256 (default 60, 30, 10); the stress set takes
# STRESS_PER_SOURCE photos from each source folder (default 4).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-out/restoration}; DATA=${2:-../shared/data}; shift $(( $# < 2 ? $# : 2 ))
H=build/hipp
[ -x $H ] || bash scripts/build.sh
for d in "$DATA/faces/celeba-test-crops" "$DATA/scenes/bsds500/test" "$DATA/scenes/photos256"; do
  [ -d "$d" ] || { echo "eval_restoration.sh: $d is missing (the data sets of ../shared/data)" >&2; exit 1; }
done
P=$DATA/scenes/photos256
STRESS=$OUT/stress
[ -d "$STRESS" ] || $H -q data stress --data "$DATA/faces/celeba-test-crops" "$DATA/scenes/bsds500/test" "$P/lsun-bedroom" \
  "$P/landscape-photos" "$P/house-rooms" "$P/landmark-buildings" --limit "${STRESS_PER_SOURCE:-4}" -o "$STRESS"
for size in 64 128 256; do
  limit_var=LIMIT$size; default=$([ $size = 64 ] && echo 60 || ([ $size = 128 ] && echo 30 || echo 10))
  limit=${!limit_var:-$default}
  sets=("$DATA/faces/celeba-test-crops" "$DATA/scenes/bsds500/test" "$P/lsun-bedroom" "$P/landscape-photos" "$P/house-rooms"
        "$P/landmark-buildings")
  for t in $(ls "$STRESS/$size"); do sets+=("$STRESS/$size/$t"); done
  echo "== $size px"
  $H -q eval --schemes hipp --flow none --size $size --limit "$limit" --grid-rows 0 --data "${sets[@]}" --out "$OUT/$size" "$@" |
    sed -n '/^| set /,$p'
done
