#!/bin/sh
# The same data through a data file and through the built-in task, at full size: for each task,
# `mpgru data to-npz` writes its splits as an .npz, then float training (same seed, one thread),
# the PTQ sweep on validation and test, and a PTQ search run both ways, and the figures are
# printed side by side with whether they are identical (results/your-data/equivalence.md).
#
#   scripts/equivalence.sh [--tasks smnist,spam] [--out FILE]
#
# BUILD names the build folder (default build); MPGRU_DATA_DIR the data folder (default data).
set -eu
tasks=smnist,spam
out=results/your-data/equivalence.md
while [ $# -gt 0 ]; do
  case $1 in
    --tasks) tasks=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "equivalence.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
bin=$(pwd)/${BUILD:-build}/mpgru
data=${MPGRU_DATA_DIR:-data}
work=$(mktemp -d "${TMPDIR:-/tmp}/mpgru-equivalence.XXXXXX")
trap 'rm -rf "$work"' EXIT

flags_of() {
  case $1 in
    smnist) echo "--hidden 32 --epochs 3 --lr 5e-3 --batch 128" ;;
    spam) echo "--hidden 16 --embedding 16 --epochs 3 --lr 5e-3 --batch 64" ;;
    *) echo "equivalence.sh: no settings for task $1" >&2; exit 2 ;;
  esac
}

# One line of figures of a run folder pair: metrics, sweep, front.
figures() {
  /usr/bin/python3 - "$@" <<'PY'
import json, sys
task_dir, file_dir, name = sys.argv[1], sys.argv[2], sys.argv[3]
def load(d, f):
    return json.load(open(f"{d}/{f}"))
rows = []
for label, key in (("float", "metrics.json"),):
    a, b = load(task_dir, "float/" + key), load(file_dir, "float/" + key)
    for e_a, e_b in zip(a["epochs"], b["epochs"]):
        rows.append((f"epoch {e_a['epoch']}: train loss / val accuracy",
                     f"{e_a['train_loss']:.6f} / {100 * e_a['val_accuracy']:.2f} %",
                     f"{e_b['train_loss']:.6f} / {100 * e_b['val_accuracy']:.2f} %"))
    rows.append(("float test accuracy", f"{100 * a['test_accuracy']:.2f} %",
                 f"{100 * b['test_accuracy']:.2f} %"))
for split in ("validation", "test"):
    a, b = load(task_dir, f"sweep-{split}.json"), load(file_dir, f"sweep-{split}.json")
    ra = " ".join(f"{100 * r['accuracy']:.2f}" for r in a["rows"])
    rb = " ".join(f"{100 * r['accuracy']:.2f}" for r in b["rows"])
    rows.append((f"PTQ {split} accuracy, 8..2 bits (%)", ra, rb))
a, b = load(task_dir, "search/front.json"), load(file_dir, "search/front.json")
fa = " ".join(f"{g['compact']}:{100 * g['val_accuracy']:.2f}" for g in a["front"])
fb = " ".join(f"{g['compact']}:{100 * g['val_accuracy']:.2f}" for g in b["front"])
rows.append(("PTQ search front (genome: val %)", fa, fb))
ha, hb = a["headline"].get("iso_accuracy_size", {}), b["headline"].get("iso_accuracy_size", {})
rows.append(("validation-chosen pick, size reduction",
             f"{ha.get('genome', '-')} {100 * ha.get('size_reduction', 0):.1f} %",
             f"{hb.get('genome', '-')} {100 * hb.get('size_reduction', 0):.1f} %"))
for what, x, y in rows:
    same = "yes" if x == y else "**NO**"
    print(f"| {name} | {what} | {x} | {y} | {same} |")
PY
}

run_side() {
  dir=$1 source=$2 flags=$3
  mkdir -p "$dir"
  # shellcheck disable=SC2086
  "$bin" train $source $flags --seed 7 --threads 1 --out "$dir/float" >"$dir/train.log" 2>&1
  for split in validation test; do
    "$bin" sweep --ckpt "$dir/float" $source --split $split --json >"$dir/sweep-$split.json" 2>/dev/null
  done
  "$bin" search --ckpt "$dir/float" $source --fitness ptq --population 24 --generations 10 \
    --seed 3 --workers 1 --out "$dir/search" >"$dir/search.log" 2>&1
}

rows=""
for task in $(echo "$tasks" | tr ',' ' '); do
  npz=$work/$task.npz
  "$bin" data to-npz --task "$task" --data "$data" --out "$npz" >/dev/null
  flags=$(flags_of "$task")
  start=$(date +%s)
  run_side "$work/$task-task" "--task $task --data $data" "$flags"
  run_side "$work/$task-file" "--data $npz" "$flags"
  echo "equivalence: $task done in $(($(date +%s) - start)) s" >&2
  rows="$rows$(figures "$work/$task-task" "$work/$task-file" "$task")
"
done
mkdir -p "$(dirname "$out")"
{
  echo "# The same data through a data file and through the built-in task"
  echo
  echo "Made $(date -u +%Y-%m-%d) by \`scripts/equivalence.sh\` at full size (every training sequence):"
  echo "\`mpgru data to-npz\` wrote each task's splits as an .npz; float training (settings per task in the"
  echo "script, seed 7, one thread), the PTQ sweep and a PTQ search (24 x 10, seed 3) ran once with"
  echo "\`--task T\` and once with \`--data T.npz\`. The default test suite runs the same comparison at a small"
  echo "size, and a sequence-to-sequence one (se's arrays), on every build (tests/cli/data_file_equivalence_test.cpp)."
  echo
  echo "| task | figure | built-in task | data file | identical |"
  echo "|---|---|---|---|---|"
  printf '%s' "$rows"
} >"$out"
cat "$out"
