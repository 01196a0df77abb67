#!/bin/sh
# A QAT lever on a fixed panel of genomes (issue 30). kws's panel (results/levers/qat-panel/
# panel.txt): the nine genomes just smaller than the picks of today's kws searches (seeds 1-3,
# results/search-speed), each losing 0.9-1.5 pp of validation accuracy to 8-bit after the final
# fine-tune. Another task's panel is
# made from its searches: the three largest front genomes smaller than each search's
# validation-chosen pick (PANEL=FILE with --make-panel SEED:RUN_DIR...). Each genome is
# fine-tuned again for the final steps (STEPS, default kws's 528) with the lever's flags and the
# search's QAT seed (plus OFFSET), one thread as in the search. Appends "seed,genome,validation
# accuracy" rows (integer engine) to OUT/LABEL.csv, skipping rows already there; compare a label
# with "off" (no flags, offset 0: the searches' own final scores).
#
#   scripts/qat_panel.sh LABEL OFFSET [qat flags...]   e.g. qat_panel.sh d05t2 0 --distill-weight 0.5
#   scripts/qat_panel.sh --make-panel SEED:RUN_DIR...  writes PANEL from the runs' front.json
#   (TASK=kws, BUILD=build, OUT=results/levers/qat-panel (kws) or results/levers/qat-panel-TASK,
#   PANEL=OUT/panel.txt, STEPS=528; needs runs/TASK-float and jq)
set -eu
task=${TASK:-kws}
bin=${BUILD:-build}/mpgru
if [ "$task" = kws ]; then out=${OUT:-results/levers/qat-panel}; else out=${OUT:-results/levers/qat-panel-$task}; fi
panel=${PANEL:-$out/panel.txt}
command -v jq >/dev/null || { echo "qat_panel.sh: needs jq (apt install jq)" >&2; exit 1; }
mkdir -p "$out"

# The three largest front genomes below each run's validation-chosen pick.
if [ "${1:-}" = --make-panel ]; then
  shift
  : >"$panel"
  for arg; do
    seed=${arg%%:*}
    front=${arg#*:}/front.json
    [ -f "$front" ] || { echo "qat_panel.sh: $front missing" >&2; exit 1; }
    jq -r '.headline.iso_accuracy_size.genome as $p
      | ([.front[] | select(.compact == $p)][0].size_bits) as $s
      | [.front[] | select(.size_bits < $s)] | sort_by(-.size_bits) | .[0:3][] | .compact' \
      "$front" | sed "s/^/$seed /" >>"$panel"
  done
  echo "qat_panel.sh: wrote $panel ($(wc -l <"$panel") genomes)"
  exit 0
fi

[ $# -ge 2 ] || { echo "usage: qat_panel.sh LABEL OFFSET [qat flags...]" >&2; exit 1; }
label=$1
offset=$2
shift 2
[ -d "runs/$task-float" ] || { echo "qat_panel.sh: runs/$task-float missing" >&2; exit 1; }
model=$(mktemp --suffix=.mpq)
trap 'rm -f "$model"' EXIT
[ -s "$panel" ] || { echo "qat_panel.sh: no panel $panel (make one with --make-panel)" >&2; exit 1; }
csv=$out/$label.csv
while read -r seed genome; do
  grep -q "^$seed,$genome," "$csv" 2>/dev/null && continue
  acc=$("$bin" qat --ckpt "runs/$task-float" --genome "$genome" --steps "${STEPS:-528}" \
    --seed $((seed + offset)) --threads 1 --split validation --json -o "$model" "$@" |
    jq -r '.qat_accuracy')
  echo "$seed,$genome,$acc" >>"$csv"
done <"$panel"
