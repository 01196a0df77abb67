#!/bin/sh
# Measures the device cost model's data under QEMU and checks its predictions: for each shape
# (smnist/sfmnist, kws, spam, se, and an odd calibration-only shape: 2 layers of 30 units, 13
# features, a 7-output per-step head), a stand-in float model (one epoch on a random data file of
# the shape: counts and flash depend on the genome and the shapes, not on the weights' values),
# quantized (PTQ) at homogeneous and random genomes, exported with `mpgru export`, built for each
# example board (examples/cortex-m4, examples/cortex-m55) and run under QEMU: instructions per
# model_step (and the gains of a per-step model) and the linked flash of model.o + mpgru_rt.o
# (scripts/linked_flash.awk on the link map). The "fit" genomes (homogeneous 2..8 and random
# ones) fit the costs (mpgru cost --fit: least squares on relative errors); the "check" genomes
# (random, disjoint from the fit set, --check per shape) are predicted and compared.
#
#   scripts/device_costs.sh [--check N] [--fit N] [--opt -O2] [--seed S]
#   scripts/device_costs.sh --refit    # no QEMU: fit and check again from the measurements files
#   scripts/device_costs.sh --opt -Os  # the same at -Os (cost_measurements-Os.csv), fitted with -O2
#
# Writes results/deploy/cost_measurements.csv (every measurement, with each model's shape and
# genome: `mpgru cost --fit` refits from it alone), src/device/device_costs.json
# (the costs, compiled into mpgru at the next build) and results/deploy/cost_model.md (per
# target: each checked genome's predicted and measured instructions and flash, the errors).
# Whole steps only: it reads nothing inside the runtime, so it follows the kernels as they change.
# BUILD names the build folder (default build). Needs python3 with numpy for the random data files
# (as scripts/deploy.sh). About 10-15 minutes on one core with the defaults.
set -eu
checks=20
fits=12
opt=-O2
seed=1
refit=0
while [ $# -gt 0 ]; do
  case $1 in
    --refit) refit=1; shift ;;
    --check) checks=$2; shift 2 ;;
    --fit) fits=$2; shift 2 ;;
    --opt) opt=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    *) echo "device_costs.sh: unknown argument '$1' (--check N, --fit N, --opt FLAGS, --seed S, --refit)" >&2; exit 2 ;;
  esac
done
root=$(pwd)
# One measurements file per optimisation level (-O2: cost_measurements.csv, -Os:
# cost_measurements-Os.csv); the costs are fitted to all of them, one set per target and level.
suffix=""
[ "$opt" = -O2 ] || suffix="$opt"
csv=results/deploy/cost_measurements$suffix.csv
costs=src/device/device_costs.json
report=results/deploy/cost_model.md
work=$(mktemp -d "${TMPDIR:-/tmp}/mpgru-costs.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM
started=$(date +%s)
# A copy: the build folder may be rebuilt while this runs.
bin=$work/mpgru
cp "$root/${BUILD:-build}/mpgru" "$bin"

# name steps features classes outputs vocabulary hidden embedding layers input(unsigned|signed)
shapes="smnist 28 28 10 0 0 128 0 1 unsigned
kws 49 40 12 0 0 64 0 1 signed
spam 256 1 2 0 4096 64 32 1 signed
se 251 24 0 24 0 128 0 1 unsigned
odd 9 13 0 7 0 30 0 2 signed"

stand_in() {
  sh "$root/scripts/stand_in_model.sh" "$bin" "$work/$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "$9" \
    "${10}" 128
}

# Genes of a shape's genome (core/genome.hpp's table).
gene_count() {
  echo $((25 + 22 * ($1 - 1) + $2))
}

# COUNT random genomes of LENGTH genes (digits 2..8), one per line, from SEED (awk's generator).
random_genomes() {
  awk -v n="$1" -v len="$2" -v seed="$3" 'BEGIN {
    srand(seed)
    for (i = 0; i < n; ++i) {
      g = ""
      for (j = 0; j < len; ++j) g = g int(2 + rand() * 7)
      print g
    }
  }'
}

# measure NAME STEPS GENOME SET: one row per board into the measurements.
measure() {
  name=$1 steps=$2 genome=$3 set=$4
  model=$work/models/$name-$genome.mpq
  if ! "$bin" quantize --ckpt "$work/$name-float" --genome "$genome" -o "$model" \
    >"$work/quantize.log" 2>&1; then
    echo "device_costs: $name $genome: no model ($(tail -n 1 "$work/quantize.log")), skipped" >&2
    return 0
  fi
  dir=$work/export
  rm -rf "$dir"
  "$bin" export "$model" --out "$dir/c" --name model >/dev/null
  described=$("$bin" cost --describe "$model")
  for board in cortex-m4 cortex-m55; do
    make -s -C "examples/$board" MODEL_DIR="$dir/c" OUT="$dir/$board" STEPS="$steps" OPT="$opt" \
      run >"$work/run.log"
    instructions=$(sed -n 's/^instructions_per_step //p' "$work/run.log")
    flash=$(awk -f scripts/linked_flash.awk "$dir/$board/app.map")
    [ -n "$instructions" ] || { echo "device_costs: $board printed no instructions_per_step" >&2; exit 1; }
    echo "$board,$opt,$set,$name,$described,$instructions,$flash" >>"$work/measurements.csv"
  done
}

measure_all() {
  mkdir -p "$work/models"
  echo "target,opt,set,label,features,vocabulary,hidden,layers,outputs,per_step,input_signed,genome,hints,instructions,flash_bytes" \
    >"$work/measurements.csv"
  echo "$shapes" | while read -r name steps features classes outputs vocabulary hidden embedding layers input; do
    stand_in "$name" "$steps" "$features" "$classes" "$outputs" "$vocabulary" "$hidden" "$embedding" \
      "$layers" "$input"
    extra=0
    [ "$vocabulary" != 0 ] && extra=$((extra + 1))
    [ "$outputs" != 0 ] && extra=$((extra + 1))
    length=$(gene_count "$layers" "$extra")
    for bits in 8 7 6 5 4 3 2; do
      measure "$name" "$steps" "$(printf "%0${length}d" 0 | tr 0 "$bits")" fit
    done
    # Fit and check genomes from different seeds of awk's generator; a check genome that is also a
    # fit genome is dropped (never with 7^25 genomes, but stated).
    random_genomes "$fits" "$length" "$((seed * 1000 + 1))" >"$work/fit.txt"
    random_genomes "$checks" "$length" "$((seed * 1000 + 2))" >"$work/check.txt"
    while read -r g; do measure "$name" "$steps" "$g" fit; done <"$work/fit.txt"
    [ "$name" = odd ] && continue
    grep -vxF -f "$work/fit.txt" "$work/check.txt" | while read -r g; do
      measure "$name" "$steps" "$g" check
    done
    echo "device_costs: $name measured ($(($(date +%s) - started)) s)" >&2
  done
  mkdir -p "$(dirname "$csv")"
  cp "$work/measurements.csv" "$csv"
}

if [ "$refit" = 1 ]; then
  [ -f "$csv" ] || { echo "device_costs.sh: --refit needs $csv (run without --refit first)" >&2; exit 1; }
  made="Refitted $(date -u +%Y-%m-%d) by \`scripts/device_costs.sh --refit\` from $csv (measured by \`scripts/device_costs.sh\`, seed $seed, $fits random fit genomes per shape)"
else
  measure_all
  made="Made $(date -u +%Y-%m-%d) by \`scripts/device_costs.sh\` (seed $seed, $fits random fit genomes per shape; $(($(date +%s) - started)) s)"
fi
note="$made; arm-none-eabi-gcc $(arm-none-eabi-gcc -dumpversion), $(qemu-system-arm --version | head -n 1)"
all=$work/all.csv
head -n 1 "$csv" >"$all"
for f in results/deploy/cost_measurements*.csv; do tail -n +2 "$f" >>"$all"; done
"$bin" cost --fit "$all" --out "$work/costs.json" --note "$note" >"$work/fit.log"
cp "$work/costs.json" "$costs"
status=0
"$bin" cost --check "$all" --costs "$costs" >"$work/check.md" || status=$?
{
  echo "# The device cost model against QEMU"
  echo
  echo "${made}. The cost model (src/device: \`mpgru cost\`, the"
  echo "search's latency objective, docs/deploy.md) predicts a model's instructions per \`model_step\`"
  echo "(with a per-step model's gains) and its flash (.text + .rodata of model.o and mpgru_rt.o as"
  echo "linked) on each target from its shapes, its genome and what its scales decide (which linears"
  echo "requantize on the fast path, which element-wise values are constant and fold away:"
  echo "src/device/model_hints.hpp), linear in features named after the runtime's kernels"
  echo "(src/device/cost_features.hpp). Its costs (src/device/device_costs.json) are fitted by"
  echo "nonnegative least squares on relative errors to the *fit* genomes: per shape homogeneous 2..8"
  echo "and $fits random genomes, plus an odd shape (2 layers of 30 units, 13 features, a 7-output"
  echo "per-step head) for the rows outside whole 4-row blocks. The *check* genomes below are $checks"
  echo "other random genomes per task shape (each digit uniform in 2..8), never fitted on."
  echo
  echo "Every model is a PTQ model of a stand-in float model of its shape (one epoch on a random data"
  echo "file; smnist's and se's inputs >= 0, so their x grid is unsigned, the others' signed), exported"
  echo "with \`mpgru export\`, built with \`arm-none-eabi-gcc $(arm-none-eabi-gcc -dumpversion)\` (-O2; -Os where a table says) for each"
  echo "example board (examples/cortex-m4: QEMU mps2-an386; examples/cortex-m55: mps3-an547) and run"
  echo "under QEMU (\`-icount shift=0\`, SysTick): instructions per step averaged over 2 sequences."
  echo "Counts depend on the genome, the shapes and the scales' requantization paths, not on the"
  echo "weights' values; without a built model (\`predict\` from shapes alone) the fast requantization"
  echo "is estimated from the bits and every element-wise operator is counted."
  echo
  echo "Shapes: smnist/sfmnist 28 features, GRU-128, 10 classes, 28 steps; kws 40 features, GRU-64, 12"
  echo "classes, 49 steps; spam 4096-token vocabulary, 32-dim embedding, GRU-64, 2 classes, 256 steps; se"
  echo "24 features, GRU-128, 24 per-step gains, 251 steps."
  echo
  echo "The fit (on its own samples):"
  echo
  sed 's/^/    /' "$work/fit.log"
  cat "$work/check.md"
  echo
  echo "Measurements: results/deploy/cost_measurements*.csv (-O2, -Os; each model's shape, genome and hints: \`scripts/device_costs.sh"
  echo "--refit\` fits and checks again from it without QEMU, e.g. after a change of the features)."
} >"$report"
cat "$report"
echo "device_costs: wrote $costs, $csv and $report; rebuild mpgru to compile the new costs in" >&2
exit $status
