# title: Naturalness of protected faces, 128x128 (issue 20's measures)
# order: 9
# date: 2026-12-04
# commit: 5f59d59
# machine: 2-core CPU machine, a flow training on the other core (times are upper bounds; random keys, so identity and wrong-key numbers move between runs)
# note: 50 held-out faces (`scripts/eval_naturalness.sh`, first part). BRISQUE: OpenCV's quality module with opencv-data's LIVE model, lower is more natural; face detected: face-api's tiny face detector (score above 0.5); face found (Haar): OpenCV's frontal-face cascade, a second opinion; bits/dim under the independent Glow judge `celeba128-glow`. Against issue 20's bars: BRISQUE +6.9 over the originals (bar +3; p95 of protected images 34.4), faces detected in 18% of protected images against 100% of originals (bar 90% of the originals' rate; the cascade, 60% against 98%, flattered them), judge bits/dim +60% (bar 20%), PNG expansion 1.096 (bar 1.10; worst image 1.239). Restore PSNR min 43.8 dB; protected SSIM at most 0.49; identity match 2% (chance 2%). Wall time about 35 s.
build/hipp --threads 1 eval --data ../shared/data/faces/celeba-test-crops --crop 0.7 --size 128 --limit 50 --schemes hipp,tpe-ideal --out out/naturalness/faces128
