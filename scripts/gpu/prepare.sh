# Sourced by the GPU session scripts: unpacks the carried data (pack_faces.sh's or
# pack_photos.sh's) into packed sets, builds
# build-gpu/hipp-train against the machine's PyTorch, and sets T0 and MIN (minutes left
# until STOP seconds after T0). Exits the session on a build failure.
mkdir -p "$OUT" runs
T0=$(date +%s)
nvidia-smi -L
tar xzf gpu-carry/data-pack.tgz && tar xf gpu-carry/gpu-deps.tar || exit 1
for d in data-pack/*/; do  # whichever pack_*.sh wrote the carry
  python3 scripts/gpu/unpack.py "$d" "${d%/}.tensors" &
done
[ ! -d data-pack/train128 ] ||
  python3 scripts/gpu/unpack.py data-pack/train128 data-pack/train128to64.tensors --downsample 2 &
export CUDACXX=${CUDACXX:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}
TP=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
if ! { cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DHIPP_TRAINER_ONLY=ON \
         -DHIPP_HEADERS="$PWD/gpu-deps/include" -DCMAKE_PREFIX_PATH="$TP" && cmake --build build-gpu -j 16; } \
       > runs/build.log 2>&1; then
  grep -E "error|Error|CMake Error" -A3 runs/build.log | head -40; tail -15 runs/build.log; exit 1
fi
wait
MIN=$(python3 -c "print(max(0.5, ($STOP - $(( $(date +%s) - T0 ))) / 60))")
echo "build and unpack: $(( $(date +%s) - T0 )) s; training for $MIN minutes"
H=build-gpu/hipp-train
