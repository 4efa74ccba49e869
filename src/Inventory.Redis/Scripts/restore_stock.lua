#!lua
-- Rebuild after data loss: puts back SQL's stock, sequence and per-customer limit for SKUs, unless Redis already
-- holds a newer change.
-- KEYS: stock, seq, limits
-- ARGV: sku, available, sequence, limitPerCustomer ('' = no limit) quadruples
local restored = 0
for i = 1, #ARGV, 4 do
  if tonumber(redis.call('HGET', KEYS[2], ARGV[i]) or '0') <= tonumber(ARGV[i + 2]) then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
    redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 2])
    if ARGV[i + 3] == '' then
      redis.call('HDEL', KEYS[3], ARGV[i])
    else
      redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 3])
    end
    restored = restored + 1
  end
end
return restored
