#!lua
-- Every transition of a reservation's home state, each a compare-and-set in one script, so commit, release and
-- expiry exclude each other: held -> committing only while Redis time is before expiresAt, held -> expiring only
-- from expiresAt on. Whichever runs first wins; the other sees the new state (docs/holds.md).
-- While a reservation is between states (committing, releasing, expiring) its expiry score is a retry time: the
-- expiry loop rolls it forward if the caller died midway.
-- Actions and ARGV after (reservationId, action, recoverAfterMs):
--   'held' answer            the hold was answered 200: store the answer for replays
--   'commit' orderId         held -> committing (the order id is claimed next; a refusal there uncommits)
--   'uncommit' orderId       committing -> held, when no partition converted (the order id was taken meanwhile)
--   'committed' orderId body committing -> committed (already committed to it: reports the answer stored first)
--   'release'                held -> releasing (the caller's release), only while Redis time is before expiresAt
--   'abort'                  held and never answered -> releasing, marked refused (the id may be held again)
--   'expire'                 held -> expiring from expiresAt on; reports what the loop must roll forward otherwise
--   'finish' results attempt releasing -> released, expiring -> expired, at that attempt only (a late finish of a
--                            refused attempt must not end the id's next attempt)
-- Replies: {'ok', stateBefore, lines, partitions, customerId, attempt, orderId, answer}, or the state that
-- refuses: {'absent'}, {'expired'}, {'released', results}, {'committed'}, {'conflict'}, {'young'}, {'moved', state};
-- a release of a committing reservation answers {'committing', ...} laid out as 'ok'.
-- KEYS: reservation, expiry
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local id = ARGV[1]
local action = ARGV[2]
local retryAt = now + tonumber(ARGV[3])
local h = redis.call('HMGET', KEYS[1], 'st', 'x', 'o', 't', 'ln', 'pt', 'cu', 'n', 'res', 'rres', 'cres', 'rf')
local st = h[1]
if not st then
  redis.call('ZREM', KEYS[2], id)
  return {'absent'}
end
local expires = tonumber(h[2])
local function ok(before)
  return {'ok', before, h[5] or '', h[6] or '', h[7] or '', h[8] or '', h[3] or '', h[11] or h[10] or h[9] or ''}
end
local function to(state)
  redis.call('HSET', KEYS[1], 'st', state)
end

if action == 'held' then
  if st == 'held' and not h[9] then
    redis.call('HSET', KEYS[1], 'res', ARGV[4])
    h[9] = ARGV[4]
  end
  return ok(st)
elseif action == 'commit' then
  if st == 'held' then
    if not h[9] then
      return {'absent'}
    elseif now >= expires then
      return {'expired'}
    end
    redis.call('HSET', KEYS[1], 'st', 'committing', 'o', ARGV[4])
    redis.call('ZADD', KEYS[2], retryAt, id)
    h[3] = ARGV[4]
    return ok(st)
  elseif st == 'committing' or st == 'committed' then
    if h[3] == ARGV[4] then
      return ok(st)
    end
    return {'conflict'}
  elseif st == 'expiring' or st == 'expired' then
    return {'expired'}
  elseif h[12] == '1' then
    return {'absent'}
  end
  return {'released', h[10] or ''}
elseif action == 'uncommit' then
  if st == 'committing' and h[3] == ARGV[4] then
    redis.call('HDEL', KEYS[1], 'o')
    to('held')
    redis.call('ZADD', KEYS[2], expires, id)
    return ok(st)
  end
  return {'moved', st}
elseif action == 'committed' then
  if st == 'committing' and h[3] == ARGV[4] then
    redis.call('HSET', KEYS[1], 'st', 'committed', 'cres', ARGV[5])
    redis.call('ZREM', KEYS[2], id)
    h[11] = ARGV[5]
    return ok(st)
  elseif st == 'committed' and h[3] == ARGV[4] then
    -- another attempt stored its answer first: it is the commit's answer, and this caller answers it (ok's last field)
    return ok(st)
  end
  return {'moved', st}
elseif action == 'release' then
  if st == 'held' then
    if not h[9] then
      return {'absent'}
    elseif now >= expires then
      -- GET already answers expired and a commit is refused: the release must not end it otherwise
      return {'expired'}
    end
    to('releasing')
    redis.call('ZADD', KEYS[2], retryAt, id)
    return ok(st)
  elseif st == 'releasing' and h[12] ~= '1' then
    return ok(st)
  elseif st == 'released' and h[12] ~= '1' then
    return {'released', h[10] or ''}
  elseif st == 'committing' then
    -- undecided until a partition converted (the commit may still give up and hold it again): the caller looks
    local reply = ok(st)
    reply[1] = 'committing'
    return reply
  elseif st == 'committed' then
    return {'committed'}
  elseif st == 'expiring' or st == 'expired' then
    return {'expired'}
  end
  return {'absent'}
elseif action == 'abort' then
  if st == 'held' and not h[9] then
    redis.call('HSET', KEYS[1], 'st', 'releasing', 'rf', '1')
    redis.call('ZADD', KEYS[2], retryAt, id)
    return ok(st)
  elseif st == 'releasing' and h[12] == '1' then
    return ok(st)
  end
  return {'moved', st}
elseif action == 'expire' then
  if st == 'held' then
    if now < expires then
      redis.call('ZADD', KEYS[2], expires, id)
      return {'young'}
    end
    to('expiring')
    redis.call('ZADD', KEYS[2], retryAt, id)
    return ok(st)
  elseif st == 'expiring' or st == 'releasing' or st == 'committing' then
    -- left midway by a process that died (or is slow): the loop rolls it forward; the next try waits again
    redis.call('ZADD', KEYS[2], retryAt, id)
    return ok(st)
  end
  redis.call('ZREM', KEYS[2], id)
  return {'moved', st}
end

-- finish
if (st == 'releasing' or st == 'expiring') and h[8] == ARGV[5] then
  redis.call('HSET', KEYS[1], 'st', st == 'releasing' and 'released' or 'expired', 'rres', ARGV[4])
  redis.call('ZREM', KEYS[2], id)
  h[10] = ARGV[4]
  return ok(st)
end
-- Only a final reservation leaves the set: a later attempt, held or between states, stays due.
if st == 'committed' or st == 'released' or st == 'expired' then
  redis.call('ZREM', KEYS[2], id)
end
return {'moved', st}
