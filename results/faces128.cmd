# title: Faces at 128x128, block 16: HIPP and every baseline
# order: 4
# date: 2026-12-04
# commit: 667d65c
# machine: 2-core CPU machine, a flow training on the other core (times are upper bounds; random keys, so identity and wrong-key numbers move between runs)
# note: 50 held-out faces. Without --model, 128 px photos of a face get the face model `celeba128-wavelet` (face-api's detector judged all 50 originals face photos; docs/big-photos.md). Every scheme runs with the restoration check, so the approximate DRPE and TPE-LSB are repaired above the floors too. Naturalness: bits/dim under the independent Glow judge `celeba128-glow`. Identity and face detected as in the 64x64 table. Wall time about 2 min 20 s.
build/hipp --threads 1 eval --data ../shared/data/faces/celeba-test-crops --crop 0.7 --size 128 --limit 50 --schemes hipp,tpe-ideal,drpe,tpe-lsb,shuffle --out out/eval128
