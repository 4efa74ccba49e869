#!lua
-- Rebuild after data loss: puts back SQL's stock and sequence for SKUs, unless Redis already holds a newer change.
-- KEYS: stock, seq
-- ARGV: sku, available, sequence triples
local restored = 0
for i = 1, #ARGV, 3 do
  if tonumber(redis.call('HGET', KEYS[2], ARGV[i]) or '0') <= tonumber(ARGV[i + 2]) then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
    redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 2])
    restored = restored + 1
  end
end
return restored
