#!lua
-- Puts back a finished return of an order Redis forgot but SQL's ledger holds, so a retried return id replays its
-- answer instead of restocking again. Written before the order's claim is restored, unless it exists again by now.
-- 'r' marks it restored: its lines are what SQL saw restocked, so a retry may resume it (return_claim.lua).
-- KEYS: return
-- ARGV: fingerprint, lines, results, ttlSeconds
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], 'st', 'done', 'fp', ARGV[1], 'ln', ARGV[2], 'res', ARGV[3], 't', 0, 'r', '1')
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
