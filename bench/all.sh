#!/usr/bin/env bash
# Every comparison in one run, each against its baseline in the same run:
#
#   keel vs bare salvo   JSON answer, row through Redis (bench/run.sh: throughput,
#                        one after the other; bench/together.sh: requests per
#                        CPU-second, both served at once),
#                        token check over the public read (TARGET=auth),
#                        broadcast to 1 000 WebSocket clients (ws_fanout, REPEATS rounds)
#   keel vs Sanic        JSON, row by primary key, row through Redis, login, broadcast
#                        (bench/sanic.sh, one worker pinned and one per core)
#   footprint            boot time and RSS of release http_manage_sys (bench/footprint.sh)
#   build cost           100 handlers, keel vs bare salvo (bench/build_cost.sh)
#
# Each script's full output goes to stderr as it runs; the summary lines
# are printed together at the end.
#
#   bench/all.sh                              # PAIRS=6 DURATION=5s, REPEATS=6 (about 40 minutes)
#   PAIRS=2 DURATION=2s REPEATS=2 bench/all.sh    # a quick pass
#   SKIP="sanic build" bench/all.sh           # leave parts out: bare auth ws sanic footprint build
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

export PAIRS="${PAIRS:-6}"
export DURATION="${DURATION:-5s}"
REPEATS="${REPEATS:-6}"
SKIP="${SKIP:-}"
logs="$(mktemp -d)"
summary=()

wanted() { [[ " $SKIP " != *" $1 "* ]]; }

# part NAME COMMAND…: runs it with its output on stderr and in $logs/NAME.
part() {
    local name=$1
    shift
    echo "=== $name: $*" >&2
    "$@" 2>&1 | tee "$logs/$name" >&2
}

if wanted bare; then
    part json bench/run.sh
    summary+=("JSON answer, $(grep 'keel/bare throughput' "$logs/json")")
    part cached env TARGET=cached bench/run.sh
    summary+=("row through Redis, $(grep 'keel/bare throughput' "$logs/cached")")
    part json_together env ROUNDS="$PAIRS" bench/together.sh
    summary+=("JSON answer, both at once, $(grep 'per CPU-second' "$logs/json_together")")
    part cached_together env ROUNDS="$PAIRS" TARGET=cached bench/together.sh
    summary+=("row through Redis, both at once, $(grep 'per CPU-second' "$logs/cached_together")")
fi
if wanted auth; then
    part auth env TARGET=auth bench/run.sh
    summary+=("$(grep 'token check' "$logs/auth")")
fi
if wanted ws; then
    cargo build --release -q -p keel-bench --bin ws_fanout
    # keel and bare salvo interleaved, REPEATS rounds in one process.
    part ws env ROUNDS="$REPEATS" target/release/ws_fanout 1000 100
    while IFS= read -r line; do
        summary+=("WebSocket broadcast, 1 000 clients: $line")
    done < <(grep '^keel/bare' "$logs/ws")
    # "(N of M delivered)" with N < M, in any run (the Redis one too).
    if grep 'delivered)' "$logs/ws" | grep -vq '(\([0-9]*\) of \1 delivered)'; then
        summary+=("WebSocket broadcast lost messages: $(grep 'delivered)' "$logs/ws" | grep -v '(\([0-9]*\) of \1 delivered)' | tr '\n' ' ')")
    fi
fi
if wanted sanic; then
    part sanic bench/sanic.sh
    while IFS= read -r line; do summary+=("$line"); done < <(grep 'keel/Sanic' "$logs/sanic")
fi
if wanted footprint; then
    part footprint bench/footprint.sh
    while IFS= read -r line; do summary+=("footprint (SQLite): $line"); done < <(grep -E '^(boot|RSS)' "$logs/footprint")
fi
if wanted build; then
    part build env PAIRS=3 bench/build_cost.sh
    while IFS= read -r line; do summary+=("$line"); done < <(grep 'keel/bare' "$logs/build")
fi

echo
echo "Summary ($(date -u +%Y-%m-%d), PAIRS=$PAIRS DURATION=$DURATION REPEATS=$REPEATS; logs in $logs)"
printf '  %s\n' "${summary[@]}"
