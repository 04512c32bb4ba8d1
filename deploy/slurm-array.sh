#!/bin/bash
# Grades a class on 4 nodes as a Slurm job array: task i of the array grades shard i of 4 (the kit reads
# SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN and SLURM_ARRAY_TASK_COUNT) into $PARTS/part-<i>-of-4.json.
# Submit it from the kit's checkout, then the merge, which runs once every task has succeeded:
#   job=$(sbatch --parsable deploy/slurm-array.sh)
#   sbatch --dependency=afterok:"$job" --wrap ".venv/bin/python -m course_lib merge gradebook-parts --out gradebook"
# Re-run one failed shard, say the third, with its number given outright:
#   srun .venv/bin/python -m course_lib grade submissions --out gradebook-parts --shard 3/4
# SUBMISSIONS, PARTS and PYTHON may be set in the environment (sbatch passes it on).
#SBATCH --job-name=grade-class
#SBATCH --array=1-4
#SBATCH --cpus-per-task=2
#SBATCH --mem=4G
#SBATCH --time=00:30:00
#SBATCH --output=grade-class-%A-%a.log
set -euo pipefail
exec "${PYTHON:-.venv/bin/python}" -m course_lib grade "${SUBMISSIONS:-submissions}" --out "${PARTS:-gradebook-parts}" \
    --jobs "${SLURM_CPUS_PER_TASK:-2}"
