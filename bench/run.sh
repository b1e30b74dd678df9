#!/usr/bin/env bash
# keel vs bare salvo: the same JSON answer, the same bounded load, on loopback.
#
#   bench/run.sh                          # JSON answer: 3 pairs, wrk -t1 -c64 -d10s each
#   PAIRS=5 DURATION=5s bench/run.sh
#   WARMUP=0 bench/run.sh                 # no unmeasured warm-up load (default 1s)
#   TARGET=account bench/run.sh           # one row by primary key, embedded SQLite
#   TARGET=account BENCH_DB=mysql bench/run.sh   # … from the local MariaDB
#   TARGET=account BENCH_DB=both bench/run.sh    # SQLite then MariaDB, one summary each
#   TARGET=cached bench/run.sh            # the row through Redis (a private redis-server on core 1)
#   TARGET=outage bench/run.sh            # the cached read with Redis unreachable vs a plain DB read
#   TARGET=auth bench/run.sh              # keel only: the cached read behind a token vs public
#   TARGET=insert [BENCH_DB=mysql] bench/run.sh   # one row inserted: keel's insert vs rbatis `crud!` insert
#   SERVER_ENV=KEEL_LOG__LEVELS__ACCESS=off bench/run.sh   # keel with extra settings (here: no access lines)
#
# TARGET=account reads row 500 of bch_account: keel through ctx.db()?.get,
# the baseline through rbatis `crud!` select_by_map in a bare salvo handler.
# Runs are interleaved (keel, bare, bare, keel, …: the order alternates)
# because this machine drifts ±15 % between runs; each fresh server gets
# WARMUP of load before the measured DURATION; each server is pinned to core 0 and wrk to
# core 1. Prints each run, then the median keel/bare throughput ratio with
# its spread (min–max of the per-pair ratios).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

# BENCH_DB=both: the same target on SQLite, then on MariaDB, in one run.
if [ "${BENCH_DB:-}" = both ]; then
    for db in sqlite mysql; do
        BENCH_DB=$db "$0" | tail -2
    done
    exit 0
fi

PAIRS="${PAIRS:-3}"
DURATION="${DURATION:-10s}"
WARMUP="${WARMUP:-1s}"
CONNECTIONS="${CONNECTIONS:-64}"
TARGET="${TARGET:-hello}"
BENCH_DB="${BENCH_DB:-sqlite}"
KEEL_PORT=18900
BARE_PORT=18901
# Without REDIS_URL the cached targets start their own redis-server pinned
# to core 1 (beside wrk): an unpinned Redis lands on the server's core in
# some runs and not in others, which alone moved the ratio by ±15 %.
PRIVATE_REDIS_PORT=18979
if [ -z "${REDIS_URL:-}" ] && { [ "$TARGET" = cached ] || [ "$TARGET" = auth ]; }; then
    command -v redis-server >/dev/null || { apt-get update -qq && apt-get install -y -qq redis-server >/dev/null; }
    taskset -c 1 redis-server --bind 127.0.0.1 --port $PRIVATE_REDIS_PORT --save "" --appendonly no >/dev/null &
    trap 'kill $(jobs -p) 2>/dev/null || true' EXIT
    for _ in $(seq 50); do redis-cli -p $PRIVATE_REDIS_PORT ping >/dev/null 2>&1 && break; sleep 0.1; done
    REDIS_URL="redis://127.0.0.1:$PRIVATE_REDIS_PORT/0"
fi
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/5}"
keel_cache=()
bare_cache=()
WRK_ARGS=()
case "$TARGET" in
    hello) URL_PATH=/v1.00.00/hello; BARE_PATH=$URL_PATH ;;
    account) URL_PATH=/v1.00.00/account/500; BARE_PATH=$URL_PATH ;;
    insert) URL_PATH=/v1.00.00/account; BARE_PATH=$URL_PATH; WRK_ARGS=(-s bench/post.lua) ;;
    cached)
        # keel through ctx.db()?.get_cached, bare salvo through its own GET/SET.
        URL_PATH=/v1.00.00/account/500/cached; BARE_PATH=$URL_PATH
        redis-cli -u "$REDIS_URL" del bch_account:500 >/dev/null
        keel_cache=(KEEL_CACHE__DEFAULT="$REDIS_URL"); bare_cache=("$REDIS_URL") ;;
    outage)
        # Nothing listens on port 9: keel's breaker opens and reads go to
        # the database; the baseline is the plain database read.
        URL_PATH=/v1.00.00/account/500/cached; BARE_PATH=/v1.00.00/account/500
        keel_cache=(KEEL_CACHE__DEFAULT="redis://127.0.0.1:9/") ;;
    auth)
        # One keel server; runs alternate between the protected route (token
        # checked from Redis) and the same read on a public route.
        URL_PATH=/v1.00.00/account/500/guarded; BARE_PATH=/v1.00.00/account/500/cached
        keel_cache=(KEEL_CACHE__DEFAULT="$REDIS_URL") ;;
    *) echo "TARGET is hello, account, insert, cached, outage or auth" >&2; exit 2 ;;
esac

if ! command -v wrk >/dev/null; then
    echo "installing wrk (Debian package)…" >&2
    apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi
cargo build --release -q -p keel-bench

home="$(mktemp -d)"
trap 'rm -rf "$home"; kill $(jobs -p) 2>/dev/null || true' EXIT
keel_db=()
bare_db=()
if [ "$TARGET" != hello ]; then
    case "$BENCH_DB" in
        sqlite)
            keel_db=(KEEL_DATABASE__DEFAULT="sqlite://data/bench.db")
            bare_db=("sqlite://$home/data/bench.db") ;;
        mysql)
            mariadb -h127.0.0.1 -uroot -e "DROP DATABASE IF EXISTS keel_bench; CREATE DATABASE keel_bench"
            trap 'rm -rf "$home"; kill $(jobs -p) 2>/dev/null || true; mariadb -h127.0.0.1 -uroot -e "DROP DATABASE IF EXISTS keel_bench"' EXIT
            keel_db=(KEEL_DATABASE__DEFAULT="mysql://root:@127.0.0.1:3306/keel_bench")
            bare_db=("mysql://root:@127.0.0.1:3306/keel_bench") ;;
        *) echo "BENCH_DB is sqlite or mysql" >&2; exit 2 ;;
    esac
fi

# The bench service's tables come from its first migration, as a new
# service's would (`db init-db` writes it into the temp home and applies it).
env KEEL_HOME="$home" "${keel_db[@]}" target/release/http_bench db init-db >/dev/null

# Starts a server pinned to core 0 and waits until it answers.
start() {
    local kind=$1 port=$2
    if [ "$kind" = keel ]; then
        path=$URL_PATH
        # The protected route answers 401 until a token exists: probe the public one.
        [ "$TARGET" = auth ] && path=$BARE_PATH
        env KEEL_HOME="$home" KEEL_SERVER__BIND=127.0.0.1 KEEL_SERVER__PORT=$port "${keel_db[@]}" "${keel_cache[@]}" ${SERVER_ENV:-} \
            taskset -c 0 target/release/http_bench >/dev/null &
    else
        path=$BARE_PATH
        taskset -c 0 target/release/bare_salvo "127.0.0.1:$port" "${bare_db[@]}" "${bare_cache[@]}" >/dev/null &
    fi
    server=$!
    for _ in $(seq 100); do
        if [ "$TARGET" = insert ]; then
            curl -sf -X POST "http://127.0.0.1:$port$path" >/dev/null && return 0
        else
            curl -sf "http://127.0.0.1:$port$path" >/dev/null && return 0
        fi
        sleep 0.05
    done
    echo "$kind server did not start" >&2
    exit 1
}

# One bounded wrk run; prints "req_per_s p50_ms p99_ms".
load() {
    local port=$1 path=$2
    local header=()
    [ -n "${TOKEN:-}" ] && [ "$path" = "$URL_PATH" ] && header=(-H "Authorization: Bearer $TOKEN")
    wrk_run "$port" "$path" "${header[@]}" "${WRK_ARGS[@]}"
}

if [ "$TARGET" = auth ]; then
    start keel $KEEL_PORT
    TOKEN=$(curl -sf -X POST "http://127.0.0.1:$KEEL_PORT/v1.00.00/token" | sed 's/.*"data":"\([0-9a-f]*\)".*/\1/')
    [ ${#TOKEN} -eq 64 ] || { echo "no token" >&2; exit 1; }
    curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$KEEL_PORT$URL_PATH" >/dev/null
    printf '%-5s %-9s %10s %8s %8s\n' pair route 'req/s' 'p50 ms' 'p99 ms'
    costs=()
    for pair in $(seq "$PAIRS"); do
        read -r p_rps p_p50 p_p99 < <(load $KEEL_PORT "$URL_PATH")
        read -r u_rps u_p50 u_p99 < <(load $KEEL_PORT "$BARE_PATH")
        printf '%-5s %-9s %10s %8s %8s\n' "$pair" protected "$p_rps" "$p_p50" "$p_p99"
        printf '%-5s %-9s %10s %8s %8s\n' "$pair" public "$u_rps" "$u_p50" "$u_p99"
        # The server is pinned to one core: 1/rps is its time per request.
        costs+=("$(awk -v p="$p_rps" -v u="$u_rps" 'BEGIN { printf "%.1f", (1 / p - 1 / u) * 1e6 }')")
    done
    kill -TERM "$server"; wait "$server" || true
    median "token check, µs per request" %.1f "${costs[@]}"
    exit 0
fi

# One measured run of a fresh server: WARMUP of load first, not counted
# (the first requests page in code and fill caches and pools, more of them
# in the bigger binary), then DURATION counted.
measure() { # measure keel|bare → "req_per_s p50_ms p99_ms"
    local port=$KEEL_PORT path=$URL_PATH
    [ "$1" = bare ] && port=$BARE_PORT path=$BARE_PATH
    start "$1" "$port"
    [ "$WARMUP" != 0 ] && DURATION=$WARMUP load "$port" "$path" >/dev/null
    load "$port" "$path"
    kill -TERM "$server"; wait "$server" || true
}

printf '%-5s %-5s %10s %8s %8s\n' pair stack 'req/s' 'p50 ms' 'p99 ms'
ratios=()
for pair in $(seq "$PAIRS"); do
    # The order alternates (keel first, then bare first): whatever favours
    # the second run of a pair (the machine warming up or calming down)
    # favours each stack in half the pairs.
    if [ $((pair % 2)) = 1 ]; then
        read -r k_rps k_p50 k_p99 < <(measure keel)
        read -r b_rps b_p50 b_p99 < <(measure bare)
    else
        read -r b_rps b_p50 b_p99 < <(measure bare)
        read -r k_rps k_p50 k_p99 < <(measure keel)
    fi
    # A server that did not start said so on stderr, in its subshell.
    [ -n "${k_rps:-}" ] && [ -n "${b_rps:-}" ] || exit 1
    printf '%-5s %-5s %10s %8s %8s\n' "$pair" keel "$k_rps" "$k_p50" "$k_p99"
    printf '%-5s %-5s %10s %8s %8s\n' "$pair" bare "$b_rps" "$b_p50" "$b_p99"
    ratios+=("$(awk -v k="$k_rps" -v b="$b_rps" 'BEGIN { printf "%.3f", k / b }')")
done
median "keel/bare throughput" %.3f "${ratios[@]}"
echo "target $TARGET$([ "$TARGET" != hello ] && echo " on $BENCH_DB"); access lines written by keel (info.log and rolled files): $(cat "$home"/logs/bench/info*.log | grep -c " [A-Z]* $URL_PATH ")"
