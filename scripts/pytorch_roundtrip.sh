#!/usr/bin/env bash
# A GRU-128 trained on sMNIST in PyTorch, through mpgru and back (docs/pytorch.md): trains it with
# scripts/torch_train_smnist.py, imports it, quantizes it homogeneously to 8 bits (PTQ), runs a
# short search from it, exports the 8-bit model back to PyTorch and checks in PyTorch that its
# weights are the engine's integers times their scales. Writes results/pytorch/{summary.csv,
# timings.csv,front.csv,baseline.csv,export_check.txt,search_headline.txt}. Needs Debian's python3-torch (optional for mpgru itself).
#
#   scripts/pytorch_roundtrip.sh [RUNS_DIR]     (default runs/)
#
# Environment: MPGRU_BUILD_DIR (default build), MPGRU_DATA_DIR (default data).
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-runs}"
build="${MPGRU_BUILD_DIR:-build}"
data="${MPGRU_DATA_DIR:-data}"
out=results/pytorch
mpgru="$build/mpgru"
python=/usr/bin/python3
"$python" -c 'import torch' 2>/dev/null ||
  { echo "pytorch_roundtrip.sh: needs python3-torch (apt-get install python3-torch)" >&2; exit 1; }
[ -x "$mpgru" ] || { echo "pytorch_roundtrip.sh: $mpgru missing: build first (make test)" >&2; exit 1; }
mkdir -p "$runs" "$out"
torch_dir="$runs/torch-smnist" import_dir="$runs/torch-smnist-import" search_dir="$runs/torch-smnist-search"

start=$(date +%s)
scripts/torch_train_smnist.py --data "$data/mnist" --out "$torch_dir" | tee "$runs/torch-smnist.log"
train_seconds=$(($(date +%s) - start))

rm -rf "$import_dir" "$search_dir"
"$mpgru" import --torch "$torch_dir/model.pt" --task smnist --data "$data" --out "$import_dir"
"$mpgru" quantize --ckpt "$import_dir" --data "$data" --genome 8888888888888888888888888 \
  --out "$import_dir/int8.mpq"
for split in validation test; do
  "$mpgru" eval "$import_dir/int8.mpq" --task smnist --data "$data" --split "$split" --json \
    >"$import_dir/int8-$split.json"
done
search_start=$(date +%s)
"$mpgru" search --ckpt "$import_dir" --data "$data" --out "$search_dir" --population 16 \
  --generations 6 --workers 2 --seed 1 | tee "$runs/torch-smnist-search.log"
search_seconds=$(($(date +%s) - search_start))
"$mpgru" export "$import_dir/int8.mpq" --torch "$import_dir/int8.pt"

# In PyTorch: the exported weights are integers times their row scales, in the signed range.
check=$("$python" - "$import_dir/int8.pt" <<'EOF'
import json, sys, torch
sd = torch.load(sys.argv[1])
q = json.load(open(sys.argv[1] + ".json"))
worst, outside = 0.0, 0
for name, p in q["parameters"].items():
    if "bias" in name or name not in sd:
        continue
    scales = torch.tensor(p["scales"], dtype=torch.float64)
    v = sd[name].double()
    ints = v / (scales[:, None] if scales.numel() > 1 else scales)
    worst = max(worst, (ints - ints.round()).abs().max().item())
    outside += int((ints.round().abs() > max(p["quant_max"])).sum().item())
print(f"{len(sd)} tensors, max |w/scale - round| {worst:.2e}, outside range {outside}")
EOF
)
echo "PyTorch check of the exported state dict: $check"

cp "$search_dir/front.csv" "$search_dir/baseline.csv" "$out/"
"$python" - "$torch_dir/metrics.json" "$import_dir/metrics.json" "$import_dir/int8-validation.json" \
  "$import_dir/int8-test.json" "$out/summary.csv" <<'EOF'
import csv, json, sys
torch_m, mpgru_m, v8, t8 = (json.load(open(p)) for p in sys.argv[1:5])
rows = [
    ("pytorch_float", torch_m["val_correct"], torch_m["val_count"], torch_m["test_correct"], torch_m["test_count"]),
    ("mpgru_float_import", mpgru_m["val_correct"], mpgru_m["val_count"], mpgru_m["test_correct"], mpgru_m["test_count"]),
    ("mpgru_int8_ptq", v8["correct"], v8["count"], t8["correct"], t8["count"]),
]
with open(sys.argv[5], "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["model", "val_correct", "val_count", "val_accuracy", "test_correct", "test_count", "test_accuracy"])
    for name, vc, vn, tc, tn in rows:
        w.writerow([name, vc, vn, f"{vc / vn:.4f}", tc, tn, f"{tc / tn:.4f}"])
EOF
printf 'step,seconds\npytorch_training,%s\nmpgru_search,%s\n' "$train_seconds" "$search_seconds" >"$out/timings.csv"
echo "wrote $out/summary.csv and timings.csv"
cat "$out/summary.csv"
echo "$check" >"$out/export_check.txt"
grep -E '^(front|hypervolume|smallest|  validation|[0-9]+ evaluations)' "$runs/torch-smnist-search.log" >"$out/search_headline.txt"
cat "$out/search_headline.txt"
