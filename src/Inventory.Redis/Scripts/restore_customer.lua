#!lua
-- Rebuild after data loss: one customer's units per SKU of a lost partition, as SQL's ledger sums them
-- (docs/redis-keys.md, rule 12). Only while the partition is still lost and the caller still holds its rebuild lock:
-- a rebuild that stalled past its lock read SQL before the partition sold again, and its totals must not overwrite
-- counters that moved since (restore_stock.lua has the sequence guard for the same reason; counters have none).
-- KEYS: rebuild lock, partition marker, the customer's counters
-- ARGV: owner, then sku, taken pairs
if redis.call('EXISTS', KEYS[2]) == 1 or redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then
  return 0
end
for i = 2, #ARGV, 2 do
  redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1])
end
return 1
