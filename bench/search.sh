#!/usr/bin/env bash
# The search index at scale: index COUNT offers (default 100,000) into a built
# site, re-index after one offer changes, then search in headless Chromium.
# Prints wall time, peak memory and the build's summary (its `search` phase is
# the indexing) for each step, then bench/search_query.mjs's and bench/nearby.mjs's
# tables.
#
#   OUT_ROOT=/dev/shm/entraide-bench RUNS=3 bench/search.sh 100000
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
count=${1:-100000}
out_root=${OUT_ROOT:-bench/out}
runs=${RUNS:-1}
cargo build --release --locked --bin entraide >/dev/null
bin=$PWD/target/release/entraide

# shellcheck source=bench/measure.sh
source bench/measure.sh

dir="$out_root/search-$count"
rm -rf "$dir" && mkdir -p "$dir"
store="sqlite://$dir/entraide.db"
public="$dir/public"
echo "== $count offers"
measure "demo" "$bin" --store "$store" demo --count "$count" --seed 1
measure "pages only (--no-search)" "$bin" --store "$store" build --no-search --out "$public"
for run in $(seq "$runs"); do
  # The pages are unchanged: this build's time is the index's.
  measure "index every offer ($run)" "$bin" --store "$store" build --out "$public"
  # One published offer gets a new title, as `entraide serve` would store it.
  "$bin" --store "$store" export | python3 -c '
import json, sys
changed = False
for line in sys.stdin:  # read to the end: the export must not meet a closed pipe
    offer = json.loads(line)
    if not changed and offer["status"] == "published":
        offer["title"] = f"Titre changé pour la mesure numéro '"$run"'"
        offer["version"] += 1
        print(json.dumps(offer, ensure_ascii=False))
        changed = True
' >"$dir/changed.jsonl"
  "$bin" --store "$store" import "$dir/changed.jsonl" 2>/dev/null
  measure "one offer changed ($run)" "$bin" --store "$store" build --out "$public"
  [ "$run" = "$runs" ] || "$bin" --store "$store" build --no-search --out "$public" >/dev/null 2>&1
done
printf '%-28s %s files, %s\n' "index" "$(find "$public/pagefind" -type f | wc -l)" "$(du -sh --apparent-size "$public/pagefind" | cut -f1)"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ENTRAIDE_SECRET="a benchmark secret long enough for entraide serve" \
  "$bin" --store "$store" serve --bind "127.0.0.1:$port" --out "$public" --mail "file://$dir/outbox" \
  >"$dir/serve.log" 2>&1 &
serve_pid=$!
trap 'kill "$serve_pid" 2>/dev/null; wait "$serve_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do curl -fs -o /dev/null "http://127.0.0.1:$port/recherche/" && break; sleep 0.2; done
node bench/search_query.mjs "http://127.0.0.1:$port" 5
node bench/nearby.mjs "http://127.0.0.1:$port" 5
