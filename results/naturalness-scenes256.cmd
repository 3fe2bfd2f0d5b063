# title: Naturalness of protected scenes, 256x256 (issue 20's measures)
# order: 9
# date: 2026-12-04
# commit: c3f7d46
# machine: 2-core CPU machine (times are upper bounds; random keys, so wrong-key numbers move between runs)
# note: 30 held-out scenes (photos256's test split, 10% by file-name hash as in `scripts/train_photos.sh`; `scripts/eval_naturalness.sh`, last part), with the default photo model `photos256-wavelet` since 2026-12-04 (with `photos64-wavelet` before: BRISQUE 25.9, judge 3.65, PNG 1.289, worst 1.667, protected SSIM mean 0.37; docs/notes.md). Bits/dim under the independent judge `photos256-glow` (trained on the train side of the same split). Against issue 20's bars: BRISQUE +13.5 over the originals (bar +3; p95 of protected images 35.1), judge bits/dim 3.56 vs 2.38 (+50%; bar 20%; worst protected image 4.29, worst original 3.07), PNG expansion 1.183 (bar 1.10; worst image 1.481). Restore PSNR min 43.0 dB. Protected SSIM to the original: mean 0.45, max 0.69 (bar 0.5). The face detector finds no face in the originals or the protected scenes, the Haar cascade 17% and 37% (false detections); the identity columns mean nothing on scenes. Wall time about 50 s.
build/hipp -q data pack --data ../shared/data/scenes/photos256 --split test --test-fraction 0.1 --size 256 --limit 30 --quality 95 -o out/naturalness/scenes256-test
build/hipp --threads 1 eval --data out/naturalness/scenes256-test --size 256 --schemes hipp,tpe-ideal --flow models/photos256-glow --out out/naturalness/scenes256
