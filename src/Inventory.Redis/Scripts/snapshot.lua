#!lua
-- Every SKU's stock and per-SKU sequence of one partition, read together so each pair is one point in history.
-- KEYS: stock, seq
return {redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2])}
