#!/usr/bin/env bash
# One GPU session: continue the shipped wavelet flows with training noise (--noise NOISE grey
# levels), which bounds how much they amplify 8-bit rounding in HIPP's restoration. Same
# preparation and carry as train_faces.sh; training stops STOP seconds after the start.
#   bash scripts/gpu/finetune_wavelets.sh 200 1.5
set -uo pipefail
STOP=${1:-200}
NOISE=${2:-1.5}
OUT=${OUT:-out/gpu}
source scripts/gpu/prepare.sh
COMMON=(--device cuda --threads 8 --time-limit "$MIN" --iters 100000000 --checkpoint-minutes 100 --noise "$NOISE"
        --log-every 100 --eval-every 100000 --eval-images 300 --sample-every 0 --warmup 100 --lr 5e-4)
for m in 64 128; do mkdir -p runs/w$m && cp models/celeba$m-wavelet/* runs/w$m/; done
$H train flow --resume --batch 64 --data data-pack/train64.tensors data-pack/train128to64.tensors \
  --test-data data-pack/test64.tensors --out runs/w64 "${COMMON[@]}" > runs/w64.log 2>&1 &
$H train flow --resume --batch 32 --data data-pack/train128.tensors --test-data data-pack/test128.tensors \
  --out runs/w128 "${COMMON[@]}" > runs/w128.log 2>&1 &
wait
for m in 64 128; do
  tr '\r' '\n' < runs/w$m.log | grep -v "^train flow" | tail -3
  cp runs/w$m/wavelet.weights "$OUT/wavelet$m.weights"; cp runs/w$m/train_log.jsonl "$OUT/wavelet$m.jsonl"
done
echo "total: $(( $(date +%s) - T0 )) s"
