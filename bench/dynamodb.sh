#!/usr/bin/env bash
# A full build read from a local DynamoDB-compatible server (moto, on 127.0.0.1):
# loading with batch writes, then full builds whose `load` phase is the parallel
# scan. Prints wall time, peak memory and the build's phase summary.
#
#   bench/dynamodb.sh [COUNT]            default 10000
#   RUNS=3 OUT_ROOT=/dev/shm/entraide-dynamodb bench/dynamodb.sh 10000
#
# moto is a Python server: its figures bound what our client does, not what
# DynamoDB would (see docs/performance.md).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
count=${1:-10000}
runs=${RUNS:-3}
out=${OUT_ROOT:-bench/out/dynamodb}
cargo build --release --locked --features aws --bin entraide >/dev/null
bin=$PWD/target/release/entraide
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$port" >/dev/null 2>&1 &
moto_pid=$!
trap 'kill "$moto_pid" 2>/dev/null; wait "$moto_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_REGION=eu-west-3 \
  AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_EC2_METADATA_DISABLED=true
store="dynamodb://bench"

# shellcheck source=bench/measure.sh
source bench/measure.sh

"$bin" --store "$store" store init >/dev/null
echo "== $count offers in DynamoDB (moto)"
measure "load (batch writes)" "$bin" --store "$store" demo --count "$count" --seed 1
for run in $(seq "$runs"); do
  rm -rf "$out" && mkdir -p "$out"
  measure "full build ($run)" "$bin" --store "$store" build --out "$out/public"
done
