#!lua
-- Picks up a multi-partition order whose process died midway: once its attempt is older than every deadline
-- it could have carried, mark it compensating and hand back what must be voided.
-- KEYS: claim, pending
-- ARGV: orderId, minimum age in ms
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local st = redis.call('HGET', KEYS[1], 'st')
if st ~= 'pending' and st ~= 'compensating' then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return {'skip'}
end
if st == 'pending' then
  if now - tonumber(redis.call('HGET', KEYS[1], 't')) < tonumber(ARGV[2]) then
    return {'young'}
  end
  redis.call('HSET', KEYS[1], 'st', 'compensating')
end
return {'compensate', redis.call('HGET', KEYS[1], 'ln'), redis.call('HGET', KEYS[1], 'ps'), redis.call('HGET', KEYS[1], 'n')}
