#!lua
-- Closes a return on the order's claim side once every partition answered: 'done' with the results (replays read
-- them), or 'cancelled' when a cancel overtook it in some partition (which then restocked those units itself).
-- KEYS: return, open returns
-- ARGV: member ("orderId returnId"), state, results
local st = redis.call('HGET', KEYS[1], 'st')
if st == 'open' then
  redis.call('HSET', KEYS[1], 'st', ARGV[2], 'res', ARGV[3])
  st = ARGV[2]
end
redis.call('ZREM', KEYS[2], ARGV[1])
return st or ''
