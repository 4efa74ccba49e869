#!lua
-- Claims a multi-partition order id in its home partition with intent (state pending). Single-partition orders
-- claim with a plain SET NX GET instead (see ClaimValue); both share one string format:
-- state|nonce|startMs|partitions|fingerprint|lines
-- KEYS: claim, pending
-- ARGV: orderId, fingerprint, encodedLines, partitions, nonce, ttlSeconds
local function split(s)
  local parts, from = {}, 1
  while true do
    local at = string.find(s, '|', from, true)
    if not at then
      parts[#parts + 1] = string.sub(s, from)
      return parts
    end
    parts[#parts + 1] = string.sub(s, from, at - 1)
    from = at + 1
  end
end

local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local function attempt()
  redis.call('SET', KEYS[1], 'pending|' .. ARGV[5] .. '|' .. now .. '|' .. ARGV[4] .. '|' .. ARGV[2] .. '|' .. ARGV[3], 'EX', ARGV[6])
  redis.call('ZADD', KEYS[2], now, ARGV[1])
end

local current = redis.call('GET', KEYS[1])
if not current then
  attempt()
  return {'new'}
end
local c = split(current)
local st = c[1]
if st == 'tomb' then
  return {'tomb'}
end
if c[5] ~= ARGV[2] then
  -- a failed attempt is not remembered, so its id is free again
  if st == 'failed' then
    attempt()
    return {'new'}
  end
  return {'conflict', st, c[4], c[2], c[6]}
end
if st == 'pending' or st == 'failed' then
  -- This attempt takes the order over: a fresh nonce and start time hold off the recovery sweep while it runs.
  attempt()
  return {'attempt', st}
end
return {'same', st}
