#!/usr/bin/env bash
# Trains photos64-wavelet, the light wavelet flow that protects big photos (docs/speed.md): 4
# steps of 48 channels per level instead of celeba128-wavelet's 8 of 112, about 13x fewer
# operations per pixel, on scenes (photos256 and BSDS500, 10% held out by file-name hash).
# Resumable: rerun with --resume to continue from runs/photos64/checkpoint.weights. Extra
# arguments go to `hipp train flow` (e.g. --time-limit 75 --device cuda).
#   bash scripts/train_photos.sh --time-limit 75
#   cp runs/photos64/wavelet.weights runs/photos64/train_log.jsonl models/photos64-wavelet/
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data/scenes}
exec build/hipp train flow --arch wavelet --size 64 --crop 1.0 \
  --levels 4 --steps 4 --hidden 48 --cond-hidden 16 --base-levels 1 --base-steps 2 --base-hidden 32 \
  --data "$DATA/photos256" "$DATA/bsds500" --domain photos --test-fraction 0.1 --noise 1.5 \
  --batch 32 --lr 1e-3 --warmup 200 --iters 100000000 --checkpoint-minutes 5 \
  --log-every 100 --eval-every 1000 --eval-images 256 --sample-every 0 \
  --out runs/photos64 "$@"
