#!/bin/sh
# Instructions of the exported GRU step on a Cortex-M4 (QEMU mps2-an386, -icount shift=0, as
# scripts/deploy.sh counts them) for homogeneous genomes of every width 2..8 of an sMNIST-shaped
# GRU-128 (28 features, 10 classes; values do not change the counts), at -O2 and -Os, the same
# step on the Cortex-M55 board (QEMU mps3-an547: the Helium kernels), and on both boards the
# linears alone (the element-wise work and the requantization replaced by copies in a scratch
# copy of the exported C), per MAC. OLD_BIN (an mpgru binary of an earlier commit) adds its step counts
# in the same run. Writes results/deploy/kernels.md (or --out FILE).
#
#   scripts/kernel_costs.sh [--out FILE]
#
# BUILD names the build folder (default build); MPGRU_DATA_DIR the data (default data).
set -eu
out=results/deploy/kernels.md
[ "${1:-}" = "--out" ] && out=$2
bin=$(pwd)/${BUILD:-build}/mpgru
example=$(pwd)/examples/cortex-m4
m55=$(pwd)/examples/cortex-m55
work=$(mktemp -d "${TMPDIR:-/tmp}/mpgru-kernels.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$bin" train --task smnist --hidden 128 --epochs 1 --train-limit 500 --threads 1 \
  --out "$work/float" >/dev/null 2>&1
macs=$((3 * 128 * (28 + 128)))

# step BIN MODEL OPT TAG [linears|m55]: instructions per step (on the Cortex-M55 board with m55).
step() {
  dir=$work/$4
  rm -rf "$dir"
  "$1" export "$2" --out "$dir/c" --name model >/dev/null
  case ${5:-} in *linears)
    # The linears alone: no requantization, no element-wise operators.
    sed -i 's/model_units\[k\](out, old, state->h\[k\]);/for (c = 0; c < MODEL_HIDDEN; ++c) state->h[k][c] = (int8_t)(out[c] + out[c + MODEL_HIDDEN]);/' "$dir/c/model.c"
    perl -0pi -e 's/(l->kernel\(l, x, acc\);[^\n]*\n).*?\n}\n/$1  for (c = 0; c < l->rows; ++c) y[c] = (int16_t)acc[c];\n}\n/s' "$dir/c/mpgru_rt.c"
    grep -q "y\[c\] = (int16_t)acc\[c\];" "$dir/c/mpgru_rt.c" || { echo "kernel_costs.sh: the runtime changed; update the linears-only edit" >&2; exit 1; }
    ;;
  esac
  board=$example
  case ${5:-} in m55*) board=$m55 ;; esac
  make -s -C "$board" MODEL_DIR="$dir/c" OUT="$dir/build" STEPS=28 OPT="$3" \
    EXTRA_CFLAGS="-Wno-unused-function -Wno-unused-variable -Wno-unused-const-variable" run | sed -n 's/^instructions_per_step //p'
}

rows=""
for bits in 8 7 6 5 4 3 2; do
  genome=$(printf '%025d' 0 | tr 0 "$bits")
  "$bin" quantize --ckpt "$work/float" --genome "$genome" -o "$work/h$bits.mpq" >/dev/null 2>&1
  o2=$(step "$bin" "$work/h$bits.mpq" -O2 "o2-$bits")
  os=$(step "$bin" "$work/h$bits.mpq" -Os "os-$bits")
  lin=$(step "$bin" "$work/h$bits.mpq" -O2 "lin-$bits" linears)
  m55_o2=$(step "$bin" "$work/h$bits.mpq" -O2 "m55-$bits" m55)
  m55_os=$(step "$bin" "$work/h$bits.mpq" -Os "m55s-$bits" m55)
  m55_lin=$(step "$bin" "$work/h$bits.mpq" -O2 "m55lin-$bits" m55-linears)
  old="-"
  [ -n "${OLD_BIN:-}" ] && old="$(step "$OLD_BIN" "$work/h$bits.mpq" -O2 "old2-$bits") / $(step "$OLD_BIN" "$work/h$bits.mpq" -Os "olds-$bits")"
  per_mac=$(awk -v l="$lin" -v m="$macs" 'BEGIN { printf "%.2f", l / m }')
  m55_per_mac=$(awk -v l="$m55_lin" -v m="$macs" 'BEGIN { printf "%.2f", l / m }')
  rows="$rows| $bits | $o2 | $os | $lin | $per_mac | $m55_o2 | $m55_os | $m55_lin | $m55_per_mac | $old |
"
  echo "kernel_costs: $bits bits: M4 step $o2 (-O2) $os (-Os), linears $lin ($per_mac per MAC); M55 step $m55_o2 / $m55_os, linears $m55_lin ($m55_per_mac per MAC); old $old" >&2
done
mkdir -p "$(dirname "$out")"
{
  echo "# The exported GRU step on a Cortex-M4 and a Cortex-M55, by weight width"
  echo
  echo "Made $(date -u +%Y-%m-%d) by \`scripts/kernel_costs.sh\`: an sMNIST-shaped GRU-128 (28 features, 10 classes,"
  echo "$macs MACs per step in its six linears), every gene at the same width, exported with \`mpgru export\`,"
  echo "built with \`arm-none-eabi-gcc $(arm-none-eabi-gcc -dumpversion) -mcpu=cortex-m4 -mthumb\` and run under"
  echo "\`qemu-system-arm -M mps2-an386 -icount shift=0\`: instructions per \`model_step\`, averaged over 2"
  echo "sequences of 28 steps. *linears*: the same step with the element-wise operators and the"
  echo "requantization replaced by copies (so it counts the six matrix-vector products, their bias"
  echo "loads and calls), -O2; *per MAC* divides it by the MACs. *before*: the runtime before the"
  echo "device kernels (one MAC per loop iteration, one call per row and per operator), -O2 / -Os,"
  if [ -n "${OLD_BIN:-}" ]; then
    echo "measured in the same run (\`$OLD_BIN\`)."
  else
    echo "not measured in this run (OLD_BIN unset): 450,828 / 543,124 at 8 bits, 431,395 / 478,108 at 2"
    echo "bits (this file at commit d237412)."
  fi
  echo
  echo "*Cortex-M55*: the same step on \`examples/cortex-m55\` (\`-mcpu=cortex-m55\`, QEMU \`mps3-an547\`, 32 MHz"
  echo "SysTick calibrated): the Helium kernels (src/export/mve_layout.hpp), -O2 and -Os, and its linears alone."
  echo
  echo "| bits | M4 step -O2 | M4 step -Os | M4 linears -O2 | M4 per MAC | M55 step -O2 | M55 step -Os | M55 linears -O2 | M55 per MAC | before (M4): step -O2 / -Os |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  printf '%s' "$rows"
} >"$out"
cat "$out"
