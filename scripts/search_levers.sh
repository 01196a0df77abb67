#!/bin/sh
# How the genetic algorithm gets faster (issue 17 item 4): the same QAT search budget on sMNIST
# (60 QAT steps per genome, 16 genomes per generation, 12 generations, 2 threads) with
#   nsga2     one NSGA-II population of 16 (today's search),
#   islands   2 islands of 8 on a ring, 2 migrants every 3 generations,
#   mutation  one population of 16 with twice the mutation probability (0.2 per gene),
# for each seed. Writes OUT/levers.csv (variant, seed, generation, evaluations, seconds,
# hypervolume of the population on validation; from each run's search.log), OUT/levers.svg
# (hypervolume over evaluations) and OUT/levers.md (per variant: final hypervolume, evaluations
# and seconds to reach 99 % of the best final hypervolume of all runs; median and range over
# the seeds).
#
#   scripts/search_levers.sh [SEEDS] [CKPT] [OUT]   (default "1 2 3", runs/smnist-float,
#                                                   results/scaleout)
set -eu
seeds=${1:-1 2 3}
ckpt=${2:-runs/smnist-float}
out=${3:-results/scaleout}
bin=${BUILD:-build}/mpgru
runs=${RUNS:-runs/levers-ga}
mkdir -p "$out" "$runs"
common="--ckpt $ckpt --fitness qat --qat-steps 60 --generations 12 --workers 2"
csv=$out/levers.csv
echo "variant,seed,generation,evaluations,seconds,hypervolume" >"$csv"
for seed in $seeds; do
  for variant in nsga2 islands mutation; do
    case $variant in
      nsga2) extra="--population 16" ;;
      islands) extra="--population 8 --islands 2 --migrants 2 --migrate-every 3 --topology ring" ;;
      mutation) extra="--population 16 --mutation 0.2" ;;
    esac
    dir=$runs/$variant-s$seed
    if [ ! -f "$dir/front.csv" ]; then
      rm -rf "$dir"
      "$bin" search $common $extra --seed "$seed" --out "$dir" >/dev/null
    fi
    grep '^generation ' "$dir/search.log" | awk -v v="$variant" -v s="$seed" '{
      for (i = 1; i <= NF; ++i) {
        if ($i == "generation") { split($(i + 1), g, "/") }
        if ($i == "evaluations") e = $(i + 1)
        if ($i == "hypervolume") h = $(i + 1)
        if ($i == "seconds") t = $(i + 1)
      }
      printf "%s,%s,%s,%s,%s,%s\n", v, s, g[1], e, t, h }' >>"$csv"
  done
done
best=$(awk -F, 'NR > 1 && $3 == 12 && $6 > b { b = $6 } END { print b }' "$csv")
{
  echo "Best final population hypervolume (validation) of all runs: $best; target 99 %: $(awk -v b="$best" 'BEGIN { printf "%.4f", 0.99 * b }')."
  echo
  echo "| variant | seed | final hypervolume | evaluations to 99 % | seconds to 99 % |"
  echo "|---|---:|---:|---:|---:|"
  awk -F, -v b="$best" 'NR > 1 {
      k = $1 "," $2
      if ($3 == 12) final[k] = $6
      if (!(k in reach) && $6 >= 0.99 * b) { reach[k] = $4; secs[k] = $5 }
      keys[k] = 1 }
    END { for (k in keys) { split(k, p, ",");
      printf "| %s | %s | %.4f | %s | %s |\n", p[1], p[2], final[k],
        (k in reach) ? reach[k] : "not reached", (k in secs) ? secs[k] : "-" } }' "$csv" | sort
} >"$out/levers.md"
plot=$(mktemp -d)
for v in nsga2 islands mutation; do
  awk -F, -v v="$v" 'NR > 1 && $1 == v { print $4, $6 > ("'"$plot"'/" v "-" $2 ".dat") }' "$csv"
done
{
  echo "set terminal svg size 760,460 dynamic noenhanced font 'Helvetica,12' background rgb 'white'"
  echo "set output '$out/levers.svg'"
  echo "set title 'QAT search on sMNIST: population hypervolume (validation) over evaluations'"
  echo "set xlabel 'evaluations (QAT fine-tunes)'; set ylabel 'hypervolume'; set grid; set key bottom right"
  printf "plot "
  first=1
  for f in "$plot"/*.dat; do
    name=$(basename "$f" .dat)
    case $name in nsga2*) c="#1f77b4" ;; islands*) c="#d62728" ;; *) c="#2ca02c" ;; esac
    [ $first = 1 ] || printf ", \\\\\n     "
    printf "'%s' using 1:2 with linespoints lc rgb '%s' title '%s'" "$f" "$c" "$name"
    first=0
  done
  echo
} >"$plot/levers.gp"
gnuplot "$plot/levers.gp"
rm -rf "$plot"
cat "$out/levers.md"
