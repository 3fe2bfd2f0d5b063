# title: Naturalness of protected scenes, 128x128 (issue 20's measures)
# order: 9
# date: 2026-12-04
# commit: a014de1
# machine: 2-core CPU machine, a flow training and a CI run beside it (times are upper bounds; random keys, so wrong-key numbers move between runs)
# note: 50 held-out scenes (photos256's test split, 10% by file-name hash, shrunk to 128 px; `scripts/eval_naturalness.sh`, fourth part) with the default photo model `photos256-wavelet` (the content check finds a face filling 1 of the 50, so the set counts as photos). Judge: `photos256-glow`, run at 128 px (it was trained on 256 px scenes; its top prior is resized). Against issue 20's bars: BRISQUE +7.6 over the originals (14.2 vs 21.8; p95 of protected images 30.0), judge bits/dim 4.17 vs 2.88 (+45%; worst protected image 5.57, worst original 3.82), PNG expansion 1.077 (bar 1.10 met on average; worst image 1.259). Restore PSNR min 41.4 dB. Protected SSIM to the original: mean 0.31, max 0.60 (2 of 50 over 0.5). The identity and face columns mean nothing on scenes; ideal TPE's judge bits/dim diverge on its noise (huge or infinite). Wall time about 2 min.
build/hipp -q data pack --data ../shared/data/scenes/photos256 --split test --test-fraction 0.1 --size 128 --limit 50 --quality 95 -o out/naturalness/scenes128-test
build/hipp --threads 1 eval --data out/naturalness/scenes128-test --size 128 --schemes hipp,tpe-ideal --flow models/photos256-glow --out out/naturalness/scenes128
