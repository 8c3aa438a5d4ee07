#!/usr/bin/env bash
# Retrains the shipped models under models/ with the exact options they were trained with (same seed ->
# bit-identical weights on the same machine), each through `lowbit train`, niced because the machine is
# shared. Each run exports a QuantizedModel, measures its MNIST test accuracy with integerInference,
# saves it, reloads it and checks the accuracy reproduces, and writes train-log.json beside it. The full
# training state is kept in .train-state/<name> after every epoch: run the script again after an
# interruption and the run continues from its last completed epoch (bit-identical to an uninterrupted run).
#   scripts/train-models.sh            # all shipped models
#   scripts/train-models.sh sfc-w1a1   # one of them
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A OPTS=(
  [sfc-w1a1]="--arch sfc --wbits 1 --abits 1 --method bnn --epochs 40 --seed 1 --val-images 0 --dropout 0.1"
  [sfc-w4a4]="--arch sfc --wbits 4 --abits 4 --method pact --epochs 5 --seed 1 --val-images 0"
  [lfc-w1a1]="--arch lfc --wbits 1 --abits 1 --method bnn --epochs 45 --seed 1 --val-images 0 --dropout 0.1 --shift 1"
  [cnn-w4a4]="--arch cnn --wbits 4 --abits 4 --method pact --epochs 3 --seed 1 --val-images 0"
  [cnn-w2a2]="--arch cnn --wbits 2 --abits 2 --method pact --epochs 5 --seed 1 --val-images 0"
  [cnn-w1a1]="--arch cnv --wbits 1 --abits 1 --method bnn --epochs 6 --seed 1 --val-images 0"
)

names=("$@")
if [ ${#names[@]} -eq 0 ]; then names=(sfc-w1a1 sfc-w4a4 lfc-w1a1 cnn-w4a4 cnn-w2a2 cnn-w1a1); fi
for n in "${names[@]}"; do
  if [ -z "${OPTS[$n]:-}" ]; then echo "train-models.sh: unknown model $n; known: ${!OPTS[*]}" >&2; exit 2; fi
  echo "== $n: lowbit train ${OPTS[$n]} --state .train-state/$n --out models/$n" >&2
  # shellcheck disable=SC2086
  LOWBIT_PROGRESS=1 nice -n 10 node --import tsx src/cli/main.ts train ${OPTS[$n]} --state ".train-state/$n" --out "models/$n"
done
