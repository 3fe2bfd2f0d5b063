#!/usr/bin/env bash
# Trains the light wavelet flows that protect big photos (docs/big-photos.md) on scenes
# (photos256 and BSDS500, 10% held out by file-name hash):
#   photos64  (default): 4 steps of 48 channels per level, about 13x fewer operations per pixel
#                        than celeba128-wavelet's 8 of 112
#   photos64-lite:       2 steps of 32 channels, about 3x fewer again, for photos of many
#                        megapixels
# Resumable: rerun with --resume to continue from runs/<name>/checkpoint.weights. Extra
# arguments go to `hipp train flow` (e.g. --time-limit 75 --device cuda).
#   bash scripts/train_photos.sh --time-limit 72
#   MODEL=photos64-lite bash scripts/train_photos.sh --time-limit 55
# ITERS=N ends the run at step N (with --lr-final, the cosine ends there).
#   cp runs/photos64/{wavelet.weights,train_log.jsonl} models/photos64-wavelet/
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data/scenes}
case "${MODEL:-photos64}" in
  photos64) ARCH=(--steps 4 --hidden 48) OUT=runs/photos64 ;;
  photos64-lite) ARCH=(--steps 2 --hidden 32) OUT=runs/photos64-lite ;;
  *) echo "MODEL must be photos64 or photos64-lite" >&2; exit 2 ;;
esac
exec build/hipp train flow --arch wavelet --size 64 --crop 1.0 \
  --levels 4 "${ARCH[@]}" --cond-hidden 16 --base-levels 1 --base-steps 2 --base-hidden 32 \
  --data "$DATA/photos256" "$DATA/bsds500" --domain photos --test-fraction 0.1 --noise 1.5 \
  --batch 32 --lr 1e-3 --warmup 200 --iters "${ITERS:-100000000}" --checkpoint-minutes 5 \
  --log-every 100 --eval-every 1000 --eval-images 256 --sample-every 0 \
  --out "$OUT" "$@"
