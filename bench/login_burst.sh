#!/usr/bin/env bash
# Memory under a burst of failing logins: CONCURRENCY (200) clients at once,
# ROUNDS (5) times, against a release http_manage_sys on the embedded SQLite.
# Argon2 holds ~19 MiB per running hash; keel runs at most
# `settings.password_hash_workers` (default: the core count) with a queue of
# twice that and answers 503 past it. Prints the answers by status, the peak
# RSS (VmHWM) and the RSS once the burst is over.
#
#   bench/login_burst.sh
#   CONCURRENCY=400 bench/login_burst.sh
set -euo pipefail
cd "$(dirname "$0")/.."

CONCURRENCY="${CONCURRENCY:-200}"
ROUNDS="${ROUNDS:-5}"
PORT=18620
cargo build --release -q --bin http_manage_sys

home="$(mktemp -d)"
cp -r migrations "$home/"
KEEL_HOME="$home" KEEL_SERVER__BIND=127.0.0.1 KEEL_SERVER__PORT=$PORT \
    KEEL_ADMIN__USERNAME=root KEEL_ADMIN__PASSWORD=root-secret-1 \
    KEEL_AUTH__LOGIN_ATTEMPTS_PER_IP=1000000 KEEL_AUTH__LOGIN_FAILURES=1000000 \
    target/release/http_manage_sys >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$home"' EXIT
for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break
    sleep 0.1
done
rss() { awk -v k="$1" '$1 == k":" { printf "%.1f", $2 / 1024 }' "/proc/$server/status"; }
echo "idle: RSS $(rss VmRSS) MiB"

statuses="$home/statuses"
for round in $(seq "$ROUNDS"); do
    seq "$CONCURRENCY" | xargs -P "$CONCURRENCY" -I{} curl -s -o /dev/null -w '%{http_code}\n' \
        -X POST "http://127.0.0.1:$PORT/v1.00.02/login" -H 'content-type: application/json' \
        -d '{"username":"nobody{}","password":"wrong-password"}' >>"$statuses"
    echo "round $round: peak RSS $(rss VmHWM) MiB, now $(rss VmRSS) MiB"
done
sleep 2
echo "answers: $(sort "$statuses" | uniq -c | awk '{printf "%s×%s ", $1, $2}')"
echo "after the burst: RSS $(rss VmRSS) MiB (peak $(rss VmHWM) MiB over $((CONCURRENCY * ROUNDS)) logins, $CONCURRENCY at once)"
