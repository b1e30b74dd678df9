#!/usr/bin/env bash
# keel vs the stack it replaces — the seed's Sanic + tortoise-orm + redis-py
# + argon2-cffi (pinned, in a venv under target/) — on the same endpoints,
# the same MariaDB rows and a private Redis, interleaved pair by pair:
#
#   hello    GET /v1.00.00/hello               the JSON answer
#   account  GET /v1.00.00/account/500         one row by primary key (MariaDB)
#   cached   GET /v1.00.00/account/500/cached  the row through Redis
#   login    POST /v1.00.02/login              Argon2id (m=19456 KiB, t=2, p=1) + session + record
#   ws       GET /v1.00.00/feed (WebSocket)    a broadcast to 1 000 clients: 100 messages, one
#                                              every 10 ms, published on Redis (keel: ws_feed;
#                                              Sanic: redis-py pub/sub); req/s is deliveries/s
#                                              and non-2xx the deliveries that did not arrive
#
# Two layouts: one worker pinned to core 0 (wrk on core 1), then one worker
# per core (keel's runtime on both cores, `sanic --workers 2`; wrk unpinned).
# Prints req/s, p50/p99, non-2xx answers and the server's RSS after the run
# (all worker processes for Sanic), and the median keel/Sanic ratio.
#
#   bench/sanic.sh
#   PAIRS=5 DURATION=10s TARGETS="hello cached" LAYOUTS=pinned bench/sanic.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

PAIRS="${PAIRS:-3}"
DURATION="${DURATION:-5s}"
TARGETS="${TARGETS:-hello account cached login ws}"
LAYOUTS="${LAYOUTS:-pinned per-core}"
KEEL_PORT=18930
SANIC_PORT=18931
REDIS_PORT=18979
DB=keel_bench_sanic
venv=target/bench-sanic-venv

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
# websockets is pinned too: Sanic 23.12's socket speaks websockets 12's
# internals, and with the newest release (17) every frame it sends is refused
# by clients ("invalid opcode").
# Sanic's own speed-ups (uvloop, httptools, ujson) and router are pinned at
# the versions measured on 2026-12-02.
pins="sanic==23.12.1 sanic-routing==23.12.0 uvloop==0.23.0 httptools==0.9.0 ujson==6.1.0 websockets==12.0 tortoise-orm==0.21.7 asyncmy==0.2.9 redis==5.0.8 argon2-cffi==23.1.0"
if [ "$(cat "$venv/pins" 2>/dev/null)" != "$pins" ]; then
    echo "installing the seed's stack into $venv (PyPI, pinned)…" >&2
    rm -rf "$venv"
    python3 -m venv "$venv"
    # shellcheck disable=SC2086 # one argument per pin
    "$venv/bin/pip" install -q $pins
    echo "$pins" >"$venv/pins"
fi
cargo build --release -q -p keel-bench -p manage_system --bin http_bench --bin http_manage_sys --bin ws_feed --bin ws_fanout

home="$(mktemp -d)"
cleanup() {
    kill $(jobs -p) 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$home"
    mariadb -h127.0.0.1 -uroot -e "DROP DATABASE IF EXISTS $DB" || true
}
trap cleanup EXIT
taskset -c 1 redis-server --bind 127.0.0.1 --port $REDIS_PORT --save "" --appendonly no >/dev/null &
for _ in $(seq 50); do redis-cli -p $REDIS_PORT ping >/dev/null 2>&1 && break; sleep 0.1; done
mariadb -h127.0.0.1 -uroot -e "DROP DATABASE IF EXISTS $DB; CREATE DATABASE $DB"
mysql_url="mysql://root:@127.0.0.1:3306/$DB"
redis_url="redis://127.0.0.1:$REDIS_PORT/0"
# Both services' tables in one database: bch_account (seeded with 1000 rows
# by http_bench at its first start) and manage_system's, whose first boot
# creates the account both logins check.
# Sanic writes no access log either.
keel_env=(KEEL_HOME="$home" KEEL_SERVER__BIND=127.0.0.1 KEEL_SERVER__PORT=$KEEL_PORT
    KEEL_DATABASE__DEFAULT="$mysql_url" KEEL_CACHE__DEFAULT="$redis_url" KEEL_LOG__LEVELS__ACCESS=off)
# manage_system's own keys (the bench service refuses keys it does not have).
login_env=(KEEL_ADMIN__USERNAME=bench_admin KEEL_ADMIN__PASSWORD=bench-admin-password-1
    KEEL_AUTH__LOGIN_ATTEMPTS_PER_IP=1000000000 KEEL_AUTH__LOGIN_FAILURES=1000000000)
env "${keel_env[@]}" target/release/http_bench db init-db >/dev/null
env "${keel_env[@]}" "${login_env[@]}" target/release/http_manage_sys db upgrade >/dev/null

# start KIND TARGET LAYOUT: starts a server and waits until it answers.
start() {
    local kind=$1 target=$2 layout=$3 pin=(taskset -c 0)
    [ "$layout" = per-core ] && pin=()
    if [ "$kind" = keel ]; then
        if [ "$target" = login ]; then
            env "${keel_env[@]}" "${login_env[@]}" "${pin[@]}" target/release/http_manage_sys >/dev/null 2>&1 &
        elif [ "$target" = ws ]; then
            env "${keel_env[@]}" "${pin[@]}" target/release/ws_feed >/dev/null 2>&1 &
        else
            env "${keel_env[@]}" "${pin[@]}" target/release/http_bench >/dev/null 2>&1 &
        fi
    else
        local workers=(--single-process)
        [ "$layout" = per-core ] && workers=(--workers 2)
        (cd bench/sanic && exec env BENCH_MYSQL="$mysql_url" BENCH_REDIS="$redis_url" \
            "${pin[@]}" "../../$venv/bin/sanic" app:app --host 127.0.0.1 --port $SANIC_PORT "${workers[@]}" \
            --no-motd >/dev/null 2>&1) &
    fi
    server=$!
    local port=$KEEL_PORT
    [ "$kind" = sanic ] && port=$SANIC_PORT
    for _ in $(seq 200); do
        curl -sf "http://127.0.0.1:$port/v1.00.00/hello" >/dev/null 2>&1 && return 0
        curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && return 0
        curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/v1.00.02/login" 2>/dev/null | grep -q '^4' && return 0
        sleep 0.05
    done
    echo "$kind did not start for $target" >&2
    exit 1
}

# rss_kib PID: the resident memory of PID and its children.
rss_kib() {
    { ps -o rss= -p "$1" || true; ps -o rss= --ppid "$1" || true; } 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'
}

stop() {
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
}

# One bounded wrk run; prints "req_per_s p50_ms p99_ms non_2xx".
load() {
    local port=$1 target=$2 layout=$3 args=() pin=(taskset -c 1) connections=$CONNECTIONS
    case "$target" in
        hello) path=/v1.00.00/hello ;;
        account) path=/v1.00.00/account/500 ;;
        cached) path=/v1.00.00/account/500/cached ;;
        # Argon2 takes ~20 ms a hash: a few connections keep every worker busy
        # without queueing past keel's hashing pool (503 beyond it).
        login) path=/v1.00.02/login; args=(-s bench/login.lua); connections=2 ;;
    esac
    [ "$layout" = per-core ] && { pin=(); [ "$target" = login ] && connections=4; }
    if [ "$target" = ws ]; then
        "${pin[@]}" env WS_SERVER="127.0.0.1:$port" REDIS_URL="$redis_url" target/release/ws_fanout 1000 100 |
            awk '/^external/ {
                    seen = 1; split($0, d, "[(]"); split(d[2], n, " ")
                    printf "%.0f %.2f %.2f %d\n", $2, $5, $8, n[3] - n[1]
                }
                # ws_fanout failed (it says why on stderr): nothing delivered.
                END { if (!seen) print "0 0 0 100000" }'
        return
    fi
    "${pin[@]}" wrk -t1 -c"$connections" -d"$DURATION" --latency "${args[@]}" "http://127.0.0.1:$port$path" |
        awk '
            function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
            $1 == "50%" { p50 = ms($2) }
            $1 == "99%" { p99 = ms($2) }
            $1 == "Requests/sec:" { rps = $2 }
            /Non-2xx or 3xx responses:/ { bad = $NF }
            END { printf "%.0f %.2f %.2f %d\n", rps, p50, p99, bad }'
}

CONNECTIONS="${CONNECTIONS:-64}"
summary=()
for layout in $LAYOUTS; do
    echo "== $layout"
    printf '%-8s %-5s %-6s %10s %8s %8s %7s %9s\n' target pair stack 'req/s' 'p50 ms' 'p99 ms' 'non-2xx' 'RSS MiB'
    for target in $TARGETS; do
        ratios=()
        tails=()
        for pair in $(seq "$PAIRS"); do
            for kind in keel sanic; do
                start "$kind" "$target" "$layout"
                port=$KEEL_PORT; [ "$kind" = sanic ] && port=$SANIC_PORT
                read -r rps p50 p99 bad < <(load "$port" "$target" "$layout")
                rss=$(rss_kib "$server")
                stop
                printf '%-8s %-5s %-6s %10s %8s %8s %7s %9.1f\n' "$target" "$pair" "$kind" "$rps" "$p50" "$p99" "$bad" "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')"
                if [ "$kind" = keel ]; then k_rps=$rps k_p99=$p99; else s_rps=$rps s_p99=$p99; fi
            done
            ratios+=("$(awk -v k="$k_rps" -v s="$s_rps" 'BEGIN { printf "%.2f", (s > 0 ? k / s : 0) }')")
            tails+=("$(awk -v k="$k_p99" -v s="$s_p99" 'BEGIN { printf "%.3f", (s > 0 ? k / s : 0) }')")
        done
        summary+=("$(median "$layout $target: keel/Sanic throughput" %.2f "${ratios[@]}")")
        # A broadcast's rate is the publisher's (100 messages in ~1 s) as long
        # as the server keeps up; its latency says how far behind it falls.
        [ "$target" = ws ] && summary+=("$(median "$layout $target: keel/Sanic p99 latency" %.3f "${tails[@]}")")
    done
done
printf '%s\n' "${summary[@]}"
