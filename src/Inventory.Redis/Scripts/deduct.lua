#!lua
-- Checks and deducts every line of an order that lives in this partition, or none of them. One call decides any
-- number of orders of this partition, one after another, exactly as one call per order would: a batch costs one
-- script run per partition, not one per order. A single order is a call with one order.
-- Nothing is written unless every line of an order fits, so stock never dips below zero, not even for a moment.
-- KEYS: stock, seq, journal, partition marker, then each order's record
-- ARGV: deadlineMs, ttlSeconds, journalLimit, then per order: orderId, epoch, linesFingerprint, line count n, then n
--       sku, quantity pairs, then customerId ('' = none)
-- Replies, one per order in ARGV's order. Only sent after claim.lua answered 'go' with the epoch (docs/redis-keys.md,
-- rules 1-3, 12).
-- The limit and customer keys share the stock key's hash tag (same slot), so they are derived here rather than
-- passed: one customer argument is all an order adds.
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local deadline, ttl, journalLimit = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
-- the journal's length, kept up to date below as entries are appended (nothing else writes it during the script)
local journal = redis.call('XLEN', KEYS[3])
local tag = string.sub(KEYS[1], 1, -7)

-- One order: its record key, the index of its first ARGV, its line count.
local function deduct(key, at, lines)
  local id, epoch, fp = ARGV[at], ARGV[at + 1], ARGV[at + 2]
  local customer = ARGV[at + 4 + 2 * lines]
  local record = redis.call('HMGET', key, 'st', 'ln', 'res', 'e')
  local st = record[1]
  if st == 'deducted' then
    if record[2] ~= fp then
      return {'conflict'}
    end
    -- A write, though nothing changes: replication is one ordered stream, so a WAIT after this replay also covers the
    -- original landing, which another connection may have written moments ago.
    redis.call('EXPIRE', key, ttl)
    return {'deducted', record[3], '1'}
  elseif st == 'cancelled' then
    return {'cancelled'}
  elseif st == 'fenced' and tonumber(epoch) <= tonumber(record[4]) then
    return {'fenced'}
  end

  -- A command stuck in a paused connection must not land after its caller was told something else.
  if now > deadline then
    return {'expired'}
  end

  -- While SQL is away the journal grows; past the bound new sales are refused rather than run Redis out of memory.
  if journal >= journalLimit then
    return {'backlog'}
  end

  local available = {}
  local unknown = {'unknown'}
  local short = false
  for i = 1, lines do
    local sku = ARGV[at + 2 + 2 * i]
    local left = redis.call('HGET', KEYS[1], sku)
    if not left then
      unknown[#unknown + 1] = sku
    else
      left = tonumber(left)
      available[i] = left
      if left < tonumber(ARGV[at + 3 + 2 * i]) then
        short = true
      end
    end
  end
  if #unknown > 1 then
    return unknown
  end
  if short then
    local reply = {'insufficient'}
    for i = 1, lines do
      reply[#reply + 1] = ARGV[at + 2 + 2 * i]
      reply[#reply + 1] = ARGV[at + 3 + 2 * i]
      reply[#reply + 1] = tostring(available[i])
    end
    return reply
  end

  -- Per-customer limits, checked in the same script as the stock: two orders of one customer cannot both pass.
  local taken
  if customer ~= '' then
    taken = tag .. ':cu:' .. customer
    local over = {'limit_exceeded'}
    for i = 1, lines do
      local sku = ARGV[at + 2 + 2 * i]
      local limit = redis.call('HGET', tag .. ':lim', sku)
      if limit then
        local already = tonumber(redis.call('HGET', taken, sku) or '0')
        if already + tonumber(ARGV[at + 3 + 2 * i]) > tonumber(limit) then
          over[#over + 1] = sku
          over[#over + 1] = limit
          over[#over + 1] = tostring(already)
          over[#over + 1] = ARGV[at + 3 + 2 * i]
        end
      end
    end
    if #over > 1 then
      return over
    end
  end

  local result = {}
  local entry
  for i = 1, lines do
    local sku = ARGV[at + 2 + 2 * i]
    local quantity = ARGV[at + 3 + 2 * i]
    local left = redis.call('HINCRBY', KEYS[1], sku, '-' .. quantity)
    local seq = redis.call('HINCRBY', KEYS[2], sku, 1)
    if taken then
      redis.call('HINCRBY', taken, sku, quantity)
    end
    entry = redis.call('XADD', KEYS[3], '*', 'k', 'deduct', 'o', id, 's', sku, 'd', '-' .. quantity, 'q', seq, 'a', left, 't', now, 'c', customer)
    result[i] = sku .. ' ' .. quantity .. ' ' .. left
  end
  journal = journal + lines
  result = table.concat(result, ',')
  redis.call('HSET', key, 'st', 'deducted', 'e', epoch, 'ln', fp, 'res', result, 't', now, 'cu', customer)
  redis.call('EXPIRE', key, ttl)
  return {'deducted', result, '0', entry}
end

local replies = {}
local lost = redis.call('EXISTS', KEYS[4]) == 0
local at, n = 4, 0
while at <= #ARGV do
  n = n + 1
  local lines = tonumber(ARGV[at + 3])
  -- A partition whose marker vanished lost its data (restart without persistence, replaced node): refuse until rebuilt.
  replies[n] = lost and {'lost'} or deduct(KEYS[4 + n], at, lines)
  at = at + 5 + 2 * lines
end
return replies
