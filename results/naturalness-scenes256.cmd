# title: Naturalness of protected scenes, 256x256 (issue 20's measures)
# order: 9
# date: 2026-12-04
# commit: a3c7cc0
# machine: 2-core CPU machine (times are upper bounds; random keys, so wrong-key numbers move between runs)
# note: 30 held-out scenes (photos256's test split, 10% by file-name hash as in `scripts/train_photos.sh`; `scripts/eval_naturalness.sh`, last part). Bits/dim under the independent judge `photos256-glow` (trained on the train side of the same split). Against issue 20's bars: BRISQUE +11.9 over the originals (bar +3; p95 of protected images 31.4), judge bits/dim 3.65 vs 2.38 (+53%; bar 20%; worst protected image 4.60, worst original 3.07), PNG expansion 1.289 (bar 1.10; worst image 1.667). Restore PSNR min 43.2 dB. The face detector finds no face in the originals and one in a protected scene (3%), the Haar cascade 17% and 43% (false detections); the identity columns mean nothing on scenes. Wall time about 50 s.
build/hipp -q data pack --data ../shared/data/scenes/photos256 --split test --test-fraction 0.1 --size 256 --limit 30 --quality 95 -o out/naturalness/scenes256-test
build/hipp --threads 1 eval --data out/naturalness/scenes256-test --size 256 --schemes hipp,tpe-ideal --flow models/photos256-glow --out out/naturalness/scenes256
