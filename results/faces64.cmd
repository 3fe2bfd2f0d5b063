# title: Faces at 64x64, block 8: HIPP and the exact baselines
# order: 1
# date: 2026-12-04
# commit: 5f59d59
# machine: 2-core CPU machine, a flow training on the other core (times are upper bounds; random keys, so identity and wrong-key numbers move between runs)
# note: 100 held-out faces (CelebA's test partition, identities never trained on). DRPE and TPE-LSB need blocks of at least 16, so they are in the 128x128 table only. Naturalness: bits/dim under the independent Glow judge `celeba64-glow`. Identity: face descriptors of the squares face-api's dlib alignment puts on the original's face (tiny detector + 68 landmarks; docs/design.md, *Face detector*); face detected: that detector. Wall time about 2 min.
build/hipp --threads 1 eval --data ../shared/data/faces/celeba-test-crops --crop 0.7 --size 64 --limit 100 --out out/eval64
