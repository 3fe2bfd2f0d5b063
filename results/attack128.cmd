# title: Thumbnail attack: what a thumbnail alone gives away
# order: 8
# date: 2026-12-03
# commit: 38c2486
# machine: 2-core CPU machine shared with other jobs
# note: Rebuilds 128x128 held-out faces from their thumbnails with each shipped attack model (blocks 4, 8, 16) and scores them against the bicubic-upsampled thumbnail; the same numbers as when the models were shipped (2026-11-26). At this framing different people match 15-18% of the time (the chance level of the face tables). Wall time 1 min 38 s.
S=../shared/data/faces
build/hipp --threads 1 attack eval --models models/attack128-b4 models/attack128-b8 models/attack128-b16 \
  --data $S/celeba-test-crops --identities $S/identity_CelebA.txt --split test --test-fraction 0.1 --crop 0.7 \
  --size 128 --out out/attack128
