#!lua
-- Claims an order id in its home partition, the one place every request with that id meets, so that an id
-- reused with other lines is caught even when those lines live in other partitions.
-- KEYS: claim, pending
-- ARGV: orderId, fingerprint, encodedLines, partitions, nonce, ttlSeconds, mode ('single' | 'multi')
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local multi = ARGV[7] == 'multi'

local function create()
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 'fp', ARGV[2], 'ln', ARGV[3], 'ps', ARGV[4], 'st', multi and 'pending' or 'single', 'n', ARGV[5], 't', now)
  redis.call('EXPIRE', KEYS[1], ARGV[6])
  if multi then
    redis.call('ZADD', KEYS[2], now, ARGV[1])
  end
end

local st = redis.call('HGET', KEYS[1], 'st')
if not st then
  create()
  return {'new'}
end
if st == 'tomb' then
  return {'tomb'}
end
if redis.call('HGET', KEYS[1], 'fp') ~= ARGV[2] then
  -- a failed multi-partition attempt is not remembered, so its id is free again
  if st == 'failed' then
    create()
    return {'new'}
  end
  return {'conflict', st, redis.call('HGET', KEYS[1], 'ps') or '', redis.call('HGET', KEYS[1], 'n') or '', redis.call('HGET', KEYS[1], 'ln') or ''}
end
if multi and (st == 'pending' or st == 'failed') then
  -- This attempt takes the order over: a fresh nonce and start time hold off the recovery sweep while it runs.
  redis.call('HSET', KEYS[1], 'st', 'pending', 'n', ARGV[5], 't', now)
  redis.call('ZADD', KEYS[2], now, ARGV[1])
  return {'attempt', st}
end
return {'same', st}
