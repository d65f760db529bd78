-- wrk script for bench/pages.py: every request carries one learner's session cookie, taken
-- round robin from the file named by BENCH_COOKIE_FILE (one cookie value a line), so the
-- requests come from many learners. Counts responses that are not 2xx, and 2xx responses
-- whose body lacks BENCH_EXPECT, and prints one "BENCH key=value ..." line when done.

local threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

function init(args)
  cookies = {}
  local path = os.getenv("BENCH_COOKIE_FILE")
  if path then
    for line in io.lines(path) do
      if #line > 0 then table.insert(cookies, line) end
    end
  end
  if #cookies == 0 then cookies = {""} end
  cookie_name = os.getenv("BENCH_COOKIE_NAME") or "session"
  user_agent = os.getenv("BENCH_USER_AGENT") or "lms-bench"
  expect = os.getenv("BENCH_EXPECT") or ""
  -- Threads start at different places in the list, then each walks all of it in turn.
  local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
  position = math.floor((thread_index or 0) * #cookies / nthreads)
  non2xx, n3xx, n4xx, n5xx, missing = 0, 0, 0, 0, 0
end

function request()
  position = position % #cookies + 1
  return wrk.format("GET", nil, {
    ["Cookie"] = cookie_name .. "=" .. cookies[position],
    ["User-Agent"] = user_agent,
  })
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if status >= 500 then n5xx = n5xx + 1
    elseif status >= 400 then n4xx = n4xx + 1
    elseif status >= 300 then n3xx = n3xx + 1 end
  elseif expect ~= "" and not string.find(body, expect, 1, true) then
    missing = missing + 1
  end
end

function done(summary, latency, requests)
  local totals = {non2xx = 0, n3xx = 0, n4xx = 0, n5xx = 0, missing = 0}
  for _, thread in ipairs(threads) do
    for key, _ in pairs(totals) do
      totals[key] = totals[key] + (thread:get(key) or 0)
    end
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d "
      .. "non2xx=%d n3xx=%d n4xx=%d n5xx=%d missing=%d "
      .. "err_connect=%d err_read=%d err_write=%d err_timeout=%d\n",
    summary.requests, summary.duration,
    math.floor(latency:percentile(50)), math.floor(latency:percentile(90)),
    math.floor(latency:percentile(99)), math.floor(latency.max),
    totals.non2xx, totals.n3xx, totals.n4xx, totals.n5xx, totals.missing,
    e.connect, e.read, e.write, e.timeout))
end
