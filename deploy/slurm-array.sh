#!/usr/bin/env bash
# Protects a photo library on a Slurm cluster: one array task per shard, each taking a fixed
# 1/N of the files (by a hash of their paths), so tasks never overlap and together cover every
# file. A task that is killed or fails can simply be resubmitted: outputs that already verify
# under the key are skipped. Each task writes OUT/manifest-I-of-N.jsonl.
#
#   sbatch --array=0-15 deploy/slurm-array.sh           # 16 shards
#   IN=/data/photos OUT=/data/protected KEY=~/.hipp/photos.key sbatch --array=0-15 deploy/slurm-array.sh
#
# IN, OUT, KEY: the library, the output folder (on storage every node sees) and the key file;
# HIPP: the hipp binary (default: hipp on PATH). Extra arguments go to `hipp protect`.
#SBATCH --job-name=hipp-protect
#SBATCH --cpus-per-task=2
#SBATCH --mem=4G
#SBATCH --time=04:00:00
set -euo pipefail
: "${SLURM_ARRAY_TASK_ID:?run this with sbatch --array=0-(N-1)}"
: "${SLURM_ARRAY_TASK_COUNT:?run this with sbatch --array=0-(N-1)}"
IN=${IN:?set IN to the photo folder}
OUT=${OUT:?set OUT to the output folder}
KEY=${KEY:?set KEY to the key file}
HIPP=${HIPP:-hipp}
exec "$HIPP" --threads "${SLURM_CPUS_PER_TASK:-2}" protect "$IN" -o "$OUT" -k "$KEY" \
  --shard "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT" "$@"
