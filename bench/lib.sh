# Shared by the bench scripts (sourced): one bounded wrk run, and the median
# of a list of per-pair figures with its spread.

# wrk_run PORT PATH [wrk args…]: wrk pinned to core 1 with $CONNECTIONS
# connections for $DURATION; prints "req_per_s p50_ms p99_ms".
wrk_run() {
    local port=$1 path=$2 out
    shift 2
    out=$(taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency "$@" "http://127.0.0.1:$port$path")
    wrk_sane "port $port$path" <<<"$out"
    awk '
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
        $1 == "50%" { p50 = ms($2) }
        $1 == "99%" { p99 = ms($2) }
        $1 == "Requests/sec:" { rps = $2 }
        END { printf "%.0f %.2f %.2f\n", rps, p50, p99 }' <<<"$out"
}

# wrk_sane LABEL < WRK_OUTPUT: stops the whole script (its EXIT trap still
# cleans up) when wrk saw error answers or socket errors. A server that
# fails requests, or a wrk that could not keep its connections, gives
# figures that do not compare with the other side's.
wrk_sane() {
    local out
    out=$(cat)
    if grep -qE 'Non-2xx or 3xx responses|Socket errors' <<<"$out"; then
        echo "wrk saw failures against $1; its figures would not compare:" >&2
        grep -E 'requests in|Non-2xx|Socket errors' <<<"$out" >&2
        kill -TERM $$
    fi
}

# median LABEL FORMAT FIGURE…: prints "LABEL: median X (spread MIN–MAX over N pairs)",
# the numbers printed with FORMAT (e.g. %.3f).
median() {
    local label=$1 format=$2
    shift 2
    printf '%s\n' "$@" | sort -n | awk -v label="$label" -v f="$format" '
        { r[NR] = $1 }
        END {
            median = (NR % 2) ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2
            printf "%s: median " f " (spread " f "–" f " over %d pairs)\n", label, median, r[1], r[NR], NR
        }'
}
