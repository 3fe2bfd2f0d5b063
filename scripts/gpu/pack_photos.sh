#!/usr/bin/env bash
# Packs the scenes a GPU run of train_photos.sh trains on into data-pack/ (git-ignored): the
# train side of photos256 and BSDS500 at 256x256 (10% held out by file-name hash, the split of
# scripts/train_photos.sh and of the shipped photo models) and 64 held-out scenes, as JPEG
# folders that prepare.sh decodes there. Then: tar czf gpu-carry/data-pack.tgz data-pack
set -euo pipefail
S=${1:-../shared/data/scenes}
H=${HIPP:-build/hipp}
rm -rf data-pack && mkdir -p data-pack
$H -q data pack --data $S/photos256 $S/bsds500 --split train --test-fraction 0.1 --size 256 --quality 90 \
  -o data-pack/photos-train256 &
$H -q data pack --data $S/photos256 $S/bsds500 --split test --test-fraction 0.1 --size 256 --limit 64 \
  --quality 95 -o data-pack/photos-test256 &
wait
du -sb data-pack/*
