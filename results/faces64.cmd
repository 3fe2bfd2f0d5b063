# title: Faces at 64x64, block 8: HIPP and the exact baselines
# order: 1
# date: 2026-12-03
# commit: 38c2486
# machine: 2-core CPU machine shared with other jobs (times are upper bounds; random keys, so identity and wrong-key numbers move between runs)
# note: 100 held-out faces (CelebA's test partition, identities never trained on). DRPE and TPE-LSB need blocks of at least 16, so they are in the 128x128 table only. Naturalness: bits/dim under the independent Glow judge `celeba64-glow`. Wall time 2 min 25 s.
build/hipp --threads 1 eval --data ../shared/data/faces/celeba-test-crops --crop 0.7 --size 64 --limit 100 --out out/eval64
