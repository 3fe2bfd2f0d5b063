#!/usr/bin/env bash
# One GPU session (device tool): continue the shipped photo flows on windows of every scale of
# the 256 px scenes, as their CPU recipes did (docs/training.md), three runs side by side:
#   p256     photos256-wavelet, training noise 1.5 (the default photo model's recipe)
#   p256n1   photos256-wavelet, training noise 1.0 (less grain; the check then decides on repairs)
#   lite     photos256-lite-wavelet, training noise 1.5
# Each starts from the shipped weights with a fresh optimizer (--init) at a constant rate for 40%
# of the time, then resumes along a cosine to 2e-5 over as many steps as the first part's speed
# says fit in the rest. Weights and logs come back in $OUT. Prepare here:
#   bash scripts/gpu/pack_photos.sh && bash scripts/gpu/pack_deps.sh
#   tar czf gpu-carry/data-pack.tgz data-pack
# then run with carry ["gpu-carry"]:  bash scripts/gpu/train_photos.sh 480
set -uo pipefail
STOP=${1:-480}
OUT=${OUT:-out/gpu}
source scripts/gpu/prepare.sh
DATA=(--data data-pack/photos-train256.tensors --test-data data-pack/photos-test256.tensors --domain photos)
COMMON=(--device cuda --threads 4 --batch 64 --checkpoint-minutes 100 --log-every 100 --eval-every 1000
        --eval-images 64 --sample-every 0 "${DATA[@]}")
RUNS=(p256:photos256-wavelet:1.5 p256n1:photos256-wavelet:1.0 lite:photos256-lite-wavelet:1.5)
MIN1=$(python3 -c "print(round($MIN * 0.4, 2))")
for r in "${RUNS[@]}"; do
  IFS=: read -r name model noise <<< "$r"
  $H train flow --init models/$model --size 256 --patch 64 --patch-zoom --noise "$noise" --lr 5e-4 --warmup 200 \
    --iters 100000000 --time-limit "$MIN1" --out runs/$name "${COMMON[@]}" > runs/$name.log 2>&1 &
done
sleep 60; nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv
wait
MIN2=$(python3 -c "print(max(0.5, ($STOP - $(( $(date +%s) - T0 ))) / 60 - 0.3))")
for r in "${RUNS[@]}"; do
  IFS=: read -r name model noise <<< "$r"
  # steps and seconds so far (train_log.jsonl's last line) give the steps the cosine can span
  read -r step iters < <(python3 -c "
import json; l = json.loads(open('runs/$name/train_log.jsonl').read().split('\n')[-2])
print(l['step'], l['step'] + int(0.9 * l['step'] / l['seconds'] * $MIN2 * 60))")
  echo "$name: step $step after ${MIN1} min; cosine to step $iters"
  $H train flow --resume --size 256 --noise "$noise" --lr 5e-4 --warmup 200 --iters "$iters" --decay-start "$step" \
    --lr-final 2e-5 --time-limit "$MIN2" --out runs/$name "${COMMON[@]}" >> runs/$name.log 2>&1 &
done
wait
for r in "${RUNS[@]}"; do
  name=${r%%:*}
  echo "== $name"; tr '\r' '\n' < runs/$name.log | grep -v "^train flow" | tail -3
  cp runs/$name/wavelet.weights "$OUT/$name.weights"; cp runs/$name/train_log.jsonl "$OUT/$name.jsonl"
done
ls -la "$OUT"; echo "total: $(( $(date +%s) - T0 )) s"
