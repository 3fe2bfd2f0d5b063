#!/usr/bin/env bash
# Trains runs/faces64, a light face flow: the architecture of photos64-wavelet (4 detail levels
# of 4 additive steps, 48 coupling channels; about 13x fewer operations per pixel than
# celeba128-wavelet) on CelebA aligned faces cropped as the GPU face models were (0.85 of the
# short side) and resized to 64x64, whole identities held out (identity_CelebA.txt).
# Not shipped: after 6,194 steps on the CPU it restored 128 px faces with more repairs than
# photos64-wavelet, which is therefore the default there (docs/big-photos.md). Longer training
# (e.g. --device cuda) may change that; compare with
#   build/hipp eval --data out/big/faces128 --size 128 --schemes hipp --model runs/faces64 --flow none
# Resumable: rerun with --resume. Extra arguments go to `hipp train flow`.
#   bash scripts/train_faces_light.sh --time-limit 70
# ITERS=N ends the run at step N (with --lr-final, the cosine ends there).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data/faces}
exec build/hipp train flow --arch wavelet --size 64 --crop 0.85 \
  --levels 4 --steps 4 --hidden 48 --cond-hidden 16 --base-levels 1 --base-steps 2 --base-hidden 32 \
  --data "$DATA/celeba-aligned-178x218" "$DATA/celeba-aligned-89x109" --identities "$DATA/identity_CelebA.txt" \
  --domain faces --test-fraction 0.1 --noise 1.5 \
  --batch 32 --lr 1e-3 --warmup 200 --iters "${ITERS:-100000000}" --checkpoint-minutes 5 \
  --log-every 100 --eval-every 1000 --eval-images 256 --sample-every 0 \
  --out runs/faces64 "$@"
