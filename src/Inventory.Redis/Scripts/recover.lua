#!lua
-- Picks up a multi-partition order whose process died midway: once its attempt is older than every deadline
-- it could have carried, mark it compensating and hand back the claim, whose partitions must be voided.
-- KEYS: claim, pending
-- ARGV: orderId, minimum age in ms
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local current = redis.call('GET', KEYS[1])
local bar = current and string.find(current, '|', 1, true)
local st = bar and string.sub(current, 1, bar - 1)
if st ~= 'pending' and st ~= 'compensating' then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return {'skip'}
end
if st == 'pending' then
  local started = string.match(current, '^[^|]*|[^|]*|(%d+)|')
  if now - tonumber(started) < tonumber(ARGV[2]) then
    return {'young'}
  end
  current = 'compensating' .. string.sub(current, bar)
  redis.call('SET', KEYS[1], current, 'KEEPTTL')
end
return {'compensate', current}
