#!/usr/bin/env bash
# Demo + full build + unchanged rebuild of the pages (without the search index:
# bench/search.sh measures it) for 1,000, 10,000 and 100,000 offers.
# Prints wall time, peak memory, files and bytes written for each step.
#
#   bench/build.sh [COUNTS…]        e.g. bench/build.sh 1000 10000 100000
#   OUT_ROOT=/dev/shm/entraide-bench bench/build.sh   (output on tmpfs: CPU only)
#   RUNS=3 bench/build.sh 100000                     (repeat each build step; quote medians)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
counts=("${@:-1000 10000 100000}")
read -r -a counts <<<"${counts[*]}"
out_root=${OUT_ROOT:-bench/out}
runs=${RUNS:-1}
cargo build --release --locked --bin entraide >/dev/null
bin=$PWD/target/release/entraide

# shellcheck source=bench/measure.sh
source bench/measure.sh

for count in "${counts[@]}"; do
  dir="$out_root/$count"
  rm -rf "$dir" && mkdir -p "$dir"
  store="sqlite://$dir/entraide.db"
  echo "== $count offers"
  measure "demo" "$bin" --store "$store" demo --count "$count" --seed 1
  for run in $(seq "$runs"); do
    rm -rf "$dir/public"
    sync
    measure "full build ($run)" "$bin" --store "$store" build --no-search --out "$dir/public"
    sync
    measure "rebuild, nothing changed ($run)" "$bin" --store "$store" build --no-search --out "$dir/public"
    measure "forced re-render ($run)" "$bin" --store "$store" build --no-search --out "$dir/public" --force
  done
  printf '%-28s %s files, %s\n' "output" "$(find "$dir/public" -type f | wc -l)" "$(du -sh --apparent-size "$dir/public" | cut -f1)"
done
