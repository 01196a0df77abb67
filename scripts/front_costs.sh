#!/bin/sh
# A search's front on the devices: every front genome of RUN (front.csv) quantized (PTQ) from the
# run's own float checkpoint, exported and run under QEMU on both example boards at -O2, its
# measured instructions per step and linked flash beside the cost model's predictions that the
# search wrote (front.csv's TARGET_instructions_per_step and TARGET_flash_bytes columns).
# Writes a markdown table to stdout.
#
#   scripts/front_costs.sh RUN_DIR [STEPS]      (STEPS: time steps per sequence, default 28)
#
# BUILD names the build folder (default build).
set -eu
run=$1
steps=${2:-28}
bin=$(pwd)/${BUILD:-build}/mpgru
ckpt=$(sed -n 's/.*"checkpoint": *"\([^"]*\)".*/\1/p' "$run/config.json" | head -n 1)
[ -n "$ckpt" ] || { echo "front_costs.sh: no checkpoint in $run/config.json" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/mpgru-front.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM
cp "$bin" "$work/mpgru"

# The header's column numbers of the device columns (the quoted genome_pairs column removed).
header=$(head -n 1 "$run/front.csv" | sed 's/genome_pairs,//')
column() { echo "$header" | tr ',' '\n' | grep -nx "$1" | cut -d: -f1; }
m4_i=$(column cortex-m4_instructions_per_step)
m4_f=$(column cortex-m4_flash_bytes)
m55_i=$(column cortex-m55_instructions_per_step)
m55_f=$(column cortex-m55_flash_bytes)
score=$(echo "$header" | cut -d, -f2)

echo "| genome | $score | M4 predicted | measured | error | flash pred. B | measured | M55 predicted | measured | error | flash pred. B | measured |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
tail -n +2 "$run/front.csv" | sed 's/"[^"]*",//' | while IFS= read -r line; do
  genome=$(echo "$line" | cut -d, -f1)
  "$work/mpgru" quantize --ckpt "$ckpt" --genome "$genome" -o "$work/m.mpq" >/dev/null 2>&1
  rm -rf "$work/c"
  "$work/mpgru" export "$work/m.mpq" --out "$work/c" --name model >/dev/null
  row="| \`$genome\` | $(echo "$line" | cut -d, -f2)"
  for board in cortex-m4 cortex-m55; do
    if [ $board = cortex-m4 ]; then pi=$m4_i pf=$m4_f; else pi=$m55_i pf=$m55_f; fi
    make -s -C "examples/$board" MODEL_DIR="$work/c" OUT="$work/$board" STEPS="$steps" OPT=-O2 \
      run >"$work/run.log"
    measured=$(sed -n 's/^instructions_per_step //p' "$work/run.log")
    flash=$(awk -f scripts/linked_flash.awk "$work/$board/app.map")
    predicted=$(echo "$line" | cut -d, -f"$pi")
    predicted_flash=$(echo "$line" | cut -d, -f"$pf")
    error=$(awk -v p="$predicted" -v m="$measured" 'BEGIN { printf "%+.2f %%", 100 * (p / m - 1) }')
    row="$row | $predicted | $measured | $error | $predicted_flash | $flash"
    rm -rf "$work/$board"
  done
  echo "$row |"
done
