#!/bin/bash
# Submits a sharded run: a job array of N shards, then the merge once every shard has ended
# (afterany: the merge also runs, and reports, when a shard failed).
#
#   IMAGE=team.sif INPUT=/data/CMRxRecon OUTPUT=/scratch/run1 docker/slurm/submit.sh 8
set -euo pipefail
n=${1:?usage: IMAGE=... INPUT=... OUTPUT=... $0 NUMBER_OF_SHARDS}
: "${IMAGE:?set IMAGE}" "${INPUT:?set INPUT}" "${OUTPUT:?set OUTPUT}"
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUTPUT"
array=$(sbatch --parsable --array="1-$n" --export=ALL "$here/cmrxkit-shard.sbatch")
merge=$(sbatch --parsable --dependency="afterany:${array%%;*}" --export=ALL,SHARDS="$n" \
  "$here/cmrxkit-merge.sbatch")
echo "shards: job $array (array 1-$n); merge: job $merge -> $OUTPUT/merged"
