#!lua
-- Repairs one drift found by the reconciler: moves the SKU's stock by the difference SQL's ledger shows at one
-- point of its history, journaled, once per (SKU, sequence) however often the reconciler finds that same drift.
-- The sequence jumps past SQL's last one, so no later change can collide with a ledger row already there.
-- KEYS: stock, seq, journal, marker
-- ARGV: sku, drift sequence, delta, SQL's last sequence, ttlSeconds
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
if redis.call('EXISTS', KEYS[4]) == 1 then
  return {'replayed', redis.call('HGET', KEYS[1], ARGV[1]) or '0'}
end
local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local left = current + tonumber(ARGV[3])
if left < 0 then
  left = 0
end
local delta = left - current
redis.call('HSET', KEYS[1], ARGV[1], left)
local seq = math.max(tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0'), tonumber(ARGV[4])) + 1
redis.call('HSET', KEYS[2], ARGV[1], seq)
local id = redis.call('XADD', KEYS[3], '*', 'k', 'adjust', 'o', 'reconcile:' .. ARGV[2], 's', ARGV[1], 'd', delta, 'q', seq, 'a', left, 't', now, 'r', 'reconcile')
redis.call('SET', KEYS[4], left, 'EX', ARGV[5])
return {'applied', tostring(left), id}
