#!lua
-- Turns one partition's held units into an order's deduction without a second stock check: the units left 'stock'
-- when they were held. Writes the order's record exactly as deduct.lua would (deducted@epoch, lines fingerprint,
-- result with the stock now), so the order is an ordinary order afterwards (GET, cancel, returns). Journaled as
-- 'commit' (o: the order id, r: the reservation id, d: 0). The per-customer counters do not change: held units
-- were counted when held; the record keeps the customer so a cancel or return gives them back.
-- Refuses, changing nothing, when the order id's record here shows another decision (deducted by another request,
-- cancelled, or fenced at or after this epoch by other lines taking the id).
-- Mode 'fence' (ARGV[7]) is how a commit that gives its order id up learns what converted: a record still held is
-- marked so no conversion under this order id lands any more (one sent before the give-up may still be in flight), and
-- answers {'held'}; {'committed'} (an absent hold record beside the order's record with these lines here counts: the
-- partition was rebuilt after converting) or {'gone', state} otherwise. Only then may the reservation be held again.
-- KEYS: stock, seq, journal, order record, partition marker, hold record, held
-- ARGV: orderId, reservationId, epoch, ttlSeconds, lines fingerprint here, customerId, mode ('' | 'fence')
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
if redis.call('EXISTS', KEYS[5]) == 0 then
  return {'lost'}
end

local h = redis.call('HMGET', KEYS[6], 'st', 'ln', 'o', 'nc')
local fenced = string.find(h[4] or ' ', ' ' .. ARGV[1] .. ' ', 1, true) ~= nil
local record = redis.call('HMGET', KEYS[4], 'st', 'ln', 'res', 'e')
if ARGV[7] == 'fence' then
  if h[1] == 'held' then
    if not fenced then
      redis.call('HSET', KEYS[6], 'nc', (h[4] or ' ') .. ARGV[1] .. ' ')
    end
    return {'held'}
  elseif not h[1] and record[1] and record[2] == ARGV[5] then
    -- Rebuilt after this conversion (the order's record came back from SQL's commit row, deducted or since cancelled,
    -- the hold record did not): converted, or the give-up would hold the reservation again over sold units.
    return {'committed', record[1]}
  end
  return {h[1] == 'committed' and 'committed' or 'gone', h[1] or ''}
end
if h[1] == 'committed' then
  if h[3] == ARGV[1] and record[1] then
    -- A write, as for a replayed deduction: WAIT on this connection then covers the original conversion too.
    redis.call('EXPIRE', KEYS[4], ARGV[4])
    -- no stream id: nothing was journaled now (the caller notes the fourth element as the journal's newest entry)
    return {'committed', record[3] or '', '1', ''}
  end
  return {'conflict'}
elseif not h[1] and record[1] == 'deducted' and record[2] == ARGV[5] then
  -- The partition was rebuilt after this conversion: SQL's commit row brought the order's record back, not the hold
  -- record (the hold is no longer open there). Replay, or a committing reservation never finishes.
  redis.call('EXPIRE', KEYS[4], ARGV[4])
  return {'committed', record[3] or '', '1', ''}
elseif h[1] ~= 'held' then
  return {'gone', h[1] or ''}
elseif fenced then
  -- a commit under this order id gave it up while this conversion was in flight
  return {'cancelled'}
end
if record[1] == 'deducted' then
  return {'conflict'}
elseif record[1] == 'cancelled' then
  return {'cancelled'}
elseif record[1] == 'fenced' and tonumber(ARGV[3]) <= tonumber(record[4]) then
  return {'fenced'}
end

local result = {}
local id
for entry in string.gmatch(h[2] or '', '[^,]+') do
  local sku, quantity = string.match(entry, '^(%S+) (%d+)')
  if redis.call('HINCRBY', KEYS[7], sku, '-' .. quantity) <= 0 then
    redis.call('HDEL', KEYS[7], sku)
  end
  local left = redis.call('HGET', KEYS[1], sku) or '0'
  local seq = redis.call('HINCRBY', KEYS[2], sku, 1)
  id = redis.call('XADD', KEYS[3], '*', 'k', 'commit', 'o', ARGV[1], 's', sku, 'd', '0', 'q', seq, 'a', left, 't', now, 'r', ARGV[2], 'c', ARGV[6])
  result[#result + 1] = sku .. ' ' .. quantity .. ' ' .. left
end
result = table.concat(result, ',')
redis.call('HSET', KEYS[4], 'st', 'deducted', 'e', ARGV[3], 'ln', ARGV[5], 'res', result, 't', now, 'cu', ARGV[6])
redis.call('EXPIRE', KEYS[4], ARGV[4])
redis.call('HSET', KEYS[6], 'st', 'committed', 'o', ARGV[1])
redis.call('EXPIRE', KEYS[6], ARGV[4])
return {'committed', result, '0', id}
