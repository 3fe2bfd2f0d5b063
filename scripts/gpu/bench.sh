#!/usr/bin/env bash
# One GPU session (device tool): builds the full hipp binary there (the portable build: no
# OpenCV, no HTTP server, static libraries carried from here) and times it on CUDA at 128 px,
# 1 MP and 12 MP, then a folder of 128 px photos through `hipp protect DIR`, and checks that
# files cross devices: the frozen vectors protected on the CPU restore on the GPU, and files
# protected on the GPU restore on that machine's CPU (and come back in $OUT to restore here).
# Prepare the carry here (one tar file, about 6 MB):
#   bash scripts/gpu/pack_deps.sh
# then run with carry ["gpu-carry"], e.g. timeout_s 560:
#   bash scripts/gpu/bench.sh
# Back here, restore what came back in $OUT (files_at) on the CPU:
#   bash scripts/gpu/bench.sh --check-here FILES_AT
set -uo pipefail
if [ "${1:-}" = "--check-here" ]; then
  D=$2
  for f in "$D"/gpu-protected/*.png; do
    n=$(basename "$f" .png)
    build/hipp -q restore "$f" -k "$D/gpu-protected/key" -o "/tmp/$n.cpu.png" --force &&
      build/hipp compare "/tmp/$n.cpu.png" "$D/gpu-restored/$n.png"
  done
  exit
fi
OUT=${OUT:-out/gpu}
mkdir -p "$OUT" runs
T0=$(date +%s)
nvidia-smi -L
tar xf gpu-carry/gpu-deps.tar || exit 1
TP=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
export CUDACXX=${CUDACXX:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}
if ! { cmake -S . -B build-gpu-full -G Ninja -DCMAKE_BUILD_TYPE=Release -DHIPP_PORTABLE=ON \
         -DHIPP_DEPS="$PWD/gpu-deps" -DCMAKE_PREFIX_PATH="$TP" && cmake --build build-gpu-full -j 16 --target hipp; } \
       > runs/build-full.log 2>&1; then
  grep -E "error|Error" -A3 runs/build-full.log | head -40; tail -15 runs/build-full.log; exit 1
fi
echo "build: $(( $(date +%s) - T0 )) s"
H="build-gpu-full/hipp"
B=(--scheme hipp --repeat 5)
for size in 128 1152x864 4032x3024; do
  echo "== cuda, $size"; $H --device cuda bench --size "$size" "${B[@]}"
done
echo "== cuda, 128, celeba128-wavelet"; $H --device cuda bench --size 128 --model celeba128-wavelet "${B[@]}"

# A folder of 64 photos at 128x128 (crops of the bundled example), protected as a user would.
python3 - <<'EOF'
from PIL import Image
import os
im = Image.open("examples/bsds_100007.jpg").convert("RGB")
os.makedirs("runs/folder128", exist_ok=True)
for i in range(64):
    x, y = (i * 37) % (im.width - 160), (i * 23) % (im.height - 160)
    im.crop((x, y, x + 160, y + 160)).resize((128, 128)).save(f"runs/folder128/{i:02d}.png")
EOF
$H keygen -o runs/key
for dev in cuda cpu; do
  s=$(date +%s.%N)
  $H -q --device $dev protect runs/folder128 -k runs/key -o runs/prot-$dev --manifest runs/manifest-$dev.jsonl
  e=$(date +%s.%N)
  python3 -c "print('folder of 64 at 128x128, $dev: %.1f ms per image, whole command' % (($e - $s) * 1000 / 64))"
done

# Across devices: CPU-protected frozen vectors restored on CUDA...
for f in tests/vectors/v3-lite/*.protected.png tests/vectors/v3/hipp-photos-b*.protected.png; do
  d=$(dirname "$f"); n=$(basename "$f" .protected.png)
  $H -q --device cuda restore "$f" -k "$d/raw.key" -o "runs/$n.cuda.png" --force &&
    echo "$n (CPU-protected, restored on cuda): $($H compare "runs/$n.cuda.png" "$d/$n.restored.png")"
done
# ...and GPU-protected files restored on the CPU, here and back home.
mkdir -p "$OUT/gpu-protected" "$OUT/gpu-restored"
cp runs/key "$OUT/gpu-protected/key"
for i in 00 21 42; do
  cp runs/prot-cuda/$i.png "$OUT/gpu-protected/$i.png"
  $H -q --device cpu restore runs/prot-cuda/$i.png -k runs/key -o "$OUT/gpu-restored/$i.png" --force &&
    echo "$i (cuda-protected, restored on this machine's CPU): $($H compare "$OUT/gpu-restored/$i.png" runs/folder128/$i.png)"
done
echo "total: $(( $(date +%s) - T0 )) s"
