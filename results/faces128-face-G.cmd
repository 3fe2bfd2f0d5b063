# title: Faces at 128x128 with the face model celeba128-wavelet, judged by it as G
# order: 7
# date: 2026-12-03
# commit: 38c2486
# machine: 2-core CPU machine shared with other jobs (times are upper bounds; random keys, so identity and wrong-key numbers move between runs)
# note: The same 50 faces, other random keys, with `--model celeba128-wavelet` (the 128 px face model: the default here before 2026-12-02, and again for photos of a face since 2026-12-04), naturalness under that model as G. Wall time 2 min.
build/hipp --threads 1 eval --data ../shared/data/faces/celeba-test-crops --crop 0.7 --size 128 --limit 50 --schemes hipp --model celeba128-wavelet --flow models/celeba128-wavelet --out out/eval128-face-G
