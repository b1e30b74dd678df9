-- wrk: stop after the number of responses given as the script's argument
-- (`wrk … -s bench/count.lua URL -- 100000`), so a load is bounded by
-- count as well as by wrk's duration. One thread (-t1).
local limit = 100000
local seen = 0

function init(args)
    limit = tonumber(args[1]) or limit
end

function response(status, headers, body)
    seen = seen + 1
    if seen >= limit then
        wrk.thread:stop()
    end
end
