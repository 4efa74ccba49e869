#!lua
-- Merges a rebuilt seen filter into the live one (bitwise OR), so bits that claims set meanwhile are never lost,
-- and drops the staging key.
-- KEYS: seen filter, staging key (holding the rebuilt bitmap)
redis.call('BITOP', 'OR', KEYS[1], KEYS[1], KEYS[2])
redis.call('DEL', KEYS[2])
return 1
