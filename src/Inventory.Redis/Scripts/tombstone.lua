#!lua
-- Cancel by id: returns the claim, or, when the id is unknown, leaves a tombstone so that a deduction arriving
-- later under this id is refused.
-- KEYS: claim
-- ARGV: ttlSeconds
local st = redis.call('HGET', KEYS[1], 'st')
if not st then
  redis.call('HSET', KEYS[1], 'st', 'tomb')
  redis.call('EXPIRE', KEYS[1], ARGV[1])
  return {'tomb'}
end
return {st, redis.call('HGET', KEYS[1], 'ln') or '', redis.call('HGET', KEYS[1], 'ps') or '', redis.call('HGET', KEYS[1], 'n') or ''}
