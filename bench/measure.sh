# Sourced by the benchmark scripts: `measure LABEL COMMAND…` runs the command and
# prints its wall time, its peak memory and the last summary line it printed.
measure() {
  local label=$1; shift
  local log; log=$(mktemp)
  /usr/bin/time -f '%e %M' -o "$log.time" "$@" >/dev/null 2>"$log"
  read -r seconds kilobytes <"$log.time"
  printf '%-28s %8.2f s %8d MB   %s\n' "$label" "$seconds" $((kilobytes / 1024)) "$(grep -E 'site construit|enregistrées' "$log" | tail -n 1)"
  rm -f "$log" "$log.time"
}
