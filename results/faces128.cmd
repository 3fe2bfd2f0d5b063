# title: Faces at 128x128, block 16: HIPP and every baseline
# order: 4
# date: 2026-12-03
# commit: 38c2486
# machine: 2-core CPU machine shared with other jobs (times are upper bounds; random keys, so identity and wrong-key numbers move between runs)
# note: 50 held-out faces. Without --model, 128 px images get the photo model `photos64-wavelet` (docs/big-photos.md). Every scheme runs with the restoration check, so the approximate DRPE and TPE-LSB are repaired above the floors too. Naturalness: bits/dim under the independent Glow judge `celeba128-glow`. Wall time 2 min 16 s.
build/hipp --threads 1 eval --data ../shared/data/faces/celeba-test-crops --crop 0.7 --size 128 --limit 50 --schemes hipp,tpe-ideal,drpe,tpe-lsb,shuffle --out out/eval128
