#!/usr/bin/env bash
# The measurements of docs/jpeg.md: photos stored as JPEG at quality 85 and 95, protected to
# JPEG by hipp (keeping the original; its protected image at quality 60 or lower to keep the file
# within 1.3x, the default, at 60 whatever the size, and at the original's) and by jpeg-scramble, at 128 and 256 px, on held-out scenes and CelebA test faces:
# size against the user's JPEG, restoration against its decoded pixels, the thumbnail, and
# restoration after a photo service's recompression at quality 85 and 75. Writes out/jpeg/.
# LIMIT128 / LIMIT256 bound the images per set; needs ../shared/data.
set -euo pipefail
cd "$(dirname "$0")/.."
S=${DATA:-../shared/data/scenes}
F=${FACES:-../shared/data/faces}
O=out/jpeg
mkdir -p $O
# Held-out scenes: 10% of photos256 and BSDS500 by file-name hash (as the photo models were trained).
[ -d $O/test256 ] || build/hipp -q data pack --data $S/photos256 $S/bsds500 --split test --test-fraction 0.1 \
  --size 256 --quality 95 -o $O/test256
# CelebA's test crops (identities no face model trained on), loosely framed.
[ -d $O/faces ] || build/hipp -q data pack --data $F/celeba-test-crops --crop 0.85 --size 256 --limit 300 \
  --quality 95 -o $O/faces
for size in 128 256; do
  limit=$([ $size = 128 ] && echo "${LIMIT128:-50}" || echo "${LIMIT256:-30}")
  for q in 85 95; do
    build/hipp -q eval --format jpeg --quality $q --data $O/test256 $O/faces --size $size \
      --schemes hipp,jpeg-scramble --flow none --limit "$limit" --grid-rows 6 --out $O/eval$size-q$q
    # The protected image at the original's quality (hipp protect --quality Q) instead of 60.
    build/hipp -q eval --format jpeg --quality $q --protected-quality $q --data $O/test256 $O/faces --size $size \
      --schemes hipp --flow none --limit "$limit" --grid-rows 6 --out $O/eval$size-q$q-pq
  done
done
# Stored at 85, the protected image at quality 60 whatever the size (--max-expansion 0): what the
# size limit costs in naturalness (BRISQUE).
for size in 128 256; do
  limit=$([ $size = 128 ] && echo "${LIMIT128:-50}" || echo "${LIMIT256:-30}")
  build/hipp -q eval --format jpeg --quality 85 --max-expansion 0 --data $O/test256 $O/faces --size $size \
    --schemes hipp --flow none --limit "$limit" --grid-rows 0 --out $O/eval$size-q85-nolimit
done
# Every scheme once, restored from its protected pixels rather than the kept original: how each
# survives JPEG (drpe and tpe-lsb are JPEG-domain by design).
build/hipp -q eval --format jpeg --from-pixels --quality 90 --data $O/test256 $O/faces --size 128 \
  --schemes hipp,jpeg-scramble,drpe,tpe-lsb,tpe-ideal,shuffle --flow none --limit "${LIMIT_ALL:-16}" --grid-rows 4 \
  --out $O/eval128-q90-all
# The same photos protected to PNG, for the size a JPEG user saw before.
build/hipp -q eval --format png --data $O/test256 $O/faces --size 256 --schemes hipp --flow none \
  --limit "${LIMIT256:-30}" --grid-rows 0 --out $O/eval256-png
