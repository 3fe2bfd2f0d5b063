#!/usr/bin/env bash
# One GPU session (device tool): train HIPP's encoder E for both shipped wavelet flows
# (64x64 / block 8 and 128x128 / block 16) and, side by side on the same GPU, continue the
# 128x128 plain Glow (a naturalness judge). Same preparation as train_faces.sh, but the tracked
# models now fill most of the 64 MiB a run carries: carry subsets (2,500 64x64 faces at JPEG
# quality 95, 3,500 128x128 at 85, 200 + 100 test faces) and move what the run does not need
# (docs images, attack models, celeba64-glow) out of the tree for the call. Training stops STOP
# seconds after the script starts.
#   bash scripts/gpu/train_encoders.sh 520
set -uo pipefail
STOP=${1:-520}
OUT=${OUT:-out/gpu}
source scripts/gpu/prepare.sh
D64=(--data data-pack/train64.tensors data-pack/train128to64.tensors --test-data data-pack/test64.tensors)
D128=(--data data-pack/train128.tensors --test-data data-pack/test128.tensors)
GLOW=(--device cuda --threads 4 --time-limit "$MIN" --iters 100000000 --checkpoint-minutes 100
      --log-every 100 --eval-every 100000 --eval-images 300 --sample-every 0 --warmup 100)
ENC=(--device cuda --threads 4 --time-limit "$MIN" --checkpoint-minutes 100 --log-every 50 --eval-every 0
     --eval-images 64 --lr 1e-4)
$H train encoder --flow models/celeba64-wavelet --batch 32 "${D64[@]}" --out runs/enc64 "${ENC[@]}" \
  > runs/enc64.log 2>&1 &
$H train encoder --flow models/celeba128-wavelet --batch 16 "${D128[@]}" --out runs/enc128 "${ENC[@]}" \
  > runs/enc128.log 2>&1 &
$H train flow --resume --batch 32 --lr 1e-3 "${D128[@]}" --out models/celeba128-glow "${GLOW[@]}" \
  > runs/glow128.log 2>&1 &
sleep 60; nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv
wait
for r in enc64 enc128 glow128; do echo "== $r"; tr '\r' '\n' < runs/$r.log | grep -v "^train " | tail -4; done
cp runs/enc64/encoder.weights "$OUT/enc64.weights"; cp runs/enc128/encoder.weights "$OUT/enc128.weights"
cp models/celeba128-glow/glow.weights "$OUT/glow128.weights"
cp runs/enc64/train_log.jsonl "$OUT/enc64.jsonl"; cp runs/enc128/train_log.jsonl "$OUT/enc128.jsonl"
cp models/celeba128-glow/train_log.jsonl "$OUT/glow128.jsonl"
ls -la "$OUT"; echo "total: $(( $(date +%s) - T0 )) s"
