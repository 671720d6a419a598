#!/usr/bin/env bash
# Two builds of the site alternated on the same store, to compare binaries on a
# machine whose speed drifts between batches: prints each binary's medians of
# wall time, user and system CPU and peak memory over RUNS full builds.
#
#   bench/compare.sh OLD_BINARY NEW_BINARY [STORE_DIR]
#   RUNS=5 bench/compare.sh /tmp/entraide-before target/release/entraide /dev/shm/entraide-bench/100000
#
# STORE_DIR holds `entraide.db` (made by bench/build.sh); its `public/` is rebuilt
# from scratch before every run (default: bench/out/100000). Each binary runs in
# this checkout, or the old one in OLD_ROOT when its theme or content differ (a
# worktree of the old commit: `git worktree add ../before HEAD`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ $# -ge 2 ] || { echo "usage: bench/compare.sh OLD NEW [STORE_DIR]" >&2; exit 2; }
old=$(realpath "$1") new=$(realpath "$2") runs=${RUNS:-4}
dir=$(realpath "${3:-bench/out/100000}") old_root=$(realpath "${OLD_ROOT:-.}")
times=$(mktemp)
trap 'rm -f "$times"' EXIT
for _ in $(seq "$runs"); do
  for bin in "$old" "$new"; do
    root=.
    [ "$bin" = "$old" ] && root=$old_root
    rm -rf "$dir/public"
    (cd "$root" && /usr/bin/time -f "$bin %e %U %S %M" -a -o "$times" \
      "$bin" --store "sqlite://$dir/entraide.db" build --no-search --out "$dir/public" >/dev/null 2>&1) ||
      { echo "$bin failed in $root" >&2; exit 1; }
  done
done
python3 - "$times" "$old" "$new" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
for binary in sys.argv[2:]:
    runs = [list(map(float, row[1:])) for row in rows if row[0] == binary]
    median = lambda i: statistics.median(run[i] for run in runs)
    print(f"{binary}: {len(runs)} runs, wall {median(0):.2f} s, user {median(1):.2f} s, "
          f"system {median(2):.2f} s, peak {median(3) / 1024:.0f} MB "
          f"(walls {', '.join(f'{run[0]:.2f}' for run in runs)})")
PY
