# title: Naturalness of protected faces, 128x128 (issue 20's measures)
# order: 9
# date: 2026-12-04
# commit: 667d65c
# machine: 2-core CPU machine, a flow training on the other core (times are upper bounds; random keys, so identity and wrong-key numbers move between runs)
# note: 50 held-out faces (`scripts/eval_naturalness.sh`, first part), with the face model `celeba128-wavelet` that photos of a face get by default since 2026-12-04 (the photo model's numbers: docs/notes.md). BRISQUE: OpenCV's quality module with opencv-data's LIVE model, lower is more natural; face detected: face-api's tiny face detector (score above 0.5); face found (Haar): OpenCV's frontal-face cascade, a second opinion; bits/dim under the independent Glow judge `celeba128-glow`. Against issue 20's bars: BRISQUE +11.4 over the originals (bar +3; p95 of protected images 43.6), faces detected in 60% of protected images against 100% of originals (bar 90% of the originals' rate), judge bits/dim +54% (bar 20%), PNG expansion 1.010 (bar 1.10; worst image 1.123). Restore PSNR min 43.9 dB; protected SSIM at most 0.55; identity match 6% (chance 2%; the thumbnail attack 14.8%). Wall time about 1 min.
build/hipp --threads 1 eval --data ../shared/data/faces/celeba-test-crops --crop 0.7 --size 128 --limit 50 --schemes hipp,tpe-ideal --out out/naturalness/faces128
