#!/bin/sh
# Measures exported models on a Cortex-M4 (results/deploy): for every task of the results table,
# homogeneous 8-bit and the table's mixed genome (the first seed's pick) are quantized from the task's float model
# (`mpgru quantize`), exported as C (`mpgru export`), built with arm-none-eabi-gcc -Os for the
# Cortex-M4 (examples/cortex-m4) and run under QEMU's mps2-an386.
#
#   scripts/deploy.sh [--tasks smnist,kws,sfmnist,spam,se] [--runs DIR] [--table FILE] [--out DIR]
#
#   --tasks   the tasks (default: smnist,kws,sfmnist,spam,se; se: a step is one 10 ms frame,
#             model_step + model_gains)
#   --runs    where the float models are, DIR/<task>-float (default: runs)
#   --table   the results table whose mixed genomes are measured (default: results/RESULTS.md)
#   --out     where deploy.csv and DEPLOY.md go (default: results/deploy)
#
# Flash, RAM and instructions depend on the genome and the model's shape, not on the weights'
# values, so PTQ models stand in for the fine-tuned ones. Per model:
#   formula   the size the tables quote: packed weights plus int32 biases
#   flash     .text + .rodata of model.o and mpgru_rt.o (arm-none-eabi-size -A), -Os
#   ram       .data + .bss of both objects + the state struct + the deepest stack of
#             model_predict (which calls model_step and model_logits), from -fstack-usage
#             and -fcallgraph-info; stack_painted is the stack the run actually touched
#   instructions_per_step  SysTick under -icount shift=0 (one tick per 40 instructions),
#             around every model_step of 2 pseudo-random sequences, averaged
# BUILD names the build folder (default build).
set -eu

usage_error() {
  echo "deploy.sh: error: $1 (see 'scripts/deploy.sh --help')" >&2
  exit 2
}

tasks=smnist,kws,sfmnist,spam,se
runs=runs
table=results/RESULTS.md
out=results/deploy
while [ $# -gt 0 ]; do
  case $1 in
    --tasks | --runs | --table | --out)
      [ $# -ge 2 ] || usage_error "$1 needs a value"
      case $1 in
        --tasks) tasks=$2 ;;
        --runs) runs=$2 ;;
        --table) table=$2 ;;
        --out) out=$2 ;;
      esac
      shift 2
      ;;
    -h | --help)
      sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *) usage_error "unknown option '$1'" ;;
  esac
done

die() {
  echo "deploy.sh: error: $1" >&2
  exit 1
}

BIN=$(pwd)/${BUILD:-build}/mpgru
[ -x "$BIN" ] || die "$BIN not found: build first (scripts/setup.sh) or set BUILD"
for tool in arm-none-eabi-gcc arm-none-eabi-size qemu-system-arm; do
  command -v $tool >/dev/null || die "$tool not found: scripts/setup.sh installs it"
done
[ -f "$table" ] || die "$table not found: run scripts/reproduce.sh first"
example=$(cd "$(dirname "$0")/../examples/cortex-m4" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/mpgru-deploy.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

steps_of() {
  case $1 in
    smnist | sfmnist) echo 28 ;;
    kws) echo 49 ;;
    spam) echo 256 ;;
    spam-bytes) echo 512 ;;
    se) echo 251 ;;
    *) die "no step count known for task '$1'" ;;
  esac
}

# The mixed genome of a task in the table: the first run row of the task with a `genome` cell
# (the first seed's validation-chosen pick).
mixed_genome() {
  grep "^| $1 |.*\`[0-9]*\`" "$table" | head -n 1 | sed -n 's/^[^`]*`\([0-9]*\)`.*$/\1/p'
}

# Sum of the named sections in `arm-none-eabi-size -A` output of the given objects.
section_bytes() {
  pattern=$1
  shift
  arm-none-eabi-size -A "$@" | awk -v p="$pattern" '$1 ~ p { s += $2 } END { print s + 0 }'
}

# The deepest stack of `root` over the call graphs (-fcallgraph-info=su .ci files): every
# function's frame from its node's "N bytes" plus the deepest callee; the graph is acyclic.
stack_depth() {
  root=$1
  shift
  cat "$@" | awk -v root="$root" '
    /^node:/ {
      match($0, /title: "[^"]*"/); t = substr($0, RSTART + 8, RLENGTH - 9)
      sub(/^.*:/, "", t)
      if (match($0, /[0-9]+ bytes/)) frame[t] = substr($0, RSTART, RLENGTH) + 0
      else if (!(t in frame)) frame[t] = 0
    }
    /^edge:/ {
      match($0, /sourcename: "[^"]*"/); s = substr($0, RSTART + 13, RLENGTH - 14)
      match($0, /targetname: "[^"]*"/); d = substr($0, RSTART + 13, RLENGTH - 14)
      sub(/^.*:/, "", s); sub(/^.*:/, "", d)
      calls[s] = calls[s] " " d
    }
    function deepest(f,    n, i, c, best, v) {
      if (f in memo) return memo[f]
      best = 0
      n = split(calls[f], c, " ")
      for (i = 1; i <= n; ++i) { v = deepest(c[i]); if (v > best) best = v }
      memo[f] = frame[f] + best
      return memo[f]
    }
    END { print deepest(root) }'
}

measure() {
  task=$1 label=$2 genome=$3
  dir=$work/$task-$label
  mkdir -p "$dir"
  "$BIN" quantize --ckpt "$runs/$task-float" --genome "$genome" --out "$dir/model.mpq" --json \
    >"$dir/quantize.json" || die "$task $label: mpgru quantize failed"
  formula=$(sed -n 's/^ *"size_bytes": \([0-9.]*\).*/\1/p' "$dir/quantize.json" | cut -d. -f1)
  "$BIN" export "$dir/model.mpq" --out "$dir/c" --name model --task "$task" >/dev/null ||
    die "$task $label: mpgru export failed"
  steps=$(steps_of "$task")
  make -s -C "$example" MODEL_DIR="$dir/c" OUT="$dir/build" STEPS="$steps" \
    EXTRA_CFLAGS=-fcallgraph-info=su all >/dev/null || die "$task $label: the Cortex-M4 build failed"
  objects="$dir/build/model.o $dir/build/mpgru_rt.o"
  # shellcheck disable=SC2086
  flash=$(section_bytes '^\\.(text|rodata)' $objects)
  # shellcheck disable=SC2086
  flash_runtime=$(section_bytes '^\\.(text|rodata)' "$dir/build/mpgru_rt.o")
  # shellcheck disable=SC2086
  static_ram=$(section_bytes '^\\.(data|bss)' $objects)
  state=$(awk '/_LAYERS /{l=$3} /_HIDDEN /{h=$3} END{print l*h}' "$dir/c/model.h")
  stack=$(stack_depth model_predict "$dir"/build/*.ci)
  run=$(make -s -C "$example" MODEL_DIR="$dir/c" OUT="$dir/build" STEPS="$steps" run) ||
    die "$task $label: the QEMU run failed: $run"
  instructions=$(echo "$run" | sed -n 's/^instructions_per_step \([0-9]*\)$/\1/p')
  painted=$(echo "$run" | sed -n 's/^stack_bytes \([0-9]*\)$/\1/p')
  [ -n "$instructions" ] || die "$task $label: no instruction count in the run's output: $run"
  ram=$((static_ram + state + stack))
  echo "$task,$label,$genome,$formula,$flash,$flash_runtime,$ram,$static_ram,$state,$stack,$painted,$steps,$instructions" \
    >>"$out/deploy.csv"
  echo "deploy: $task $label: formula $formula B, flash $flash B, RAM $ram B, $instructions instructions/step"
}

echo "task,model,genome,formula_bytes,flash_bytes,flash_runtime_bytes,ram_bytes,static_ram_bytes,state_bytes,stack_bytes,stack_painted_bytes,steps,instructions_per_step" \
  >"$out/deploy.csv"
for task in $(echo "$tasks" | tr ',' ' '); do
  mixed=$(mixed_genome "$task")
  [ -n "$mixed" ] || die "no row for task '$task' with a genome in $table"
  homogeneous=$(echo "$mixed" | sed 's/[0-9]/8/g')
  measure "$task" 8-bit "$homogeneous"
  measure "$task" mixed "$mixed"
done

# DEPLOY.md: the table, each mixed model's ratios to its task's 8-bit model.
{
  echo "# Exported models on a Cortex-M4"
  echo
  echo "Homogeneous 8-bit and the mixed genome of each task in \`$table\` (the first seed's"
  echo "validation-chosen pick), exported with \`mpgru export\`,"
  echo "built with \`arm-none-eabi-gcc $(arm-none-eabi-gcc -dumpversion) -mcpu=cortex-m4 -mthumb -Os\` and run"
  echo "under \`qemu-system-arm -M mps2-an386 -icount shift=0\` ($(qemu-system-arm --version | head -n 1))."
  echo "Made $(date -u +%Y-%m-%d) by \`scripts/deploy.sh\`; the rows are deploy.csv."
  echo
  echo "| task | model | genome | size (formula) B | flash B | flash / 8-bit | RAM B (state + stack) | stack painted B | instructions / step | vs 8-bit |"
  echo "|---|---|---|---:|---:|---:|---:|---:|---:|---:|"
  awk -F, 'NR > 1 {
    if ($2 == "8-bit") { base_flash[$1] = $5; base_ins[$1] = $13 }
    flash_ratio = ($1 in base_flash) ? sprintf("%.3f", $5 / base_flash[$1]) : "-"
    ins_ratio = ($1 in base_ins) ? sprintf("%.2f", $13 / base_ins[$1]) : "-"
    printf "| %s | %s | `%s` | %d | %d | %s | %d (%d + %d) | %d | %d | %s |\n",
      $1, $2, $3, $4, $5, flash_ratio, $7, $9, $10, $11, $13, ins_ratio
  }' "$out/deploy.csv"
  echo
  echo "- *size (formula)*: packed weights + int32 biases, the search objective (docs/quantization.md §6)."
  echo "- *flash*: \`.text + .rodata\` of the model's and the runtime's objects (\`arm-none-eabi-size -A\`):"
  echo "  packed weights, biases, per-channel multipliers and shifts, lookup tables and code; the runtime"
  echo "  (mpgru_rt.o) is $(awk -F, 'NR == 2 { print $6 }' "$out/deploy.csv") B of it and is shared by every model of a program."
  echo "- *RAM*: \`.data + .bss\` of both objects (0: every parameter is const) + the state"
  echo "  (layers × hidden bytes) + the deepest stack of \`model_predict\` by \`-fstack-usage\` and"
  echo "  \`-fcallgraph-info=su\`. *stack painted*: the stack the run touched below \`main\`'s frame"
  echo "  while streaming (the example calls \`model_step\`, not \`model_predict\`)."
  echo "- *instructions / step*: SysTick around every \`model_step\` of 2 pseudo-random sequences of the"
  echo "  task's length, averaged: under \`-icount shift=0\` an instruction takes 1 ns of virtual time"
  echo "  and SysTick counts at 25 MHz, one tick per 40 instructions (Debian ships no QEMU plugins). An"
  echo "  instruction count, not cycles: a Cortex-M4 spends 1-3 cycles on most of them."
  echo "- The models are PTQ conversions (\`mpgru quantize\`) of the task's float model at each genome:"
  echo "  flash, RAM and instructions depend on the genome and the shape, not on the weights' values."
} >"$out/DEPLOY.md"
echo "deploy: wrote $out/deploy.csv and $out/DEPLOY.md"
