# title: 128x128 judged by celeba128-wavelet (the old README's command)
# order: 5
# date: 2026-12-03
# commit: 38c2486
# machine: 2-core CPU machine shared with other jobs (times are upper bounds; random keys, so identity and wrong-key numbers move between runs)
# note: The old README's command for naturalness under G at 128x128. When this ran, 128 px images got `photos64-wavelet` by default, so this judges that model's protected faces by another flow, `celeba128-wavelet`, not by their own G; see the two tables after it. Wall time 1 min 3 s.
build/hipp --threads 1 eval --data ../shared/data/faces/celeba-test-crops --crop 0.7 --size 128 --limit 50 --schemes hipp --flow models/celeba128-wavelet --out out/eval128-G
