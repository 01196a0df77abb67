#!/bin/sh
# Measures exported models on the example boards (results/deploy): for every task of the results
# table, homogeneous 8-bit and the table's pick (each task's first seed; se's row is its
# iso-quality genome) are quantized from the task's float model (`mpgru quantize`), exported as C
# (`mpgru export`), built for the Cortex-M4 (examples/cortex-m4: the DSP kernels) and the
# Cortex-M55 (examples/cortex-m55: the Helium kernels) at -O2 and -Os, and run under QEMU
# (mps2-an386, mps3-an547, -icount shift=0).
#
#   scripts/deploy.sh [--tasks smnist,kws,sfmnist,spam,se] [--runs DIR] [--table FILE] [--out DIR]
#                     [--boards cortex-m4,cortex-m55] [--opts -O2,-Os]
#
#   --tasks   the tasks (se: a step is one 10 ms frame, model_step + model_gains)
#   --runs    where the float models are, DIR/<task>-float (default: runs); a task without one
#             gets a stand-in of its shape (one epoch on a random data file of the task's steps,
#             features or vocabulary, classes or outputs and hidden size), said in the table:
#             flash, RAM and instructions depend on the genome and the shapes, not on the values
#   --table   the results table whose picks are measured (default: results/RESULTS.md)
#   --out     where deploy.csv and DEPLOY.md go (default: results/deploy)
#
# Per model, board and optimisation:
#   formula   the size the tables quote: packed weights plus int32 biases
#   flash     the linked .text + .rodata of the model and the runtime (the link map: only the
#             kernels the model uses are linked)
#   ram       .data + .bss of both objects + the state + the deepest stack of model_predict
#             (-fstack-usage, -fcallgraph-info); stack_painted is the stack the run touched
#   instructions_per_step  SysTick around every model_step of 2 pseudo-random sequences,
#             averaged (calibrated: AN386 40, AN547 31.25 instructions per tick)
#   per_mac   instructions per multiply-accumulate of the step's linears
#   predicted the device cost model's prediction (`mpgru cost`), and its error
# BUILD names the build folder (default build). Needs python3 with numpy for stand-ins.
set -eu

usage_error() {
  echo "deploy.sh: error: $1 (see 'scripts/deploy.sh --help')" >&2
  exit 2
}

tasks=smnist,kws,sfmnist,spam,se
runs=runs
table=results/RESULTS.md
out=results/deploy
boards=cortex-m4,cortex-m55
opts=-O2,-Os
while [ $# -gt 0 ]; do
  case $1 in
    --tasks | --runs | --table | --out | --boards | --opts)
      [ $# -ge 2 ] || usage_error "$1 needs a value"
      case $1 in
        --tasks) tasks=$2 ;;
        --runs) runs=$2 ;;
        --table) table=$2 ;;
        --out) out=$2 ;;
        --boards) boards=$2 ;;
        --opts) opts=$2 ;;
      esac
      shift 2
      ;;
    -h | --help)
      sed -n '2,32p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *) usage_error "unknown option '$1'" ;;
  esac
done

die() {
  echo "deploy.sh: error: $1" >&2
  exit 1
}

root=$(pwd)
BIN=$root/${BUILD:-build}/mpgru
[ -x "$BIN" ] || die "$BIN not found: build first (scripts/setup.sh) or set BUILD"
for tool in arm-none-eabi-gcc qemu-system-arm; do
  command -v $tool >/dev/null || die "$tool not found: scripts/setup.sh installs it"
done
[ -f "$table" ] || die "$table not found: run scripts/reproduce.sh first"
for board in $(echo "$boards" | tr ',' ' '); do
  [ -d "$root/examples/$board" ] || die "no example board '$board' (examples/cortex-m4, examples/cortex-m55)"
done
work=$(mktemp -d "${TMPDIR:-/tmp}/mpgru-deploy.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

# task: steps features classes outputs vocabulary hidden embedding (the task configs' shapes)
shape_of() {
  case $1 in
    smnist | sfmnist) echo "28 28 10 0 0 128 0" ;;
    kws) echo "49 40 12 0 0 64 0" ;;
    spam) echo "256 1 2 0 4096 64 32" ;;
    se) echo "251 24 0 24 0 128 0" ;;
    *) die "no shape known for task '$1'" ;;
  esac
}

# The pick of a task in the table: its first run row with a `genome` cell.
pick_of() {
  grep "^| $1 |.*\`[0-9]*\`" "$table" | head -n 1 | sed -n 's/^[^`]*`\([0-9]*\)`.*$/\1/p'
}

# A stand-in float model of the task's shape in $work/$task-float (normal inputs, 256 sequences).
stand_in() {
  task=$1
  # shellcheck disable=SC2046
  set -- $(shape_of "$task")
  sh "$root/scripts/stand_in_model.sh" "$BIN" "$work/$task" "$1" "$2" "$3" "$4" "$5" "$6" "$7" 1 \
    signed 256 || die "$task: the stand-in float model failed"
}

# The deepest stack of `root` over the call graphs (-fcallgraph-info=su .ci files): every
# function's frame from its node's "N bytes" plus the deepest callee; the graph is acyclic.
stack_depth() {
  top=$1
  shift
  cat "$@" | awk -v root="$top" '
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

# .data + .bss of the model's and the runtime's objects.
static_ram() {
  arm-none-eabi-size -A "$@" | awk '$1 ~ /^\.(data|bss)/ { s += $2 } END { print s + 0 }'
}

# The step's multiply-accumulates: 3 H (I + H) per layer, and the head's C H for a per-step model.
macs_of() {
  awk '/_FEATURES /{f=$3} /_HIDDEN /{h=$3} /_LAYERS /{l=$3} /_CLASSES /{c=$3} /_GAIN_MAX /{g=1}
       END { m = 3 * h * (f + h) + (l - 1) * 3 * h * (2 * h); if (g) m += c * h; print m }' "$1"
}

# The cost model's prediction: instructions per step, or "-" when mpgru has no cost model.
predicted() {
  "$BIN" cost "$1" --target "$2" --opt "$3" --json 2>/dev/null |
    sed -n 's/^ *"instructions_per_step": \([0-9.]*\).*/\1/p' | head -n 1 | cut -d. -f1 | grep . ||
    echo "-"
}

measure() {
  task=$1 label=$2 genome=$3 float=$4 origin=$5
  dir=$work/$task-$label
  mkdir -p "$dir"
  "$BIN" quantize --ckpt "$float" --genome "$genome" --out "$dir/model.mpq" --json \
    >"$dir/quantize.json" 2>/dev/null || die "$task $label: mpgru quantize failed"
  formula=$(sed -n 's/^ *"size_bytes": \([0-9.]*\).*/\1/p' "$dir/quantize.json" | cut -d. -f1)
  "$BIN" export "$dir/model.mpq" --out "$dir/c" --name model >/dev/null ||
    die "$task $label: mpgru export failed"
  # shellcheck disable=SC2046
  set -- $(shape_of "$task")
  steps=$1
  state=$(awk '/_LAYERS /{l=$3} /_HIDDEN /{h=$3} END{print l*h}' "$dir/c/model.h")
  macs=$(macs_of "$dir/c/model.h")
  for board in $(echo "$boards" | tr ',' ' '); do
    for opt in $(echo "$opts" | tr ',' ' '); do
      build=$dir/build-$board$opt
      make -s -C "$root/examples/$board" MODEL_DIR="$dir/c" OUT="$build" STEPS="$steps" \
        OPT="$opt" EXTRA_CFLAGS=-fcallgraph-info=su all >/dev/null ||
        die "$task $label: the $board $opt build failed"
      run=$(make -s -C "$root/examples/$board" MODEL_DIR="$dir/c" OUT="$build" STEPS="$steps" \
        OPT="$opt" EXTRA_CFLAGS=-fcallgraph-info=su run) || die "$task $label: the $board run failed: $run"
      instructions=$(echo "$run" | sed -n 's/^instructions_per_step \([0-9]*\)$/\1/p')
      painted=$(echo "$run" | sed -n 's/^stack_bytes \([0-9]*\)$/\1/p')
      [ -n "$instructions" ] || die "$task $label: no instruction count in the run's output: $run"
      flash=$(awk -f "$root/scripts/linked_flash.awk" "$build/app.map")
      runtime_flash=$(awk -v only=mpgru_rt -f "$root/scripts/linked_flash.awk" "$build/app.map")
      ram_static=$(static_ram "$build/model.o" "$build/mpgru_rt.o")
      stack=$(stack_depth model_predict "$build"/*.ci)
      ram=$((ram_static + state + stack))
      per_mac=$(awk -v i="$instructions" -v m="$macs" 'BEGIN { printf "%.2f", i / m }')
      guess=$(predicted "$dir/model.mpq" "$board" "$opt")
      error=$(awk -v p="$guess" -v i="$instructions" 'BEGIN {
        if (p == "-") print "-"; else printf "%+.1f%%", 100 * (p - i) / i }')
      echo "$task,$label,$genome,$origin,$board,$opt,$formula,$flash,$runtime_flash,$ram,$ram_static,$state,$stack,$painted,$steps,$macs,$instructions,$per_mac,$guess,$error" \
        >>"$out/deploy.csv"
      echo "deploy: $task $label $board $opt: flash $flash B, RAM $ram B, $instructions instructions/step ($per_mac per MAC), predicted $guess ($error)"
    done
  done
}

echo "task,model,genome,float,board,opt,formula_bytes,flash_bytes,runtime_flash_bytes,ram_bytes,static_ram_bytes,state_bytes,stack_bytes,stack_painted_bytes,steps,macs_per_step,instructions_per_step,instructions_per_mac,predicted_instructions,prediction_error" \
  >"$out/deploy.csv"
for task in $(echo "$tasks" | tr ',' ' '); do
  pick=$(pick_of "$task")
  [ -n "$pick" ] || die "no row for task '$task' with a genome in $table"
  eight=$(echo "$pick" | sed 's/[0-9]/8/g')
  if [ -d "$runs/$task-float" ]; then
    float=$runs/$task-float origin=trained
  else
    stand_in "$task"
    float=$work/$task-float origin=stand-in
  fi
  measure "$task" 8-bit "$eight" "$float" "$origin"
  measure "$task" pick "$pick" "$float" "$origin"
done

# DEPLOY.md: per board, each model at each optimisation, the pick's ratios to its task's 8-bit.
{
  echo "# Exported models on the example boards"
  echo
  echo "Homogeneous 8-bit and each task's pick in \`$table\` (the first seed's validation-chosen"
  echo "genome; se's is its iso-quality genome), exported with \`mpgru export\`, built with"
  echo "\`arm-none-eabi-gcc $(arm-none-eabi-gcc -dumpversion)\` for the Cortex-M4 (\`-mcpu=cortex-m4\`, the DSP kernels) and the"
  echo "Cortex-M55 (\`-mcpu=cortex-m55\`, the Helium kernels) and run under \`qemu-system-arm -icount shift=0\`"
  echo "($(qemu-system-arm --version | head -n 1)): \`mps2-an386\` and \`mps3-an547\`."
  echo "Made $(date -u +%Y-%m-%d) by \`scripts/deploy.sh\`; every row is in deploy.csv."
  echo
  awk -F, -v opts="$opts" 'NR > 1 {
    key = $1 SUBSEP $5 SUBSEP $6
    if ($2 == "8-bit") { base_flash[key] = $8; base_ins[key] = $17 }
    flash_ratio = (key in base_flash) ? sprintf("%.3f", $8 / base_flash[key]) : "-"
    ins_ratio = (key in base_ins) ? sprintf("%.3f", $17 / base_ins[key]) : "-"
    if (!($5 in seen)) { seen[$5] = 1; order[++boards] = $5 }
    rows[$5] = rows[$5] sprintf("| %s | %s | `%s` | %s | %s | %d | %d (%d) | %s | %d | %d | %s | %s | %s | %s |\n",
      $1, $2, $3, $4, $6, $7, $8, $9, flash_ratio, $10, $17, $18, ins_ratio, $19, $20)
  }
  END {
    for (b = 1; b <= boards; ++b) {
      printf "## %s\n\n", order[b]
      print "| task | model | genome | float model | opt | size (formula) B | flash B (runtime) | flash / 8-bit | RAM B | instructions / step | per MAC | vs 8-bit | predicted | error |"
      print "|---|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
      printf "%s\n", rows[order[b]]
    }
  }' "$out/deploy.csv"
  echo "- *size (formula)*: packed weights + int32 biases, the search objective (docs/quantization.md §6)."
  echo "- *flash*: the linked \`.text\` and \`.rodata\` of the model and the runtime (the link map,"
  echo "  scripts/linked_flash.awk): weights in the board's layout, biases, multipliers and shifts,"
  echo "  tables and the kernels this model uses; *(runtime)* is mpgru_rt.o's share (the linked kernels"
  echo "  and operators), shared by every model of a program."
  echo "- *RAM*: \`.data + .bss\` of both objects (0: every parameter is const) + the state"
  echo "  (layers × hidden bytes) + the deepest stack of \`model_predict\` (\`-fstack-usage\`,"
  echo "  \`-fcallgraph-info=su\`); deploy.csv has each part and the stack the run touched."
  echo "- *instructions / step*: SysTick around every \`model_step\` (se: and \`model_gains\`) of 2"
  echo "  pseudo-random sequences of the task's length, averaged, under \`-icount shift=0\` (one"
  echo "  instruction per ns; AN386 25 MHz: 40 per tick, AN547 32 MHz: 31.25). Instructions, not cycles."
  echo "  *per MAC*: over the multiply-accumulates of the step's linears."
  echo "- *predicted*: \`mpgru cost\` (src/device, scripts/device_costs.sh) for the model's genome and"
  echo "  shape; *error* = (predicted - measured) / measured."
  echo "- *float model*: \`trained\` is runs/<task>-float; \`stand-in\` a float model of the task's shape"
  echo "  trained one epoch on random data (this machine had no trained model of the task): flash, RAM"
  echo "  and instructions depend on the genome and the shapes, and only a little on the values (the"
  echo "  calibrated multipliers choose between the runtime's fast and general rounding paths)."
} >"$out/DEPLOY.md"
echo "deploy: wrote $out/deploy.csv and $out/DEPLOY.md"
