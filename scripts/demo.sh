#!/bin/sh
# The main job (`make demo`): train the float GRU on sMNIST unless its checkpoint exists, then run
# the quick QAT search (or finish it, if a previous demo was stopped) and print the report's path.
set -eu
cd "$(dirname "$0")/.."
BIN=${BUILD:-build}/mpgru
if [ ! -f runs/smnist-float/checkpoint ]; then
  "$BIN" train --config configs/smnist.toml
fi
if [ -f runs/smnist-quick/config.json ]; then
  "$BIN" search --resume runs/smnist-quick
else
  "$BIN" search --config configs/smnist-quick.toml
fi
echo "open runs/smnist-quick/report.html"
