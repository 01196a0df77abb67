#!/bin/sh
# The Cortex-M4 cost of every task's pick in results/RESULTS.md (each task's first seed; se's
# iso-quality genome) against its task's homogeneous 8-bit model, -O2 and -Os, with stand-in
# models: instruction counts and flash depend on the genome and the shapes, not on the weights'
# values, so each task's float model is trained for one epoch on a random data file of the task's
# shape (steps, features or vocabulary and embedding, classes or outputs, hidden size: the
# task's config), quantized at each genome, exported and run under QEMU mps2-an386 (and the
# Cortex-M55 board). Writes results/deploy/picks.md (or --out FILE).
#
#   scripts/pick_costs.sh [--out FILE]
#
# BUILD names the build folder (default build). Needs python3 with numpy (python3-torch brings it).
set -eu
out=results/deploy/picks.md
[ "${1:-}" = "--out" ] && out=$2
bin=$(pwd)/${BUILD:-build}/mpgru
table=results/RESULTS.md
work=$(mktemp -d "${TMPDIR:-/tmp}/mpgru-picks.XXXXXX")
trap 'rm -rf "$work"' EXIT

# task steps features classes outputs vocabulary hidden embedding
shapes="smnist 28 28 10 0 0 128 0
kws 49 40 12 0 0 64 0
sfmnist 28 28 10 0 0 128 0
spam 256 1 2 0 4096 64 32
se 251 24 0 24 0 128 0"

pick_of() {
  grep "^| $1 |.*\`[0-9]*\`" "$table" | head -n 1 | sed -n 's/^[^`]*`\([0-9]*\)`.*$/\1/p'
}

stand_in() {
  task=$1 steps=$2 features=$3 classes=$4 outputs=$5 vocabulary=$6 hidden=$7 embedding=$8
  /usr/bin/python3 - "$work/$task.npz" "$steps" "$features" "$classes" "$outputs" "$vocabulary" <<'PY'
import sys
import numpy as np
path, steps, features, classes, outputs, vocabulary = sys.argv[1], *map(int, sys.argv[2:])
rng = np.random.default_rng(0)
n = 256
arrays = {}
for split in ("train", "validation", "test"):
    if vocabulary:
        arrays["x_" + split] = rng.integers(0, vocabulary, (n, steps))
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
  "$bin" train --data "$work/$task.npz" --hidden "$hidden" $extra --epochs 1 --threads 1 \
    --out "$work/$task-float" >/dev/null 2>&1
}

steps_per() {
  board=$1 model=$2 opt=$3 steps=$4 tag=$5
  dir=$work/$tag
  "$bin" export "$model" --out "$dir/c" --name model >/dev/null
  make -s -C "examples/$board" MODEL_DIR="$dir/c" OUT="$dir/build" STEPS="$steps" OPT="$opt" run |
    sed -n 's/^instructions_per_step //p'
}

# Linked flash of the model and the runtime: their kept .text and .rodata sections in the link
# map (only the width kernels a model uses are linked).
flash_of() {
  awk -f scripts/linked_flash.awk "$1/build/app.map"
}

rows=""
echo "$shapes" | while read -r task steps features classes outputs vocabulary hidden embedding; do
  pick=$(pick_of "$task")
  [ -n "$pick" ] || { echo "pick_costs.sh: no pick for $task in $table" >&2; exit 1; }
  eight=$(echo "$pick" | sed 's/[0-9]/8/g')
  stand_in "$task" "$steps" "$features" "$classes" "$outputs" "$vocabulary" "$hidden" "$embedding"
  line="| $task | \`$pick\`"
  for genome in "$eight" "$pick"; do
    "$bin" quantize --ckpt "$work/$task-float" --genome "$genome" -o "$work/$task-$genome.mpq" \
      >/dev/null 2>&1
  done
  for opt in -O2 -Os; do
    e=$(steps_per cortex-m4 "$work/$task-$eight.mpq" "$opt" "$steps" "$task-8$opt")
    p=$(steps_per cortex-m4 "$work/$task-$pick.mpq" "$opt" "$steps" "$task-p$opt")
    line="$line | $e | $p | $(awk -v a="$p" -v b="$e" 'BEGIN { printf "%.3f", a / b }')"
    if [ "$opt" = -Os ]; then
      fe=$(flash_of "$work/$task-8$opt")
      fp=$(flash_of "$work/$task-p$opt")
      line="$line | $fe | $fp | $(awk -v a="$fp" -v b="$fe" 'BEGIN { printf "%.3f", a / b }')"
    fi
  done
  m55e=$(steps_per cortex-m55 "$work/$task-$eight.mpq" -O2 "$steps" "$task-m55-8")
  m55p=$(steps_per cortex-m55 "$work/$task-$pick.mpq" -O2 "$steps" "$task-m55-p")
  line="$line | $m55e | $m55p |"
  echo "$line" >>"$work/rows.md"
  echo "pick_costs: $line" >&2
done
mkdir -p "$(dirname "$out")"
{
  echo "# Every pick of results/RESULTS.md on the device, against its task's 8-bit model"
  echo
  echo "Made $(date -u +%Y-%m-%d) by \`scripts/pick_costs.sh\`: each task's first-seed pick (se: the iso-quality"
  echo "genome) and homogeneous 8-bit, as PTQ models of a stand-in float model of the task's shape (one"
  echo "epoch on a random data file: counts and flash depend on the genome and the shapes only),"
  echo "exported with \`mpgru export\`, built with \`arm-none-eabi-gcc $(arm-none-eabi-gcc -dumpversion)\` and run under QEMU:"
  echo "instructions per \`model_step\` (se: a 10 ms frame, step and gains), averaged over 2 sequences."
  echo "Flash: the linked \`.text\` and \`.rodata\` sections of the model and the runtime (link map), -Os."
  echo
  echo "| task | pick | M4 -O2 8-bit | pick | ratio | M4 -Os 8-bit | pick | ratio | flash 8-bit B | pick B | ratio | M55 -O2 8-bit | pick |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  cat "$work/rows.md"
} >"$out"
cat "$out"
