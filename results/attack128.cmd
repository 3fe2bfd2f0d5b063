# title: Thumbnail attack: what a thumbnail alone gives away
# order: 8
# date: 2026-12-04
# commit: 5f59d59
# machine: 2-core CPU machine, a flow training on the other core (times are upper bounds; random keys, so identity and wrong-key numbers move between runs)
# note: Rebuilds 128x128 held-out faces from their thumbnails with each shipped attack model (blocks 4, 8, 16) and scores them against the bicubic-upsampled thumbnail. Identity is measured on the square face-api's dlib alignment puts on the original's face, cut alike from each reconstruction (since 2026-12-04; before, on the whole image: 63.0% and 32.3% at block 16, docs/notes.md). At this framing different people match 2% of the time (the chance level of the face tables). Wall time 52 s.
S=../shared/data/faces
build/hipp --threads 1 attack eval --models models/attack128-b4 models/attack128-b8 models/attack128-b16 \
  --data $S/celeba-test-crops --identities $S/identity_CelebA.txt --split test --test-fraction 0.1 --crop 0.7 \
  --size 128 --out out/attack128
