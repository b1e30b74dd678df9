#!/usr/bin/env bash
# A local Redis Cluster for development and CI: 3 primaries and 3 replicas
# on 127.0.0.1, ports FIRST..FIRST+5 (default 7000..7005), data in DIR.
#
#   deploy/redis-cluster.sh start [FIRST] [DIR]   # prints the cache URL
#   deploy/redis-cluster.sh stop  [FIRST]
#
# The URL it prints goes into `[cache] default = "redis+cluster://…"`
# (or KEEL_CACHE__DEFAULT, or TEST_REDIS_CLUSTER for the test suites).
set -euo pipefail
action="${1:-start}"
first="${2:-7000}"
dir="${3:-${TMPDIR:-/tmp}/keel-redis-cluster-$first}"
ports=$(seq "$first" $((first + 5)))

url() {
    local seeds=()
    for port in $ports; do seeds+=("127.0.0.1:$port"); done
    (IFS=,; echo "redis+cluster://${seeds[*]}")
}

case "$action" in
start)
    if redis-cli -p "$first" cluster info 2>/dev/null | grep -q '^cluster_state:ok'; then
        url
        exit 0
    fi
    mkdir -p "$dir"
    for port in $ports; do
        redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
        rm -f "$dir/nodes-$port.conf"
        redis-server --port "$port" --bind 127.0.0.1 --daemonize yes \
            --cluster-enabled yes --cluster-config-file "nodes-$port.conf" \
            --cluster-node-timeout 2000 --cluster-replica-validity-factor 0 \
            --save "" --appendonly no \
            --dir "$dir" --logfile "$dir/redis-$port.log" --pidfile "$dir/redis-$port.pid"
    done
    for port in $ports; do
        for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
    done
    addresses=()
    for port in $ports; do addresses+=("127.0.0.1:$port"); done
    if ! timeout 60 redis-cli --cluster create "${addresses[@]}" --cluster-replicas 1 --cluster-yes >"$dir/create.log" 2>&1; then
        cat "$dir/create.log" >&2
        exit 1
    fi
    for _ in $(seq 200); do
        ok=1
        for port in $ports; do
            redis-cli -p "$port" cluster info | grep -q '^cluster_state:ok' || ok=0
            # Replicas in sync: one that never synced cannot take over.
            redis-cli -p "$port" info replication | grep -Eq '^(role:master|master_link_status:up)' || ok=0
        done
        [ "$ok" = 1 ] && { url; exit 0; }
        sleep 0.1
    done
    echo "the cluster on $first..$((first + 5)) did not reach cluster_state:ok; see $dir" >&2
    exit 1
    ;;
stop)
    for port in $ports; do redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true; done
    ;;
*)
    echo "usage: $0 start|stop [FIRST-PORT] [DIR]" >&2
    exit 2
    ;;
esac
