#!/usr/bin/env bash
# The scale-out harness: nginx (deploy/nginx/keel.conf) in front of three
# http_manage_sys and two ws_guidance on loopback, sharing MariaDB and
# Redis; checks shared sessions, fresh reads, once-per-tick jobs, fan-out,
# the client address behind the proxy, and 0 failed requests through a
# rolling restart under load. Bounded: SCALE_LOAD_SECS (30) of load, the
# whole run under 5 minutes once built.
#
#   deploy/scale-out/run.sh
#
# Uses TEST_MYSQL_URL / TEST_REDIS_URL when set (a scratch database is
# created and dropped), else the local defaults.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v nginx >/dev/null; then
    apt-get update -qq && apt-get install -y -qq nginx-light >/dev/null 2>&1 \
        || apt-get install -y -qq nginx >/dev/null
fi
for port in 8080 8101 8102 8103 8201 8202; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "port $port is taken; the harness uses the ports of deploy/nginx/keel.conf" >&2
        exit 1
    fi
done

cargo build -q -p manage_system -p guidance -p keel-bench \
    --bin http_manage_sys --bin ws_guidance --bin scale_out
target_dir="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"

export SCALE_BIN="$target_dir/debug"
export SCALE_WORK="$target_dir/tmp/scale-out"
export SCALE_NGINX_CONF="deploy/nginx/keel.conf"
export SCALE_MYSQL="${TEST_MYSQL_URL:-mysql://root:@127.0.0.1:3306/test}"
export SCALE_REDIS="${TEST_REDIS_URL:-redis://127.0.0.1:6379/}"
# Its own Redis database: keys of the scratch rows must not meet a test's.
SCALE_REDIS="$(echo "$SCALE_REDIS" | sed -E 's#/[0-9]*/?$##')/5"
export SCALE_LOAD_SECS="${SCALE_LOAD_SECS:-30}"
timeout 5m "$SCALE_BIN/scale_out"
