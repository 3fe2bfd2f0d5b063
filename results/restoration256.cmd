# title: Restoration on every kind of photo, 256 px
# order: 12
# date: 2026-12-03
# commit: 38c2486
# machine: 2-core CPU machine shared with other jobs
# note: HIPP alone with the default model and floors on 16 sets of 4 images each: CelebA test crops, BSDS500 test, the four photos256 folders and ten stress transforms that `hipp data stress` makes from them (dark, saturated, synthetic graphics, ...). The script runs `hipp eval --schemes hipp --flow none --size 256` on all sets at once and writes out/restoration/256/summary.json; all three sizes took 6 min 39 s. What the sets are and what repairing costs: docs/restoration.md.
OMP_NUM_THREADS=1 LIMIT64=16 LIMIT128=8 LIMIT256=4 bash scripts/eval_restoration.sh
