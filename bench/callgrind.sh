#!/usr/bin/env bash
# Instructions per request, keel vs bare salvo, counted by valgrind's
# callgrind: unlike req/s on this 2-core VM (±15 % between runs), the count
# barely moves between runs, so small changes to keel's per-request path show.
#
#   bench/callgrind.sh                    # the JSON answer (TARGET=hello)
#   TARGET=cached bench/callgrind.sh      # the row through Redis (a private redis-server)
#   PROFILES=/tmp/cg bench/callgrind.sh   # keeps keel.callgrind and bare.callgrind for callgrind_annotate
#   CACHE_SIM=1 bench/callgrind.sh        # also simulated cache misses per request (I1, D1 read, D1 write)
#
# Each server runs under callgrind; after a warm-up the counters are zeroed,
# wrk sends load for DURATION, the counters are dumped, and the total
# instruction count (every thread of the server: workers, keel's log writer,
# the Redis connection task) is divided by the requests wrk completed.
# Kernel time (the TCP stack, about half of a request's CPU) is not counted.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET="${TARGET:-hello}"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-8}"
# callgrind's cache simulation: slower, but it shows what instruction
# counts cannot — code and data that miss the first-level caches.
CACHE_SIM="${CACHE_SIM:-}"
valgrind_args=(--tool=callgrind)
[ -n "$CACHE_SIM" ] && valgrind_args+=(--cache-sim=yes)
KEEL_PORT=18950
BARE_PORT=18951
REDIS_PORT=18979
case "$TARGET" in
    hello) URL_PATH=/v1.00.00/hello ;;
    cached) URL_PATH=/v1.00.00/account/500/cached ;;
    *) echo "TARGET is hello or cached" >&2; exit 2 ;;
esac

need() { command -v "$1" >/dev/null || { apt-get update -qq && apt-get install -y -qq "$2" >/dev/null; }; }
need valgrind valgrind
need wrk wrk
need curl curl
cargo build --release -q -p keel-bench

work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
keel_env=(KEEL_HOME="$work" KEEL_SERVER__BIND=127.0.0.1 KEEL_SERVER__PORT=$KEEL_PORT)
bare_args=("127.0.0.1:$BARE_PORT")
if [ "$TARGET" = cached ]; then
    need redis-server redis-server
    redis-server --bind 127.0.0.1 --port $REDIS_PORT --save "" --appendonly no >/dev/null &
    for _ in $(seq 50); do redis-cli -p $REDIS_PORT ping >/dev/null 2>&1 && break; sleep 0.1; done
    redis_url="redis://127.0.0.1:$REDIS_PORT/0"
    keel_env+=(KEEL_DATABASE__DEFAULT="sqlite://data/bench.db" KEEL_CACHE__DEFAULT="$redis_url")
    bare_args+=("sqlite://$work/data/bench.db" "$redis_url")
fi
# The bench service's first migration, as bench/run.sh writes it.
env "${keel_env[@]}" target/release/http_bench db init-db >/dev/null

# Prints "<requests> <instructions> [<I1 misses> <D1 read misses> <D1 write misses>]" for one server.
count() {
    local kind=$1 port=$2 pid out
    out="$work/$kind.callgrind"
    if [ "$kind" = keel ]; then
        env "${keel_env[@]}" valgrind "${valgrind_args[@]}" --callgrind-out-file="$out" target/release/http_bench \
            >"$work/$kind.log" 2>&1 &
    else
        valgrind "${valgrind_args[@]}" --callgrind-out-file="$out" target/release/bare_salvo "${bare_args[@]}" \
            >"$work/$kind.log" 2>&1 &
    fi
    pid=$!
    for _ in $(seq 300); do
        curl -sf "http://127.0.0.1:$port$URL_PATH" >/dev/null && break
        sleep 0.2
    done
    curl -sf "http://127.0.0.1:$port$URL_PATH" >/dev/null || { echo "$kind server did not start" >&2; exit 1; }
    wrk -t1 -c"$CONNECTIONS" -d2s "http://127.0.0.1:$port$URL_PATH" >/dev/null
    callgrind_control --zero "$pid" >/dev/null 2>&1
    local requests
    requests=$(wrk -t1 -c"$CONNECTIONS" -d"$DURATION" "http://127.0.0.1:$port$URL_PATH" | awk '/requests in/ { print $1 }')
    callgrind_control --dump "$pid" >/dev/null 2>&1
    kill -TERM "$pid"; wait "$pid" || true
    # The dump after --zero is the file with the highest part number.
    local part
    part=$(ls "$out".* | sort -t. -k3 -n | tail -1)
    # PROFILES=dir keeps the counted dump for callgrind_annotate.
    [ -n "${PROFILES:-}" ] && mkdir -p "$PROFILES" && cp "$part" "$PROFILES/$kind.callgrind"
    # The summary's columns follow "events:" (Ir, then with the cache
    # simulation Dr Dw I1mr D1mr D1mw …).
    echo "$requests $(awk '/^events:/ { for (i = 2; i <= NF; i++) col[$i] = i }
        /^(summary|totals):/ { printf "%s", $col["Ir"]; if ("I1mr" in col) printf " %s %s %s", $col["I1mr"], $col["D1mr"], $col["D1mw"]; exit }' "$part")"
}

read -r k_req k_ir k_i1 k_d1r k_d1w < <(count keel $KEEL_PORT)
read -r b_req b_ir b_i1 b_d1r b_d1w < <(count bare $BARE_PORT)
awk -v kr="$k_req" -v ki="$k_ir" -v br="$b_req" -v bi="$b_ir" -v t="$TARGET" 'BEGIN {
    k = ki / kr; b = bi / br
    printf "%-5s %9s %14s %12s\n", "stack", "requests", "instructions", "per request"
    printf "%-5s %9d %14d %12.0f\n", "keel", kr, ki, k
    printf "%-5s %9d %14d %12.0f\n", "bare", br, bi, b
    printf "target %s: keel/bare instructions per request %.3f (keel +%.1f %%)\n", t, k / b, (k / b - 1) * 100
}'
if [ -n "$CACHE_SIM" ]; then
    awk -v kr="$k_req" -v br="$b_req" -v k1="$k_i1" -v b1="$b_i1" -v kd="$k_d1r" -v bd="$b_d1r" -v kw="$k_d1w" -v bw="$b_d1w" 'BEGIN {
        printf "misses per request, keel vs bare: I1 %.0f vs %.0f (%.3f), D1 read %.0f vs %.0f (%.3f), D1 write %.0f vs %.0f (%.3f)\n",
            k1 / kr, b1 / br, (k1 / kr) / (b1 / br), kd / kr, bd / br, (kd / kr) / (bd / br), kw / kr, bw / br, (kw / kr) / (bw / br)
    }'
fi
