#!/usr/bin/env bash
# One GPU session (device tool): build hipp-train against the machine's PyTorch, unpack the
# carried face crops, train the face flows side by side for MINUTES, and leave weights and
# logs in $OUT (at most 8 files come back). Training stops STOP seconds after the script starts
# (build and unpack included), so the whole run fits one device call. Prepare the carried data first, here:
#   scripts/gpu/pack_faces.sh          # writes data-pack/ (git-ignored)
#   scripts/gpu/pack_deps.sh           # writes gpu-carry/gpu-deps.tar
#   tar czf gpu-carry/data-pack.tgz data-pack
# (one file each: the carry limit counts disk blocks, and 16,000 small files waste many), then run
# with carry ["gpu-carry"]:  bash scripts/gpu/train_faces.sh 480
set -uo pipefail
STOP=${1:-480}
OUT=${OUT:-out/gpu}
source scripts/gpu/prepare.sh
COMMON=(--device cuda --threads 4 --time-limit "$MIN" --iters 100000000 --checkpoint-minutes 100
        --log-every 100 --eval-every 2000 --eval-images 300 --sample-every 0 --warmup 200)
D64=(--data data-pack/train64.tensors data-pack/train128to64.tensors --test-data data-pack/test64.tensors)
D128=(--data data-pack/train128.tensors --test-data data-pack/test128.tensors)
$H train flow --arch wavelet --size 64 --levels 3 --steps 8 --hidden 128 --batch 64 --lr 1e-3 \
  "${D64[@]}" --out runs/wavelet64 "${COMMON[@]}" > runs/wavelet64.log 2>&1 &
$H train flow --arch wavelet --size 128 --levels 4 --steps 8 --hidden 112 --batch 32 --lr 1e-3 \
  "${D128[@]}" --out runs/wavelet128 "${COMMON[@]}" > runs/wavelet128.log 2>&1 &
$H train flow --resume --batch 64 --lr 1e-3 "${D64[@]}" --out models/celeba64-glow "${COMMON[@]}" \
  > runs/glow64.log 2>&1 &
$H train flow --arch glow --size 128 --levels 4 --steps 8 --hidden 128 --batch 32 --lr 1e-3 \
  "${D128[@]}" --out runs/glow128 "${COMMON[@]}" > runs/glow128.log 2>&1 &
sleep 60; nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv
wait
for r in wavelet64 wavelet128 glow64 glow128; do echo "== $r"; tr '\r' '\n' < runs/$r.log | grep -v "^train flow" | tail -4; done
cp runs/wavelet64/wavelet.weights "$OUT/wavelet64.weights"; cp runs/wavelet64/train_log.jsonl "$OUT/wavelet64.jsonl"
cp runs/wavelet128/wavelet.weights "$OUT/wavelet128.weights"; cp runs/wavelet128/train_log.jsonl "$OUT/wavelet128.jsonl"
cp models/celeba64-glow/glow.weights "$OUT/glow64.weights"; cp models/celeba64-glow/train_log.jsonl "$OUT/glow64.jsonl"
cp runs/glow128/glow.weights "$OUT/glow128.weights"; cp runs/glow128/train_log.jsonl "$OUT/glow128.jsonl"
ls -la "$OUT"; echo "total: $(( $(date +%s) - T0 )) s"
