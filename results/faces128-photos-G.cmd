# title: Naturalness under HIPP's own flow G, 128x128 (the photo model)
# order: 6
# date: 2026-12-03
# commit: 38c2486
# machine: 2-core CPU machine shared with other jobs (times are upper bounds; random keys, so identity and wrong-key numbers move between runs)
# note: The same 50 faces as the 128x128 table, other random keys; the photo model `photos64-wavelet` (the default at this size for photos that are not of a face; for all 128 px images when this ran), judged by itself as G (the bar's wording). Wall time 43 s.
build/hipp --threads 1 eval --data ../shared/data/faces/celeba-test-crops --crop 0.7 --size 128 --limit 50 --schemes hipp --flow models/photos64-wavelet --out out/eval128-photos-G
