# title: Naturalness under HIPP's own flow G, 64x64
# order: 3
# date: 2026-12-03
# commit: 38c2486
# machine: 2-core CPU machine shared with other jobs (times are upper bounds; random keys, so identity and wrong-key numbers move between runs)
# note: The same 100 faces as the 64x64 table, other random keys; bits/dim under `celeba64-wavelet`, the flow G of `celeba64-hipp` (the bar's wording: protected within 10% of the originals). Wall time 1 min 38 s.
build/hipp --threads 1 eval --data ../shared/data/faces/celeba-test-crops --crop 0.7 --size 64 --limit 100 --schemes hipp --flow models/celeba64-wavelet --out out/eval64-G
