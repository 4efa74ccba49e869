-- wrk script of scripts/bench-http.sh: POST /api/deductions with a unique order id per request over 64 SKUs, or with
-- BENCH_BATCH=N, POST /api/deductions/batch with N such orders per request (unique ids, SKUs in turn).
-- BENCH_RUN makes ids unique across runs (each wrk thread counts on its own, so the thread number is in the id).
local run = os.getenv("BENCH_RUN") or "run"
local key = os.getenv("BENCH_KEY") or ""
local batch = tonumber(os.getenv("BENCH_BATCH") or "0")
local threads = 0

function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

function init(args)
  counter = 0
  wrk.method = "POST"
  wrk.path = batch > 0 and "/api/deductions/batch" or "/api/deductions"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["x-functions-key"] = key
end

local function order()
  counter = counter + 1
  return '{"orderId":"' .. run .. '-' .. tid .. '-' .. counter .. '","lines":[{"sku":"b-' .. (counter % 64) .. '","quantity":1}]}'
end

function request()
  if batch == 0 then
    return wrk.format(nil, nil, nil, order())
  end
  local orders = {}
  for i = 1, batch do
    orders[i] = order()
  end
  return wrk.format(nil, nil, nil, '{"deductions":[' .. table.concat(orders, ',') .. ']}')
end
