#!/bin/sh
# A QAT lever on a fixed panel of kws genomes (issue 30): the nine genomes just smaller than the
# picks of today's kws searches (seeds 1-3, results/search-speed), each losing 0.9-1.5 pp of
# validation accuracy to 8-bit after the final fine-tune, fine-tuned again for the final 528 steps
# with the lever's flags and the search's QAT seed (plus OFFSET), one thread as in the search.
# Appends "seed,genome,validation accuracy" rows (integer engine) to OUT/LABEL.csv, skipping rows
# already there; compare a label with "off" (no flags, offset 0: the searches' own final scores).
#
#   scripts/qat_panel.sh LABEL OFFSET [qat flags...]   e.g. qat_panel.sh d05t2 0 --distill-weight 0.5
#   (BUILD=build, OUT=results/levers/qat-panel; needs runs/kws-float and jq)
set -eu
[ $# -ge 2 ] || { echo "usage: qat_panel.sh LABEL OFFSET [qat flags...]" >&2; exit 1; }
label=$1
offset=$2
shift 2
bin=${BUILD:-build}/mpgru
out=${OUT:-results/levers/qat-panel}
command -v jq >/dev/null || { echo "qat_panel.sh: needs jq (apt install jq)" >&2; exit 1; }
[ -d runs/kws-float ] || { echo "qat_panel.sh: runs/kws-float missing" >&2; exit 1; }
mkdir -p "$out"
csv=$out/$label.csv
model=$(mktemp --suffix=.mpq)
trap 'rm -f "$model"' EXIT
while read -r seed genome; do
  grep -q "^$seed,$genome," "$csv" 2>/dev/null && continue
  acc=$("$bin" qat --ckpt runs/kws-float --genome "$genome" --steps 528 --seed $((seed + offset)) \
    --threads 1 --split validation --json -o "$model" "$@" | jq -r '.qat_accuracy')
  echo "$seed,$genome,$acc" >>"$csv"
done <<'PANEL'
1 6232222258876845758888888
1 8422222555488785586676565
1 6522222855388565374666565
2 8222223588478878888888525
2 8222222237878878888888585
2 8223222787666678766666665
3 6222222786666666666786736
3 6222222788678566746766836
3 6222222825666668666766736
PANEL
