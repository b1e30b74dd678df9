#!/usr/bin/env bash
# Footprint of a release http_manage_sys: time from exec to the first
# answered request, idle RSS, RSS after 100 000 requests and after a
# second 100 000 (flat = no growth that looks like a leak). Run on the
# embedded SQLite and in-process cache, and — when BACKENDS=servers — on
# the local MariaDB and Redis. Loopback only; the load is bounded by count
# (wrk's requests are cut at the count by duration: N ≈ the target).
#
#   bench/footprint.sh                   # SQLite + in-process cache
#   BACKENDS=servers bench/footprint.sh  # MariaDB (database keel_footprint) + Redis db 6
#   BOOTS=10 bench/footprint.sh          # boots timed (median printed)
set -euo pipefail
cd "$(dirname "$0")/.."

BACKENDS="${BACKENDS:-embedded}"
BOOTS="${BOOTS:-5}"
REQUESTS="${REQUESTS:-100000}"
PORT=18630
URL_PATH=/v1.00.02/test
for tool in wrk curl; do
    command -v $tool >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk curl >/dev/null; }
done
cargo build --release -q --bin http_manage_sys

home="$(mktemp -d)"
backend=()
cleanup() {
    kill "${server:-0}" 2>/dev/null || true
    rm -rf "$home"
    [ "$BACKENDS" = servers ] && mariadb -h127.0.0.1 -uroot -e "DROP DATABASE IF EXISTS keel_footprint" || true
}
trap cleanup EXIT
if [ "$BACKENDS" = servers ]; then
    mariadb -h127.0.0.1 -uroot -e "DROP DATABASE IF EXISTS keel_footprint; CREATE DATABASE keel_footprint"
    backend=(KEEL_DATABASE__DEFAULT__URL="mysql://root:@127.0.0.1:3306/keel_footprint"
        KEEL_DATABASE__DEFAULT__AUTO_UPGRADE=true KEEL_CACHE__DEFAULT="redis://127.0.0.1:6379/6")
fi

# Starts the server; sets $server. The first boot also migrates.
start() {
    env KEEL_HOME="$home" KEEL_SERVER__BIND=127.0.0.1 KEEL_SERVER__PORT=$PORT "${backend[@]}" \
        target/release/http_manage_sys >/dev/null 2>&1 &
    server=$!
}

# Sets $boot_ms: milliseconds from exec to the first 200 on $URL_PATH
# (polled every 1 ms). Not in a subshell: $server must stay set.
boot() {
    local t0 t1
    t0=$(date +%s%N)
    start
    until curl -sf -o /dev/null "http://127.0.0.1:$PORT$URL_PATH"; do sleep 0.001; done
    t1=$(date +%s%N)
    boot_ms=$(((t1 - t0) / 1000000))
}

rss() { awk '$1 == "VmRSS:" { printf "%.1f", $2 / 1024 }' "/proc/$server/status"; }

# The first boot creates and migrates the database; not timed.
start
until curl -sf -o /dev/null "http://127.0.0.1:$PORT$URL_PATH"; do sleep 0.01; done
kill -TERM "$server"; wait "$server" || true

times=()
for _ in $(seq "$BOOTS"); do
    boot
    times+=("$boot_ms")
    kill -TERM "$server"; wait "$server" || true
done
boot_median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')

start
until curl -sf -o /dev/null "http://127.0.0.1:$PORT$URL_PATH"; do sleep 0.01; done
sleep 1
idle=$(rss)
# One bounded load of about $REQUESTS requests: 16 connections, stopped
# when the count is reached (a wrk script counts responses).
load() {
    taskset -c 1 wrk -t1 -c16 -d30s -s bench/count.lua "http://127.0.0.1:$PORT$URL_PATH" -- "$REQUESTS" >/dev/null 2>&1 || true
}
load
sleep 1
after_first=$(rss)
load
sleep 1
after_second=$(rss)
kill -TERM "$server"; wait "$server" || true

echo "backends: $BACKENDS"
echo "boot to first answer: median ${boot_median} ms over $BOOTS boots (${times[*]} ms)"
echo "RSS idle: ${idle} MiB; after ${REQUESTS} requests: ${after_first} MiB; after another ${REQUESTS}: ${after_second} MiB"
echo "access lines written: $(cat "$home"/logs/manage_system/info*.log | grep -c " GET $URL_PATH ")"
