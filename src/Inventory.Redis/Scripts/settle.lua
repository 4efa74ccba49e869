#!lua
-- The claim transitions of a multi-partition order, each a compare-and-set on state and epoch:
-- 'commit' open@e -> deducted (every partition holds deducted@e); 'abort' open@e -> aborting (only if the latest
-- attempt is at least minAge old: the recovery sweep passes RecoverAfter, an attempt's own abort 0);
-- 'finish' aborting@e -> aborted (every partition fenced@e). Replies {'ok', stateBefore, lines, partitions} or
-- {'moved', stateNow}.
-- KEYS: claim, pending
-- ARGV: orderId, action, epoch, minAgeMs
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local c = redis.call('HMGET', KEYS[1], 'st', 'e', 't', 'ln', 'pt')
local st = c[1]
if not st or c[2] ~= ARGV[3] then
  if not st then
    redis.call('ZREM', KEYS[2], ARGV[1])
  end
  return {'moved', st or ''}
end
local action = ARGV[2]
if action == 'commit' then
  if st == 'deducted' then
    return {'ok', st}
  elseif st ~= 'open' then
    return {'moved', st}
  end
  redis.call('HSET', KEYS[1], 'st', 'deducted')
  redis.call('ZREM', KEYS[2], ARGV[1])
  return {'ok', st}
elseif action == 'abort' then
  if st == 'aborting' then
    return {'ok', st, c[4], c[5]}
  elseif st ~= 'open' then
    redis.call('ZREM', KEYS[2], ARGV[1])
    return {'moved', st}
  end
  -- Only multi-partition claims are in pending: a single-partition claim is never aborted, however stale the
  -- sweep's snapshot of pending was (the id may have been reopened with single-partition lines since).
  if not redis.call('ZSCORE', KEYS[2], ARGV[1]) then
    return {'moved', 'single'}
  end
  if now - tonumber(c[3] or '0') < tonumber(ARGV[4]) then
    return {'moved', 'young'}
  end
  redis.call('HSET', KEYS[1], 'st', 'aborting')
  return {'ok', st, c[4], c[5]}
end
-- finish
if st ~= 'aborting' then
  return {'moved', st}
end
redis.call('HSET', KEYS[1], 'st', 'aborted')
redis.call('ZREM', KEYS[2], ARGV[1])
return {'ok', st}
