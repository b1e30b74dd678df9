#!/usr/bin/env bash
# keel and its baseline served at the same time on the same core: the ratio
# of requests per CPU-second, which this VM's drift does not move.
#
#   bench/together.sh                       # JSON answer, keel vs bare salvo, 8 rounds of 5 s
#   TARGET=cached bench/together.sh         # the row through Redis (a private redis-server on core 1)
#   ROUNDS=12 DURATION=4s bench/together.sh
#   SERVER_ENV=KEEL_LOG__LEVELS__ACCESS=off bench/together.sh   # keel with extra settings
#   BASELINE=keel BASE_ENV=KEEL_LOG__LEVELS__ACCESS=off bench/together.sh
#                                           # keel against itself with other settings
#   BASELINE=keel BASE_BIN=target/bench-old/2a01285/http_bench bench/together.sh
#                                           # keel against an earlier build of the bench service
#
# Why: run one after the other (bench/run.sh), the same server's throughput
# moves by ±15 % between 3-second runs on this machine, even within one
# process, so a median of 8 pairs still moves by ±5 % and a 2 % change
# cannot be seen. Here both servers are pinned to core 0 and loaded at
# once by two wrk processes on core 1: whatever slows the core slows both
# in the same seconds. The scheduler shares the core between them, and each
# side's CPU time (user + system, every thread of the process, from
# /proc/<pid>/stat) divides its completed requests: the ratio of requests
# per CPU-second is the ratio of their costs per request. Kernel work done
# for a process outside its own threads (softirqs, writeback) is not in it.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

ROUNDS="${ROUNDS:-8}"
DURATION="${DURATION:-5s}"
WARMUP="${WARMUP:-2s}"
CONNECTIONS="${CONNECTIONS:-64}"
TARGET="${TARGET:-hello}"
BASELINE="${BASELINE:-bare}"
BASE_BIN="${BASE_BIN:-target/release/http_bench}"
KEEL_PORT=18920
BASE_PORT=18921
REDIS_PORT=18977

for tool in wrk redis-server curl; do
    command -v $tool >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk redis-server curl >/dev/null; }
done
cargo build --release -q -p keel-bench --bin http_bench --bin bare_salvo

home="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$home"' EXIT
keel_extra=()
bare_extra=()
case "$TARGET" in
    hello) URL_PATH=/v1.00.00/hello ;;
    cached)
        URL_PATH=/v1.00.00/account/500/cached
        taskset -c 1 redis-server --bind 127.0.0.1 --port $REDIS_PORT --save "" --appendonly no >/dev/null &
        for _ in $(seq 50); do redis-cli -p $REDIS_PORT ping >/dev/null 2>&1 && break; sleep 0.1; done
        redis-cli -p $REDIS_PORT ping >/dev/null 2>&1 || { echo "redis-server did not start on port $REDIS_PORT" >&2; exit 1; }
        redis_url="redis://127.0.0.1:$REDIS_PORT/0"
        keel_extra=(KEEL_DATABASE__DEFAULT="sqlite://data/bench.db" KEEL_CACHE__DEFAULT="$redis_url")
        bare_extra=("sqlite://$home/keel/data/bench.db" "$redis_url") ;;
    *) echo "TARGET is hello or cached" >&2; exit 2 ;;
esac
case "$BASELINE" in
    bare | keel) ;;
    *) echo "BASELINE is bare or keel" >&2; exit 2 ;;
esac

# serve NAME PORT BINARY ENV…: a keel server pinned to core 0, in its own home.
serve_keel() {
    local name=$1 port=$2 bin=$3
    shift 3
    mkdir -p "$home/$name"
    # The server's own settings too: one may name another database.
    env KEEL_HOME="$home/$name" "${keel_extra[@]}" "$@" "$bin" db init-db >/dev/null
    env KEEL_HOME="$home/$name" KEEL_SERVER__BIND=127.0.0.1 KEEL_SERVER__PORT="$port" "${keel_extra[@]}" "$@" \
        taskset -c 0 "$bin" >/dev/null &
}

wait_for() { # wait_for PORT
    for _ in $(seq 100); do
        curl -sf "http://127.0.0.1:$1$URL_PATH" >/dev/null && return 0
        sleep 0.05
    done
    echo "the server on port $1 did not start" >&2
    exit 1
}

# shellcheck disable=SC2086 # SERVER_ENV and BASE_ENV are lists of NAME=value
serve_keel keel $KEEL_PORT target/release/http_bench ${SERVER_ENV:-}
keel_pid=$!
wait_for $KEEL_PORT
if [ "$BASELINE" = bare ]; then
    # The cached read's table is the one the keel server seeded at boot.
    taskset -c 0 target/release/bare_salvo "127.0.0.1:$BASE_PORT" "${bare_extra[@]}" >/dev/null &
    base_label="bare salvo"
else
    # shellcheck disable=SC2086
    serve_keel base $BASE_PORT "$BASE_BIN" ${BASE_ENV:-}
    base_label="keel ($BASE_BIN${BASE_ENV:+ with $BASE_ENV})"
fi
base_pid=$!
wait_for $BASE_PORT
[ "$TARGET" = cached ] && redis-cli -p $REDIS_PORT del bch_account:500 >/dev/null

# CPU ticks (user + system, all threads) the process has used so far.
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# Both loaded at once for DURATION; prints "keel_req keel_ticks base_req base_ticks".
round() {
    local duration=$1 k0 b0 k1 b1
    k0=$(ticks $keel_pid)
    b0=$(ticks $base_pid)
    taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"$duration" "http://127.0.0.1:$KEEL_PORT$URL_PATH" >"$home/keel.wrk" &
    local keel_wrk=$!
    taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"$duration" "http://127.0.0.1:$BASE_PORT$URL_PATH" >"$home/base.wrk" &
    wait $keel_wrk $!
    k1=$(ticks $keel_pid)
    b1=$(ticks $base_pid)
    wrk_sane keel <"$home/keel.wrk"
    wrk_sane "$BASELINE" <"$home/base.wrk"
    echo "$(awk '/requests in/ { print $1 }' "$home/keel.wrk") $((k1 - k0)) $(awk '/requests in/ { print $1 }' "$home/base.wrk") $((b1 - b0))"
}

round "$WARMUP" >/dev/null
hz=$(getconf CLK_TCK)
echo "keel and $base_label on core 0 at once, target $TARGET, $ROUNDS rounds of $DURATION"
printf '%-5s %10s %9s %14s %10s %9s %14s %7s\n' round 'keel req' 'keel cpu' 'keel req/cpu-s' 'base req' 'base cpu' 'base req/cpu-s' ratio
ratios=()
for r in $(seq "$ROUNDS"); do
    read -r kr kt br bt < <(round "$DURATION")
    [ "$kt" -gt 0 ] && [ "$bt" -gt 0 ] || { echo "a server used no CPU" >&2; exit 1; }
    ratio=$(awk -v kr="$kr" -v kt="$kt" -v br="$br" -v bt="$bt" 'BEGIN { printf "%.3f", (kr / kt) / (br / bt) }')
    awk -v r="$r" -v kr="$kr" -v kt="$kt" -v br="$br" -v bt="$bt" -v hz="$hz" -v q="$ratio" 'BEGIN {
        printf "%-5s %10d %8.2fs %14.0f %10d %8.2fs %14.0f %7s\n", r, kr, kt / hz, kr / kt * hz, br, bt / hz, br / bt * hz, q }'
    ratios+=("$ratio")
done
median "keel/$BASELINE requests per CPU-second ($TARGET)" %.3f "${ratios[@]}" | sed 's/ pairs)/ rounds)/'
