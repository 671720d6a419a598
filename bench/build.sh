#!/usr/bin/env bash
# Demo + full build + unchanged rebuild for 1,000, 10,000 and 100,000 offers.
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

measure() { # label, command…
  local label=$1; shift
  local log; log=$(mktemp)
  /usr/bin/time -f '%e %M' -o "$log.time" "$@" >/dev/null 2>"$log"
  read -r seconds kilobytes <"$log.time"
  printf '%-28s %8.2f s %8d MB   %s\n' "$label" "$seconds" $((kilobytes / 1024)) "$(grep -E 'site construit|enregistrées' "$log" | tail -n 1)"
  rm -f "$log" "$log.time"
}

for count in "${counts[@]}"; do
  dir="$out_root/$count"
  rm -rf "$dir" && mkdir -p "$dir"
  store="sqlite://$dir/entraide.db"
  echo "== $count offers"
  measure "demo" "$bin" --store "$store" demo --count "$count" --seed 1
  for run in $(seq "$runs"); do
    rm -rf "$dir/public"
    sync
    measure "full build ($run)" "$bin" --store "$store" build --out "$dir/public"
    sync
    measure "rebuild, nothing changed ($run)" "$bin" --store "$store" build --out "$dir/public"
    measure "forced re-render ($run)" "$bin" --store "$store" build --out "$dir/public" --force
  done
  printf '%-28s %s files, %s\n' "output" "$(find "$dir/public" -type f | wc -l)" "$(du -sh --apparent-size "$dir/public" | cut -f1)"
done
