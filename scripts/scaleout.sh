#!/bin/sh
# Search throughput by evaluator (issue 17): the same QAT search (sMNIST, 60 QAT steps per genome,
# population 16, 4 generations, seed 1) with the thread evaluator (1 and 2 threads) and the MPI
# evaluator (1, 2 and 3 worker ranks), one after the other. Throughput counts the evaluations of
# generations 2-4 over their wall time (search.log), so loading and calibration are left out; the
# idle time per evaluation is workers x that wall time minus the evaluations' own seconds (from the
# store), divided by the evaluations: dispatch, messages and waiting at each generation's end.
#
#   scripts/scaleout.sh [CKPT] [OUT]     (default runs/smnist-float, results/scaleout)
#
# BUILD names the build folder (default build). Needs the sMNIST data (setup.sh) and mpirun.
set -eu
ckpt=${1:-runs/smnist-float}
out=${2:-results/scaleout}
bin=${BUILD:-build}/mpgru
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
csv=$out/throughput.csv
echo "evaluator,workers,evaluations,seconds,evaluations_per_minute,evaluation_seconds_mean,idle_seconds_per_evaluation" >"$csv"
args="--ckpt $ckpt --fitness qat --qat-steps 60 --population 16 --generations 4 --seed 1"
measure() {  # name workers run-folder
  log=$3/search.log
  line1=$(grep '^generation 1/' "$log")
  line4=$(grep '^generation 4/' "$log")
  e1=$(echo "$line1" | sed 's/.* evaluations \([0-9]*\) .*/\1/')
  e4=$(echo "$line4" | sed 's/.* evaluations \([0-9]*\) .*/\1/')
  s1=$(echo "$line1" | sed 's/.* seconds \([0-9.]*\).*/\1/')
  s4=$(echo "$line4" | sed 's/.* seconds \([0-9.]*\).*/\1/')
  # The evaluations of generations 2-4 are the search rows after the first e1, in insertion order.
  mean=$(sqlite3 "$3/evaluations.sqlite" "select avg(seconds) from (select seconds from evaluations where fitness not like '%report_split%' order by rowid limit -1 offset $e1)")
  awk -v n="$1" -v w="$2" -v e1="$e1" -v e4="$e4" -v s1="$s1" -v s4="$s4" -v m="$mean" 'BEGIN {
    e = e4 - e1; s = s4 - s1;
    printf "%s,%d,%d,%.2f,%.2f,%.3f,%.3f\n", n, w, e, s, 60 * e / s, m, (w * s - e * m) / e }' >>"$csv"
  tail -n 1 "$csv"
}
for threads in 1 2; do
  "$bin" search $args --workers "$threads" --out "$work/threads$threads" >/dev/null
  measure threads "$threads" "$work/threads$threads"
done
for ranks in 2 3 4; do
  mpirun --oversubscribe --allow-run-as-root -np "$ranks" "$bin" search $args --evaluator mpi \
    --out "$work/mpi$ranks" >/dev/null
  measure mpi $((ranks - 1)) "$work/mpi$ranks"
done
echo "wrote $csv"
