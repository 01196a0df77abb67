#!/bin/sh
# The README's worked example, end to end, on a real data set nobody here made (the UCI digits of
# Debian's python3-sklearn): write the data file with NumPy, train a GRU in PyTorch, import it with
# its data file, search mixed precision (QAT fitness), fine-tune the validation-chosen genome,
# export it as C with golden vectors from the file's test split, and run it bit-exact on a
# Cortex-M4 and a Cortex-M55 under QEMU. Prints the figures and writes OUT/summary.md.
#
#   examples/your-data/run.sh [OUT]          (default OUT: runs/your-data)
#
# Environment: BUILD (the build folder, absolute or below the repository; default build), POPULATION (24), GENERATIONS (10), QAT_STEPS (100),
# FINAL_STEPS (400), EPOCHS (60, PyTorch), GOLDEN (20 test sequences). Needs python3-torch and
# python3-sklearn (scripts/setup.sh installs both), arm-none-eabi-gcc and qemu-system-arm.
set -eu
repo=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-runs/your-data}
build=${BUILD:-build}
case $build in
  /*) bin=$build/mpgru ;;
  *) bin=$repo/$build/mpgru ;;
esac
population=${POPULATION:-24}
generations=${GENERATIONS:-10}
qat_steps=${QAT_STEPS:-100}
final_steps=${FINAL_STEPS:-400}
golden=${GOLDEN:-20}
export OPENBLAS_NUM_THREADS=1
mkdir -p "$out"
out=$(cd "$out" && pwd)
data=$out/digits.npz

echo "== 1. the data file (NumPy) and a GRU trained in PyTorch"
/usr/bin/python3 "$repo/examples/your-data/make_digits.py" "$data"
/usr/bin/python3 "$repo/examples/your-data/train_digits.py" "$data" "$out/digits_gru.pt" \
  --epochs "${EPOCHS:-60}" | tee "$out/pytorch.txt"
"$bin" data describe "$data"

echo "== 2. import with its data file; homogeneous PTQ"
rm -rf "$out/float" "$out/search"
"$bin" import --torch "$out/digits_gru.pt" --data "$data" --out "$out/float" | tee "$out/import.txt"
"$bin" sweep --ckpt "$out/float" --split validation

echo "== 3. search (NSGA-II, QAT fitness), chosen on validation"
"$bin" search --ckpt "$out/float" --fitness qat --qat-steps "$qat_steps" \
  --final-steps "$final_steps" --population "$population" --generations "$generations" \
  --workers 2 --seed 1 --out "$out/search" | tee "$out/search.txt"
# The validation-chosen pick; a budget too small to find one falls back, said so, to the front's
# most accurate genome on validation.
genome=$(/usr/bin/python3 -c 'import json, sys
run = json.load(open(sys.argv[1]))
pick = run["headline"].get("iso_accuracy_size")
if pick is None:
    best = max(run["front"], key=lambda g: g["val_accuracy"])
    print("run.sh: no genome within 0.5 pp of 8-bit on validation; taking the front\x27s most "
          "accurate", file=sys.stderr)
    print(best["compact"])
else:
    print(pick["genome"])' "$out/search/front.json")
eight=$(echo "$genome" | sed 's/[0-9]/8/g')

echo "== 4. the pick and 8-bit, fine-tuned as the search's final scores ($final_steps QAT steps)"
"$bin" qat --ckpt "$out/float" --genome "$genome" --steps "$final_steps" --seed 1 --split test \
  -o "$out/pick.mpq" | tee "$out/pick.txt"
"$bin" qat --ckpt "$out/float" --genome "$eight" --steps "$final_steps" --seed 1 --split test \
  -o "$out/eight.mpq" | tee "$out/eight.txt"

echo "== 5. export with golden vectors from the file's test split; run on a Cortex-M4 and a Cortex-M55 (QEMU)"
device() {
  name=$1
  "$bin" export "$out/$name.mpq" --out "$out/c-$name" --name model --data "$data" --golden "$golden"
  make -s -C "$repo/examples/cortex-m4" MODEL_DIR="$out/c-$name" OUT="$out/m4-$name" STEPS=8 \
    GOLDEN=1 run | tee "$out/m4-$name.txt"
  grep -q "^ok model $golden sequences" "$out/m4-$name.txt" ||
    { echo "run.sh: the golden check of $name failed on the Cortex-M4" >&2; exit 1; }
  make -s -C "$repo/examples/cortex-m55" MODEL_DIR="$out/c-$name" OUT="$out/m55-$name" STEPS=8 \
    GOLDEN=1 run | tee "$out/m55-$name.txt"
  grep -q "^ok model $golden sequences" "$out/m55-$name.txt" ||
    { echo "run.sh: the golden check of $name failed on the Cortex-M55" >&2; exit 1; }
  arm-none-eabi-size -A "$out/m4-$name/model.o" "$out/m4-$name/mpgru_rt.o" |
    awk '$1 ~ /^\.(text|rodata)/ { s += $2 } END { print s + 0 }' >"$out/flash-$name.txt"
}
device pick
device eight

figure() { sed -n "$2" "$out/$1" | head -n 1; }
{
  echo "# Your own data, end to end: UCI digits (examples/your-data/run.sh)"
  echo
  echo "Made $(date -u +%Y-%m-%d) by \`examples/your-data/run.sh\` (population $population x"
  echo "$generations generations, $qat_steps QAT steps per genome, $final_steps for the final scores, seed 1)."
  echo
  echo "- PyTorch float: $(cat "$out/pytorch.txt")"
  echo "- mpgru import: $(grep -h 'float accuracy' "$out/import.txt")"
  echo "- search: $(grep -h -A1 'smallest front genome' "$out/search.txt" | tr '\n' ' ')"
  echo "- $(grep -h 'hypervolume on validation' "$out/search.txt")"
  echo "- pick \`$genome\`: $(tail -n 2 "$out/pick.txt" | tr '\n' ' ')"
  echo "- 8-bit: $(tail -n 2 "$out/eight.txt" | tr '\n' ' ')"
  echo "- Cortex-M4 (-Os, mps2-an386): pick $(figure m4-pick.txt 's/^instructions_per_step //p') instructions per step, flash $(cat "$out/flash-pick.txt") B;"
  echo "  8-bit $(figure m4-eight.txt 's/^instructions_per_step //p') instructions per step, flash $(cat "$out/flash-eight.txt") B;"
  echo "  golden check on $golden test sequences of the data file: $(figure m4-pick.txt '/^ok model/p') (pick), $(figure m4-eight.txt '/^ok model/p') (8-bit)"
  echo "- Cortex-M55 (-Os, mps3-an547, Helium): pick $(figure m55-pick.txt 's/^instructions_per_step //p') instructions per step, 8-bit $(figure m55-eight.txt 's/^instructions_per_step //p');"
  echo "  golden check: $(figure m55-pick.txt '/^ok model/p') (pick), $(figure m55-eight.txt '/^ok model/p') (8-bit)"
} >"$out/summary.md"
cat "$out/summary.md"
