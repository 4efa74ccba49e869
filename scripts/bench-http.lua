-- wrk script of scripts/bench-http.sh: POST /api/deductions with a unique order id per request over 64 SKUs.
-- BENCH_RUN makes ids unique across runs (each wrk thread counts on its own, so the thread number is in the id).
local run = os.getenv("BENCH_RUN") or "run"
local key = os.getenv("BENCH_KEY") or ""
local threads = 0

function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

function init(args)
  counter = 0
  wrk.method = "POST"
  wrk.path = "/api/deductions"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["x-functions-key"] = key
end

function request()
  counter = counter + 1
  local body = '{"orderId":"' .. run .. '-' .. tid .. '-' .. counter .. '","lines":[{"sku":"b-' .. (counter % 64) .. '","quantity":1}]}'
  return wrk.format(nil, nil, nil, body)
end
