#!/bin/sh
# A stand-in float model of a task's shape, for the device measurements (scripts/deploy.sh,
# scripts/device_costs.sh): a random data file of the shape (N sequences per split; real inputs
# normal, or uniform in [0, 1] with INPUT unsigned; token ids with a vocabulary; class labels or
# per-step targets in [0, 1]) and one epoch of training on it. Instruction counts and flash depend
# on the genome and the shapes, not on the weights' values.
#
#   scripts/stand_in_model.sh BIN OUT STEPS FEATURES CLASSES OUTPUTS VOCABULARY HIDDEN EMBEDDING \
#     LAYERS INPUT N
#
# Writes OUT.npz and the float checkpoint OUT-float. Needs python3 with numpy.
set -eu
[ $# -eq 12 ] || { echo "stand_in_model.sh: 12 arguments expected (see its header)" >&2; exit 2; }
bin=$1 out=$2 steps=$3 features=$4 classes=$5 outputs=$6 vocabulary=$7 hidden=$8 embedding=$9
layers=${10} input=${11} n=${12}
/usr/bin/python3 - "$out.npz" "$steps" "$features" "$classes" "$outputs" "$vocabulary" "$n" \
  "$input" <<'PY'
import sys
import numpy as np
path, steps, features, classes, outputs, vocabulary, n = sys.argv[1], *map(int, sys.argv[2:8])
unsigned = sys.argv[8] == "unsigned"
rng = np.random.default_rng(0)
arrays = {}
for split in ("train", "validation", "test"):
    if vocabulary:
        arrays["x_" + split] = rng.integers(0, vocabulary, (n, steps))
    elif unsigned:
        arrays["x_" + split] = rng.uniform(0, 1, (n, steps, features)).astype(np.float32)
    else:
        arrays["x_" + split] = rng.normal(0, 1, (n, steps, features)).astype(np.float32)
    if outputs:
        arrays["y_" + split] = rng.uniform(0, 1, (n, steps, outputs)).astype(np.float32)
    else:
        arrays["y_" + split] = np.arange(n) % classes
if vocabulary:
    arrays["vocabulary"] = np.array(vocabulary)
np.savez(path, **arrays)
PY
extra=""
[ "$embedding" != 0 ] && extra="--embedding $embedding"
# shellcheck disable=SC2086
"$bin" train --data "$out.npz" --hidden "$hidden" --layers "$layers" $extra --epochs 1 \
  --threads 1 --out "$out-float" >/dev/null 2>&1
