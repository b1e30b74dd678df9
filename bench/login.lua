-- wrk: every request a login of the bench account (TARGET=login of bench/sanic.sh).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"username":"bench_admin","password":"bench-admin-password-1"}'
