# title: Naturalness of protected faces, 128x128 (issue 20's measures)
# order: 9
# date: 2026-12-04
# commit: 8fe19e1
# machine: 2-core CPU machine, a fuzzer running on the other core (times are upper bounds; random keys, so identity and wrong-key numbers move between runs)
# note: 50 held-out faces (`scripts/eval_naturalness.sh`, first half). BRISQUE: OpenCV's quality module with opencv-data's LIVE model, lower is more natural; face found: OpenCV's frontal-face Haar cascade (a second opinion; the face-api detector is not ported yet); bits/dim under the independent Glow judge `celeba128-glow`. Against issue 20's bars: BRISQUE +6.9 over the originals (bar +3), faces found in 56% of protected images against 98% of originals (57% of the originals' rate; bar 90%), judge bits/dim +59% (bar 20%), PNG expansion 1.094 (bar 1.10; worst image 1.232, from `per_image.csv`). Wall time about 20 s.
build/hipp --threads 1 eval --data ../shared/data/faces/celeba-test-crops --crop 0.7 --size 128 --limit 50 --schemes hipp,tpe-ideal --out out/naturalness/faces128
