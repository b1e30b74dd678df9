-- wrk: every request a POST without a body (TARGET=insert).
wrk.method = "POST"
