# title: Naturalness of protected portrait photos, 128x128 (issue 20's measures)
# order: 9
# date: 2026-12-04
# commit: 5f59d59
# machine: 2-core CPU machine, a flow training on the other core (times are upper bounds; random keys, so identity and wrong-key numbers move between runs)
# note: 50 whole aligned CelebA frames (178x218, centre square) of test identities (`scripts/eval_naturalness.sh`, second part): a face with hair, shoulders and background, the framing where the identity metric used to read 70% for strangers. Measures as for faces; the judge `celeba128-glow` was trained on tighter face crops, so its bits/dim are a rougher guide here. Against issue 20's bars: BRISQUE +17.8 over the originals (8.7 vs 26.5; p95 of protected images 34.0), faces detected in 4% of protected images against 100% of originals, judge bits/dim +61%, PNG expansion 1.138 (worst image 1.444). Restore PSNR min 42.6 dB; protected SSIM at most 0.45. Identity on the face cut by the detector and landmarks: chance level 34% (faces of about 70 px, upscaled to the recognizer's 150, look alike to it), protected faces 0%. Wall time about 45 s.
build/hipp -q data pack --data ../shared/data/faces/celeba-aligned-178x218 --split test --identities ../shared/data/faces/identity_CelebA.txt --size 128 --limit 50 --quality 95 -o out/naturalness/portraits128-test
build/hipp --threads 1 eval --data out/naturalness/portraits128-test --size 128 --schemes hipp,tpe-ideal --out out/naturalness/portraits128
