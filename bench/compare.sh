#!/usr/bin/env bash
# keel against an earlier keel: the bench service (bench/src/bin/http_bench.rs)
# built at REV and at the working tree, the same bounded load on loopback,
# interleaved (old, new, old, new, …) because this machine drifts ±15 %
# between runs. Prints each run and the median new/old throughput ratio
# with its spread — what a refactor must not lower.
#
#   REV=598edfc bench/compare.sh                 # JSON answer, 6 pairs, wrk -t1 -c64 -d5s
#   REV=598edfc TARGET=cached bench/compare.sh   # one row through Redis (private redis-server)
#   REV=598edfc TARGET=row bench/compare.sh      # one row by primary key from SQLite
#   REV=self OLD_ENV=KEEL_METRICS__ENABLED=false bench/compare.sh
#                                                # one build against itself, "old" run with OLD_ENV
#
# The old build lives in target/bench-old/<rev> (its own target dir, kept
# between runs). Servers are pinned to core 0, wrk and Redis to core 1.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

REV="${REV:?set REV to the commit to compare against}"
PAIRS="${PAIRS:-6}"
DURATION="${DURATION:-5s}"
CONNECTIONS="${CONNECTIONS:-64}"
TARGET="${TARGET:-hello}"
OLD_PORT=18910
NEW_PORT=18911
REDIS_PORT=18978

for tool in wrk redis-server; do
    command -v $tool >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk redis-server >/dev/null; }
done

OLD_ENV="${OLD_ENV:-}"
old_dir="target/bench-old/$(git rev-parse --short "$REV" 2>/dev/null || echo self)"
if [ "$REV" = self ]; then
    old_dir=target/release
elif [ ! -x "$old_dir/http_bench" ]; then
    src="$(mktemp -d)"
    git worktree add -q --detach "$src" "$REV"
    (cd "$src" && CARGO_TARGET_DIR="$PWD/../keel-bench-old-target" cargo build --release -q -p keel-bench --bin http_bench)
    mkdir -p "$old_dir"
    cp "$src/../keel-bench-old-target/release/http_bench" "$old_dir/http_bench"
    git worktree remove --force "$src"
fi
cargo build --release -q -p keel-bench --bin http_bench

homes="$(mktemp -d)"
trap 'rm -rf "$homes"; kill $(jobs -p) 2>/dev/null || true' EXIT
cache=()
case "$TARGET" in
    hello) URL_PATH=/v1.00.00/hello ;;
    row) URL_PATH=/v1.00.00/account/500 ;;
    cached)
        URL_PATH=/v1.00.00/account/500/cached
        taskset -c 1 redis-server --bind 127.0.0.1 --port $REDIS_PORT --save "" --appendonly no >/dev/null &
        for _ in $(seq 50); do redis-cli -p $REDIS_PORT ping >/dev/null 2>&1 && break; sleep 0.1; done
        cache=(KEEL_CACHE__DEFAULT="redis://127.0.0.1:$REDIS_PORT/0") ;;
    *) echo "TARGET is hello, row or cached" >&2; exit 2 ;;
esac

# Each build gets its own home with its tables from its own migrations.
for which in old new; do
    bin="$old_dir/http_bench"; [ $which = new ] && bin=target/release/http_bench
    mkdir -p "$homes/$which"
    env KEEL_HOME="$homes/$which" KEEL_DATABASE__DEFAULT="sqlite://data/bench.db" "$bin" db init-db >/dev/null
done

start() {
    local which=$1 port=$2 bin="$old_dir/http_bench"
    [ "$which" = new ] && bin=target/release/http_bench
    local extra=()
    [ "$which" = old ] && [ -n "$OLD_ENV" ] && extra=("$OLD_ENV")
    env KEEL_HOME="$homes/$which" KEEL_SERVER__BIND=127.0.0.1 KEEL_SERVER__PORT=$port \
        KEEL_DATABASE__DEFAULT="sqlite://data/bench.db" "${cache[@]}" "${extra[@]}" taskset -c 0 "$bin" >/dev/null &
    server=$!
    for _ in $(seq 100); do
        curl -sf "http://127.0.0.1:$port$URL_PATH" >/dev/null && return 0
        sleep 0.05
    done
    echo "$which server did not start" >&2
    exit 1
}

load() {
    wrk_run "$1" "$URL_PATH"
}

printf '%-5s %-4s %10s %8s %8s\n' pair keel 'req/s' 'p50 ms' 'p99 ms'
ratios=()
for pair in $(seq "$PAIRS"); do
    start old $OLD_PORT
    read -r o_rps o_p50 o_p99 < <(load $OLD_PORT)
    kill -TERM "$server"; wait "$server" || true
    start new $NEW_PORT
    read -r n_rps n_p50 n_p99 < <(load $NEW_PORT)
    kill -TERM "$server"; wait "$server" || true
    printf '%-5s %-4s %10s %8s %8s\n' "$pair" old "$o_rps" "$o_p50" "$o_p99"
    printf '%-5s %-4s %10s %8s %8s\n' "$pair" new "$n_rps" "$n_p50" "$n_p99"
    ratios+=("$(awk -v n="$n_rps" -v o="$o_rps" 'BEGIN { printf "%.3f", n / o }')")
done
median "$TARGET: new/old ($REV) throughput" %.3f "${ratios[@]}"
