#!/usr/bin/env bash
# Two builds of the site alternated, to compare binaries on a machine whose
# speed drifts between batches: prints each binary's medians of wall time, user
# and system CPU and peak memory over RUNS builds.
#
#   bench/compare.sh OLD_BINARY NEW_BINARY [STORE_DIR]
#   RUNS=5 bench/compare.sh /tmp/entraide-before target/release/entraide /dev/shm/entraide-bench/100000
#   MODE=unchanged bench/compare.sh …   (rebuilds over a kept output: nothing changed)
#
# STORE_DIR holds `entraide.db` (made by bench/build.sh, or by the old binary
# when the new one has migrations the old one does not know). Each binary builds
# from its own copy of it (a newer binary migrates its copy) into its own output,
# rebuilt from scratch before every run (MODE=full, the default) or built once
# and then rebuilt with nothing changed (MODE=unchanged). Each binary runs in
# this checkout, or the old one in OLD_ROOT when its theme or content differ (a
# worktree of the old commit: `git worktree add ../before HEAD`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ $# -ge 2 ] || { echo "usage: bench/compare.sh OLD NEW [STORE_DIR]" >&2; exit 2; }
old=$(realpath "$1") new=$(realpath "$2") runs=${RUNS:-4} mode=${MODE:-full}
dir=$(realpath "${3:-bench/out/100000}") old_root=$(realpath "${OLD_ROOT:-.}")
work=$(mktemp -d "$dir/compare.XXXX")
times="$work/times"
trap 'rm -rf "$work"' EXIT
mkdir "$work/old" "$work/new"
cp "$dir/entraide.db" "$work/old/" && cp "$dir/entraide.db" "$work/new/"
build() { # side binary root [time]
  local side=$1 bin=$2 root=$3
  shift 3
  (cd "$root" && "$@" "$bin" --store "sqlite://$work/$side/entraide.db" build --no-search \
    --out "$work/$side/public" >/dev/null 2>&1) || { echo "$bin failed in $root" >&2; exit 1; }
}
timed() { /usr/bin/time -f "$1 %e %U %S %M" -a -o "$times" "${@:2}"; }
if [ "$mode" = unchanged ]; then
  build old "$old" "$old_root"
  build new "$new" .
fi
for _ in $(seq "$runs"); do
  [ "$mode" = unchanged ] || rm -rf "$work/old/public" "$work/new/public"
  build old "$old" "$old_root" timed "$old"
  build new "$new" . timed "$new"
done
python3 - "$times" "$old" "$new" "$mode" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1]) if not line.startswith("Command")]
for binary in sys.argv[2:4]:
    runs = [list(map(float, row[1:])) for row in rows if row[0] == binary]
    median = lambda i: statistics.median(run[i] for run in runs)
    print(f"{binary} ({sys.argv[4]}): {len(runs)} runs, wall {median(0):.2f} s, user {median(1):.2f} s, "
          f"system {median(2):.2f} s, peak {median(3) / 1024:.0f} MB "
          f"(walls {', '.join(f'{run[0]:.2f}' for run in runs)})")
PY
