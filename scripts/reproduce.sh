#!/bin/sh
# The one command behind the results table: for every task of the task list (configs/paper.toml)
# train the float model unless it is trained, run the task's mixed-precision search (or continue
# it), then write RESULTS.md and fronts.svg with `mpgru results`. Re-running after an interruption
# continues where it stopped: finished trainings and searches are reused, a stopped search resumes
# from its evaluation store, a stopped training starts again.
#
#   scripts/reproduce.sh [--config FILE] [--tasks a,b] [--seeds 1,2,3] [--runs DIR] [--out DIR]
#                        [--skip-missing]
#
#   --config FILE   the task list (default configs/paper.toml; the paths inside it are relative
#                   to the repository's root)
#   --tasks a,b     only these tasks; the table then has only their rows
#   --seeds 1,2,3   the search and QAT seeds of every task (default: each task's own in the
#                   list, else 1); one search per seed, one float model per task
#   --runs DIR      the run folders are DIR/<task>-float and DIR/<task>-search (default: the
#                   list's `runs`)
#   --out DIR       where RESULTS.md and fronts.svg go (default: the list's `out`)
#   --skip-missing  leave out a task whose configs or data are missing (RESULTS.md says so)
#                   instead of stopping before any work
#
# BUILD names the build folder (default build), as for scripts/demo.sh.
set -eu

usage_error() {
  echo "reproduce.sh: error: $1 (see 'scripts/reproduce.sh --help')" >&2
  exit 2
}

here=$(pwd)
absolute() {
  case $1 in
    /*) printf '%s\n' "$1" ;;
    *) printf '%s/%s\n' "$here" "$1" ;;
  esac
}

command_text="scripts/reproduce.sh${*:+ $*}"
config=configs/paper.toml
tasks=
seeds=
runs=
out=
skip=
while [ $# -gt 0 ]; do
  case $1 in
    --config | --tasks | --seeds | --runs | --out)
      [ $# -ge 2 ] || usage_error "$1 needs a value"
      case $1 in
        --config) config=$(absolute "$2") ;;
        --tasks) tasks=$2 ;;
        --seeds) seeds=$2 ;;
        --runs) runs=$(absolute "$2") ;;
        --out) out=$(absolute "$2") ;;
      esac
      shift 2
      ;;
    --skip-missing)
      skip=1
      shift
      ;;
    -h | --help)
      sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *) usage_error "unknown option '$1'" ;;
  esac
done

cd "$(dirname "$0")/.."
BIN=${BUILD:-build}/mpgru
if [ ! -x "$BIN" ]; then
  echo "reproduce.sh: error: $BIN not found: build it first (make demo, or scripts/setup.sh), or" \
    "set BUILD to the build folder" >&2
  exit 1
fi

# The options every `mpgru results` call gets.
set -- --config "$config"
[ -z "$tasks" ] || set -- "$@" --only "$tasks"
[ -z "$seeds" ] || set -- "$@" --seeds "$seeds"
[ -z "$runs" ] || set -- "$@" --runs "$runs"
[ -z "$out" ] || set -- "$@" --out "$out"
[ -z "$skip" ] || set -- "$@" --skip-missing

hms() {
  printf '%d:%02d:%02d' $(($1 / 3600)) $(($1 / 60 % 60)) $(($1 % 60))
}
about() {
  if [ "$1" -ge 60 ]; then printf '%d h %02d min' $(($1 / 60)) $(($1 % 60)); else printf '%d min' "$1"; fi
}

failed() {
  echo "reproduce.sh: error: $1 failed; re-run scripts/reproduce.sh to continue from here" >&2
  exit 1
}

plan=$(mktemp "${TMPDIR:-/tmp}/mpgru-reproduce.XXXXXX")
trap 'rm -f "$plan"' EXIT
trap 'rm -f "$plan"; exit 130' INT TERM
# One tab-separated line per task and seed: name, state (done/train/search/missing), minutes,
# train config, search config, float folder, search folder, seed, note.
"$BIN" results "$@" --plan >"$plan"
tab=$(printf '\t')

# The one data set no set-up step fetches: task kws's synthetic speech set, generated here when
# kws is listed and its data is missing (about 3 minutes on 2 cores, byte-identical for a seed).
if grep -q "^kws${tab}missing${tab}.*kws-synth" "$plan"; then
  kws_data=${MPGRU_DATA_DIR:-data}/kws
  echo "reproduce: generating the synthetic keyword-spotting set into $kws_data (about 3 min)"
  "$BIN" data kws-synth --out "$kws_data" --seed 1 || failed "kws: mpgru data kws-synth"
  "$BIN" results "$@" --plan >"$plan"
fi

# Task se's synthetic speech-enhancement set, likewise (about 1 minute, 1.1 GB).
if grep -q "^se${tab}missing${tab}.*se-synth" "$plan"; then
  se_data=${MPGRU_DATA_DIR:-data}/se
  echo "reproduce: generating the synthetic speech-enhancement set into $se_data (about 1 min)"
  "$BIN" data se-synth --out "$se_data" --seed 1 || failed "se: mpgru data se-synth"
  "$BIN" results "$@" --plan >"$plan"
fi

count=0
remaining=0
from_scratch=0
missing=0
while IFS=$tab read -r name state minutes train search float run seed note; do
  count=$((count + 1))
  case $state in
    done) from_scratch=$((from_scratch + minutes)) ;;
    missing)
      missing=$((missing + 1))
      from_scratch=$((from_scratch + minutes))
      ;;
    *)
      remaining=$((remaining + minutes))
      from_scratch=$((from_scratch + minutes))
      ;;
  esac
done <"$plan"
echo "reproduce: $count run(s) (task x seed) from $config; expected time $(about $remaining) on 2 cores" \
  "($(about $from_scratch) from scratch: finished tasks are reused, an interrupted run" \
  "continues when re-run)"
while IFS=$tab read -r name state minutes train search float run seed note; do
  case $state in
    done) printf '  %-10s seed %-3s %-8s %s\n' "$name" "$seed" "done" "$note" ;;
    missing) printf '  %-10s seed %-3s %-8s %s\n' "$name" "$seed" "MISSING" "$note" ;;
    *) printf '  %-10s seed %-3s %-8s %s\n' "$name" "$seed" "$minutes min" "$note" ;;
  esac
done <"$plan"
if [ "$missing" -gt 0 ] && [ -z "$skip" ]; then
  echo "reproduce.sh: error: $missing task(s) cannot run (above): add the missing configs, set up" \
    "missing data (scripts/setup.sh), or pass --skip-missing to leave them out" >&2
  exit 1
fi

started=$(date +%s)
i=0
trained=" "
while IFS=$tab read -r name state minutes train search float run seed note <&3; do
  i=$((i + 1))
  label="[$i/$count] $name seed $seed"
  case $state in
    done)
      echo "$label: finished earlier, reused"
      continue
      ;;
    missing)
      echo "$label: skipped: $note"
      continue
      ;;
  esac
  task_start=$(date +%s)
  # A task's later seeds find its float model trained by the first.
  if [ "$state" = train ] && [ "${trained#* "$name" }" = "$trained" ]; then
    echo "$label: training the float model ($train -> $float)"
    "$BIN" train --config "$train" --out "$float" || failed "$name: mpgru train"
    trained="$trained$name "
  fi
  if [ -f "$run/config.json" ]; then
    echo "$label: continuing the search in $run (about $minutes min with training)"
    "$BIN" search --resume "$run" || failed "$name: mpgru search --resume"
  else
    echo "$label: searching ($search -> $run, about $minutes min with training)"
    "$BIN" search --config "$search" --ckpt "$float" --seed "$seed" --out "$run" ||
      failed "$name: mpgru search --seed $seed"
  fi
  remaining=$((remaining - minutes))
  echo "$label: done in $(hms $(($(date +%s) - task_start))); expected time left $(about $remaining)"
done 3<"$plan"

echo "reproduce: writing the table"
"$BIN" results "$@" --command "$command_text" || failed "mpgru results"
echo "reproduce: finished in $(hms $(($(date +%s) - started)))"
