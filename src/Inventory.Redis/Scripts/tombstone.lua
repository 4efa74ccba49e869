#!lua
-- Cancel by id: returns the claim, or, when the id is unknown, leaves a tombstone so that a deduction arriving
-- later under this id is refused.
-- KEYS: claim
-- ARGV: ttlSeconds
local current = redis.call('GET', KEYS[1])
if current then
  return {'claim', current}
end
redis.call('SET', KEYS[1], 'tomb|||||', 'EX', ARGV[1])
return {'tomb'}
