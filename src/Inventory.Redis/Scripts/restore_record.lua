#!lua
-- Rebuild after data loss: puts back an order's partition record from SQL's ledger, so a replay stays a replay
-- and a cancel restocks once. Epoch 1, as its restored claim.
-- KEYS: record
-- ARGV: state, lines fingerprint, result, cancel result, ttlSeconds, returned ("sku qty,...": what returns restocked,
--       so a later cancel or return restocks only the rest), customer id ('' = none: whose allowance a cancel or
--       return gives back), then returnId, result pairs: each return that restocked here (its 'R:<returnId>', so a
--       return left open on its claim and rolled forward after the rebuild replays instead of restocking again)
-- A record that survived a failover may be older than SQL: if SQL holds the restock, the record must say so, or a
-- cancel retried later would restock again (the stock SQL restored already includes it).
local st = redis.call('HGET', KEYS[1], 'st')
if st and not (st == 'deducted' and ARGV[1] == 'cancelled') then
  return 0
end
redis.call('HSET', KEYS[1], 'st', ARGV[1], 'e', 1, 'ln', ARGV[2], 'res', ARGV[3], 'cres', ARGV[4], 't', 0, 'ret', ARGV[6] or '', 'cu', ARGV[7] or '')
for i = 8, #ARGV, 2 do
  redis.call('HSET', KEYS[1], 'R:' .. ARGV[i], ARGV[i + 1])
end
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
