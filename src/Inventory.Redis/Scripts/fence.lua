#!lua
-- Before other lines take an open id: makes sure no deduction at this epoch or below ever lands in this partition.
-- Replies {'deducted'} if one already did (the id is taken), {'cancelled'}, or {'fenced'}.
-- KEYS: record, partition marker
-- ARGV: epoch, ttlSeconds
if redis.call('EXISTS', KEYS[2]) == 0 then
  return {'lost'}
end
local r = redis.call('HMGET', KEYS[1], 'st', 'e')
if r[1] == 'deducted' or r[1] == 'cancelled' then
  return {r[1]}
end
if not r[1] or tonumber(r[2]) < tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'st', 'fenced', 'e', ARGV[1])
end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return {'fenced'}
