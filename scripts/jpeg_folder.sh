#!/usr/bin/env bash
# docs/jpeg.md's folder check: real JPEG photos as a user has them (BSDS500's test photos,
# 481x321, not resized), protected with `hipp protect` as a user would run it, three ways:
# hipp (a protected JPEG, the default for JPEG photos: the original kept, the protected image at
# quality 60, or lower to keep the file within 1.3x the photo), the same with the protected image
# at quality 90, hipp --format png, and jpeg-scramble. Prints each way's total size against the
# originals', the largest file's ratio, and the worst restoration (restored to PNG, against the
# decoded original). N photos (default 20); needs ../shared/data.
# QUALITY=Q first stores the same photos at quality Q (4:2:0) with hipp's own encoder: an exact
# round trip (shuffle, protected to PNG) restored to JPEGs at Q. HEIC=Q stores them as HEIC
# instead, as phones do, with libheif's heif-enc at quality Q (Debian's libheif-examples);
# jpeg-scramble, which takes JPEGs only, is then left out.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-20}
O=out/jpeg/folder
rm -rf $O && mkdir -p $O/in
photos=(${DATA:-../shared/data/scenes}/bsds500/test/*.jpg)  # a glob, not `ls | head`: no SIGPIPE under pipefail
cp "${photos[@]:0:$N}" $O/in/
build/hipp -q keygen -o $O/k.key
ways=("hipp" "hipp-q90 --quality 90" "hipp-png --format png" "jpeg-scramble --scheme jpeg-scramble")
if [ -n "${QUALITY:-}${HEIC:-}" ]; then
  build/hipp -q protect $O/in -o $O/exact --format png --scheme shuffle -k $O/k.key
  rm $O/in/*
fi
if [ -n "${QUALITY:-}" ]; then
  build/hipp -q restore $O/exact -o $O/in --format jpeg --quality "$QUALITY" -k $O/k.key
elif [ -n "${HEIC:-}" ]; then
  command -v heif-enc >/dev/null || { echo "jpeg_folder.sh: HEIC needs heif-enc (apt-get install libheif-examples)" >&2; exit 1; }
  build/hipp -q restore $O/exact -o $O/png --format png -k $O/k.key
  for f in $O/png/*.png; do heif-enc -q "$HEIC" "$f" -o "$O/in/$(basename "$f" .png).heic" >/dev/null; done
  unset 'ways[3]'
fi
total() { cat "$@" | wc -c; }
orig=$(total $O/in/*)
for way in "${ways[@]}"; do
  set -- $way
  name=$1; shift
  /usr/bin/time -f "%e" -o $O/$name.seconds build/hipp -q protect $O/in -o $O/$name -k $O/k.key "$@"
  build/hipp -q restore $O/$name -o $O/$name-back -k $O/k.key --format png
  worst_psnr=inf worst_ssim=1 largest=0
  for f in $O/in/*; do
    b=$(basename "${f%.*}")
    read -r _ ssim _ psnr _ < <(build/hipp compare "$f" $O/$name-back/$b.png)
    worst_psnr=$(awk -v a="$worst_psnr" -v b="$psnr" 'BEGIN{print (a=="inf"||b+0<a+0)?b:a}')
    worst_ssim=$(awk -v a="$worst_ssim" -v b="$ssim" 'BEGIN{print (b+0<a+0)?b:a}')
    out=("$O/$name/$b".*)
    largest=$(awk -v a="$largest" -v p="$(total "${out[0]}")" -v o="$(total "$f")" 'BEGIN{r=p/o; print (r>a)?r:a}')
  done
  prot=$(total $O/$name/*)
  awk -v n="$name" -v p="$prot" -v o="$orig" -v s="$(cat $O/$name.seconds)" -v wp="$worst_psnr" -v ws="$worst_ssim" -v c="$N" \
    -v l="$largest" \
    'BEGIN{printf "| %s | %d | %.0f KB | %.0f KB | %.3f | %.3f | %s | %s | %.2f |\n", n, c, o/1024, p/1024, p/o, l, wp, ws, s/c}'
done
