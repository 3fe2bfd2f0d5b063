#!/usr/bin/env bash
# The measurements of docs/big-photos.md: restoration of the photo models on held-out scenes at
# 256 px and upscaled to 1024 and 2048 px, of the face models on held-out faces at 128 px, and
# hipp bench at 128 px, 1 MP and 12 MP. Writes out/big/. LIMIT128 / LIMIT256 / LIMIT1024 /
# LIMIT2048 bound the images per eval; needs ../shared/data.
set -euo pipefail
cd "$(dirname "$0")/.."
S=${DATA:-../shared/data/scenes}
F=${FACES:-../shared/data/faces}
O=out/big
mkdir -p $O
# The photo model's held-out side: 10% of photos256 and BSDS500 by file-name hash (as trained).
[ -d $O/test256 ] || build/hipp data pack --data $S/photos256 $S/bsds500 --split test --test-fraction 0.1 \
  --size 256 --quality 95 -o $O/test256
build/hipp eval --data $O/test256 --size 256 --schemes hipp --model photos64-wavelet --flow none \
  --limit "${LIMIT256:-100}" --out $O/eval256-photos64
build/hipp eval --data $O/test256 --size 256 --schemes hipp --model celeba128-wavelet --flow none \
  --limit "${LIMIT256:-100}" --out $O/eval256-celeba128
build/hipp eval --data $O/test256 --size 256 --schemes hipp --model photos256-lite-wavelet --flow none \
  --limit "${LIMIT256:-100}" --out $O/eval256-photos256-lite
build/hipp eval --data $O/test256 --size 1024 --schemes hipp --flow none \
  --limit "${LIMIT1024:-20}" --out $O/eval1024
build/hipp eval --data $O/test256 --size 1024 --schemes hipp --model photos256-lite-wavelet --flow none \
  --limit "${LIMIT1024:-20}" --out $O/eval1024-lite
build/hipp eval --data $O/test256 --size 2048 --schemes hipp --flow none \
  --limit "${LIMIT2048:-6}" --out $O/eval2048
# CelebA's test crops (identities no face model trained on), framed as the face models were tested.
[ -d $O/faces128 ] || build/hipp data pack --data $F/celeba-test-crops --crop 0.7 --size 128 --limit 300 \
  --quality 95 -o $O/faces128
for m in celeba128-wavelet photos64-wavelet; do
  build/hipp eval --data $O/faces128 --size 128 --schemes hipp --model $m --flow none \
    --limit "${LIMIT128:-100}" --out $O/eval128-faces-$m
done
# Scenes at 128 px: how the face model does off faces.
for m in celeba128-wavelet photos64-wavelet; do
  build/hipp eval --data $O/test256 --size 128 --schemes hipp --model $m --flow none \
    --limit "${LIMIT128:-100}" --out $O/eval128-scenes-$m
done
for m in celeba128-wavelet photos64-wavelet; do
  build/hipp bench --size 128 --scheme hipp --model $m | tee $O/bench128-$m.txt
done
build/hipp bench --size 1152x864 --scheme hipp --repeat 3 | tee $O/bench1mp.txt
build/hipp bench --size 1152x864 --scheme hipp --model photos64-wavelet --repeat 3 | tee $O/bench1mp-photos64.txt
build/hipp bench --size 4032x3024 --scheme hipp --repeat 1 | tee $O/bench12mp.txt
build/hipp bench --size 4032x3024 --scheme hipp --model photos64-wavelet --repeat 1 | tee $O/bench12mp-photos64.txt
