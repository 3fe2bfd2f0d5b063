# title: Naturalness of protected scenes, 256x256 (issue 20's measures)
# order: 9
# date: 2026-12-04
# commit: 8fe19e1
# machine: 2-core CPU machine, a fuzzer running on the other core (times are upper bounds; random keys, so identity and wrong-key numbers move between runs)
# note: 30 held-out scenes (photos256's test split, 10% by file-name hash as in `scripts/train_photos.sh`; `scripts/eval_naturalness.sh`, second half). No scene judge flow exists yet, so no bits/dim. BRISQUE +11.6 over the originals (bar +3); PNG expansion 1.287 (bar 1.10; worst image 1.666, from `per_image.csv`). The face cascade's "found" share on scenes counts false detections (17% of originals, 30% of protected images), and the identity columns mean nothing here: neighbouring scenes already match each other. Wall time about 25 s.
build/hipp -q data pack --data ../shared/data/scenes/photos256 --split test --test-fraction 0.1 --size 256 --limit 30 --quality 95 -o out/naturalness/scenes256-test
build/hipp --threads 1 eval --data out/naturalness/scenes256-test --size 256 --schemes hipp,tpe-ideal --flow none --out out/naturalness/scenes256
