#!/usr/bin/env bash
# Packs the face crops a GPU run trains on into data-pack/ (git-ignored, about 44 MB of JPEGs):
# CelebA aligned faces split by identity (train side only) and held-out celeba-test-crops.
set -euo pipefail
S=${1:-../shared/data/faces}
H=${HIPP:-build/hipp}
rm -rf data-pack && mkdir -p data-pack
$H -q data pack --data $S/celeba-aligned-89x109 --identities $S/identity_CelebA.txt --split train --crop 0.85 \
  --size 64 --quality 85 -o data-pack/train64 &
$H -q data pack --data $S/celeba-aligned-178x218 --identities $S/identity_CelebA.txt --split train --crop 0.85 \
  --size 128 --quality 80 -o data-pack/train128 &
$H -q data pack --data $S/celeba-test-crops --crop 0.7 --size 64 --limit 500 --quality 95 -o data-pack/test64 &
$H -q data pack --data $S/celeba-test-crops --crop 0.7 --size 128 --limit 300 --quality 90 -o data-pack/test128 &
wait
du -sb data-pack/*
