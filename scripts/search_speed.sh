#!/bin/sh
# Today's search against the screened one (issue 29): for each task and seed, the task's search
# config (configs/TASK-search.toml) with every genome fine-tuned and every gene searched
# (--fidelity full --free-genes search) and the same config with --fidelity screened (PTQ first,
# QAT for the promising, successive-halving finals), run one right after the other on this machine
# from the same float model runs/TASK-float. Writes
#   OUT/speed.csv   one row per run: wall time, QAT fine-tunes and steps (search, finals' rung,
#                   full finals), the QAT steps the search spent until its population's validation
#                   hypervolume reached 99 % of the full run's final population hypervolume, the
#                   final front's hypervolumes (validation, test) and the validation-chosen pick;
#   OUT/speed.md    per task: the ratios of the screened run to the full one, per seed and mean.
# A run whose folder holds front.json is not run again (delete it to measure again); with
# SUMMARY_ONLY=1 nothing is run and the tables hold the pairs that finished. NEW=widest compares
# the full runs with `--fidelity screened --free-genes widest` instead (folders TASK-widest-sSEED,
# OUT/speed-widest.csv and .md).
#
#   scripts/search_speed.sh [TASKS] [SEEDS] [OUT]   (default "kws smnist se", "1 2 3",
#                                                   results/search-speed); needs jq
set -eu
tasks=${1:-kws smnist se}
seeds=${2:-1 2 3}
out=${3:-results/search-speed}
bin=${BUILD:-build}/mpgru
runs=${RUNS:-runs/search-speed}
new=${NEW:-screened}
case $new in
  screened) suffix= ;;
  widest) suffix=-widest ;;
  *) echo "search_speed.sh: NEW must be screened or widest, not '$new'" >&2; exit 1 ;;
esac
command -v jq >/dev/null || { echo "search_speed.sh: needs jq (apt install jq)" >&2; exit 1; }
mkdir -p "$out" "$runs"

# run TASK SEED MODE: the search into $runs/TASK-MODE-sSEED unless it finished before.
run() {
  dir=$runs/$1-$3-s$2
  [ -f "$dir/front.json" ] && return 0
  rm -rf "$dir"
  case $3 in
    widest) flags="--fidelity screened --free-genes widest" ;;
    screened) flags="--fidelity screened --free-genes search" ;;
    *) flags="--fidelity full --free-genes search" ;;
  esac
  echo "search_speed: $1 seed $2 $3 ($(date -u +%H:%M:%S))"
  # shellcheck disable=SC2086
  "$bin" search --config "configs/$1-search.toml" --ckpt "runs/$1-float" --seed "$2" \
    $flags --out "$dir" >"$dir.log" 2>&1 || { tail -5 "$dir.log" >&2; exit 1; }
}

if [ "${SUMMARY_ONLY:-0}" != 1 ]; then
  for task in $tasks; do
    [ -d "runs/$task-float" ] || { echo "search_speed.sh: runs/$task-float missing" >&2; exit 1; }
    for seed in $seeds; do
      run "$task" "$seed" full
      run "$task" "$seed" "$new"
    done
  done
fi

# The last generation's population hypervolume of a search.log.
final_hv() { awk '/^generation /{ for (i = 1; i <= NF; ++i) if ($i == "hypervolume") h = $(i + 1) } END { print h }' "$1"; }
# The search's QAT fine-tunes when its population hypervolume first reached TARGET (screened runs
# count fine_tuned, full runs evaluations), or "" if it never did.
tunes_to() {
  awk -v t="$2" '/^generation / && !done {
      for (i = 1; i <= NF; ++i) {
        if ($i == "hypervolume") h = $(i + 1)
        if ($i == "evaluations") e = $(i + 1)
        if ($i == "fine_tuned") e = $(i + 1)
      }
      if (h + 0 >= t + 0) { print e; done = 1 } }' "$1"
}

csv=$out/speed$suffix.csv
echo "task,seed,fidelity,seconds,qat_steps,search_fine_tunes,search_steps,screened,rung_fine_tunes,rung_steps,final_fine_tunes,final_steps,search_steps_to_99,hv_val,hv_test,pick,size_reduction,pick_val,pick_test" >"$csv"
for task in $tasks; do
  for seed in $seeds; do
    [ -f "$runs/$task-full-s$seed/front.json" ] && [ -f "$runs/$task-$new-s$seed/front.json" ] || continue
    target=$(final_hv "$runs/$task-full-s$seed/search.log" | awk '{ print 0.99 * $1 }')
    for mode in full "$new"; do
      dir=$runs/$task-$mode-s$seed
      tunes=$(tunes_to "$dir/search.log" "$target")
      jq -r --arg task "$task" --arg seed "$seed" --arg tunes "$tunes" --arg mode "$mode" '
        .effort as $e | .headline as $h |
        [$task, $seed, $mode, (.seconds | floor), $e.qat_steps, $e.search_fine_tunes,
         $e.search_steps, ($e.screened // 0), ($e.rung_fine_tunes // 0), ($e.rung_steps // 0),
         $e.final_fine_tunes, $e.final_steps,
         (if $tunes == "" then "" else ($tunes | tonumber) * $e.search_steps end),
         $h.hypervolume_validation.front, $h.hypervolume_test.front,
         ($h.iso_accuracy_size.genome // ""), ($h.iso_accuracy_size.size_reduction // 0),
         ($h.iso_accuracy_size.val_accuracy // ""), ($h.iso_accuracy_size.test_accuracy // "")]
        | @csv' "$dir/front.json" | tr -d '"' >>"$csv"
    done
  done
done

# Per task and seed: screened / full ratios; the mean over seeds of each figure.
awk -F, -v new="$new" 'NR > 1 {
    k = $1 "," $2
    if ($3 == "full") { fs[k] = $4; fq[k] = $5; fh[k] = $14; ft[k] = $15; fr[k] = $17; f99[k] = $13 }
    else { ss[k] = $4; sq[k] = $5; sh[k] = $14; st[k] = $15; sr[k] = $17; s99[k] = $13 }
    if (!(k in seen)) { seen[k] = 1; order[++n] = k }
  }
  END {
    printf "| task | seed | wall time full / %s (ratio) | QAT steps full / %s (ratio) | search QAT steps to 99 %% of full final population HV (full / %s) | HV val full / %s (ratio) | HV test full / %s | size reduction full / %s (pp) |\n", new, new, new, new, new, new
    print "|---|---:|---:|---:|---:|---:|---:|---:|"
    for (i = 1; i <= n; ++i) {
      k = order[i]; split(k, p, ",")
      printf "| %s | %s | %d / %d s (%.3f) | %d / %d (%.3f) | %s / %s | %.4f / %.4f (%.4f) | %.4f / %.4f | %.1f / %.1f %% (%+.1f) |\n",
        p[1], p[2], fs[k], ss[k], ss[k] / fs[k], fq[k], sq[k], sq[k] / fq[k], f99[k], (s99[k] == "" ? "not reached" : s99[k]),
        fh[k], sh[k], sh[k] / fh[k], ft[k], st[k], 100 * fr[k], 100 * sr[k], 100 * (sr[k] - fr[k])
      t = p[1]; m[t]++; mq[t] += sq[k] / fq[k]; mw[t] += ss[k] / fs[k]; mhf[t] += fh[k]; mhs[t] += sh[k]
      mrf[t] += fr[k]; mrs[t] += sr[k]
      if (!(t in tseen)) { tseen[t] = 1; torder[++nt] = t }
    }
    print ""
    printf "| task | seeds | QAT steps ratio (mean) | wall time ratio (mean) | HV val %s / full (means) | size reduction full / %s (means) |\n", new, new
    print "|---|---:|---:|---:|---:|---:|"
    for (j = 1; j <= nt; ++j) {
      t = torder[j]
      printf "| %s | %d | %.3f | %.3f | %.4f / %.4f = %.2f %% | %.1f / %.1f %% (%+.1f pp) |\n", t, m[t], mq[t] / m[t], mw[t] / m[t],
        mhs[t] / m[t], mhf[t] / m[t], 100 * mhs[t] / mhf[t], 100 * mrf[t] / m[t], 100 * mrs[t] / m[t], 100 * (mrs[t] - mrf[t]) / m[t]
    }
  }' "$csv" >"$out/speed$suffix.md"
cat "$out/speed$suffix.md"
