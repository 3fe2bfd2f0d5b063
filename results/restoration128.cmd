# title: Restoration on every kind of photo, 128 px
# order: 11
# date: 2026-12-04
# commit: c3f7d46
# machine: 2-core CPU machine shared with other jobs
# note: HIPP alone with the default model and floors on 16 sets of 8 images each: CelebA test crops, BSDS500 test, the four photos256 folders and ten stress transforms that `hipp data stress` makes from them (dark, saturated, synthetic graphics, ...). The script runs `hipp eval --schemes hipp --flow none --size 128` on all sets at once and writes out/restoration-new/128/summary.json; all three sizes took about 9 min beside other work. Above 64 px the default photo model is `photos256-wavelet` since 2026-12-04 (a set of mostly non-face photos: the photo model for every set, the CelebA crops included). What the sets are and what repairing costs: docs/restoration.md.
OMP_NUM_THREADS=1 LIMIT64=16 LIMIT128=8 LIMIT256=4 bash scripts/eval_restoration.sh out/restoration-new
