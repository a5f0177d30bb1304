-- wrk script: POST JSON lookups of random existing generated orders (see bench/orders.py).
-- BENCH_ORDERS says how many orders exist; order i is BN-<i, 7 digits> / buyer<i>@example.net.
local count = tonumber(os.getenv("BENCH_ORDERS") or "1000")
local threads = {}
local counter = 0

function setup(thread)
  -- Each thread gets its own seed, so the threads do not ask for the same orders in step.
  counter = counter + 1
  thread:set("seed", counter)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() * 1000 + seed)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  local i = math.random(0, count - 1)
  local body = string.format('{"order_number":"BN-%07d","email":"buyer%d@example.net"}', i, i)
  return wrk.format("POST", "/api/orders/lookup", nil, body)
end

function done(summary, latency, requests)
  -- One JSON line the harness parses; latencies in microseconds.
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"mean_us":%.1f,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max))
end
