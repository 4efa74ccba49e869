#!lua
-- Binds a return id to its lines on the order's claim (home partition) and counts its units as returned, before any
-- partition restocks: the one place that sees every line of the order, so "never more than was deducted minus what
-- earlier returns took back" holds across partitions, and a cancel (which moves the claim first) excludes it.
-- Replies: {'go', partitions} restock each partition (return_apply.lua), then return_finish.lua; {'done', results}
-- a replay; {'cancelled'}; {'conflict'} the return id was used with other lines; {'exceeds', sku, requested,
-- returnable, ...}; {'unknown'} no deduction stands under the order id; {'seen'} absent, but the seen filter may know
-- the id: ask SQL; {'lost'} the home partition lost its data.
-- KEYS: claim, return, open returns, seen filter, home marker
-- ARGV: orderId, returnId, fingerprint, lines, ttlSeconds, mode ('new'|'force'), verified claim fingerprint, bit offsets...
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
if redis.call('EXISTS', KEYS[5]) == 0 then
  return {'lost'}
end

local function parse(encoded)
  local quantities = {}
  for entry in string.gmatch(encoded or '', '[^,]+') do
    local sku, quantity = string.match(entry, '^(%S+) (%d+)')
    quantities[sku] = (quantities[sku] or 0) + tonumber(quantity)
  end
  return quantities
end

-- A return restored from SQL ('r') knows only the lines SQL's ledger saw restocked: one half applied when its home
-- was lost comes back with part of its lines. A retry whose lines include them, with the same quantities, is that
-- return: it resumes, counting only the missing lines (the applied partitions replay their 'R:<returnId>').
local restored = {}
local r = redis.call('HMGET', KEYS[2], 'st', 'fp', 'res', 'r', 'ln')
if r[1] then
  if r[2] ~= ARGV[3] then
    if r[4] ~= '1' then
      return {'conflict'}
    end
    local asked = parse(ARGV[4])
    restored = parse(r[5])
    for sku, quantity in pairs(restored) do
      if asked[sku] ~= quantity then
        return {'conflict'}
      end
    end
  else
    if r[1] == 'open' then
      -- An attempt that stopped midway: restocking is idempotent per (partition, return id), so finish it.
      return {'go', redis.call('HGET', KEYS[1], 'pt') or ''}
    end
    return {r[1], r[3] or ''}
  end
end

local c = redis.call('HMGET', KEYS[1], 'st', 'fp', 'ln', 'pt', 'rt')
local st = c[1]
if not st then
  if ARGV[6] == 'new' then
    local known = true
    for i = 8, #ARGV do
      if redis.call('GETBIT', KEYS[4], ARGV[i]) == 0 then
        known = false
        break
      end
    end
    if known then
      return {'seen'}
    end
  end
  return {'unknown'}
end
if st == 'cancelled' then
  return {'cancelled'}
end
-- An open claim stands only as a single-partition order whose record the caller read as deducted with these lines:
-- once deducted, such a claim can be neither rebound nor reopened (fences refuse a deducted record), only cancelled.
local single = not string.find(c[4] or '', ' ')
if not (st == 'deducted' or (st == 'open' and single and c[2] == ARGV[7])) then
  return {'unknown'}
end

local ordered = parse(c[3])
local returned = parse(c[5])
local requested = {}
local order = {}
for entry in string.gmatch(ARGV[4], '[^,]+') do
  local sku, quantity = string.match(entry, '^(%S+) (%d+)')
  requested[sku] = tonumber(quantity) - (restored[sku] or 0)
  order[#order + 1] = sku
end
local exceeds = {'exceeds'}
for _, sku in ipairs(order) do
  local returnable = (ordered[sku] or 0) - (returned[sku] or 0)
  if requested[sku] > returnable then
    exceeds[#exceeds + 1] = sku
    exceeds[#exceeds + 1] = tostring(requested[sku])
    exceeds[#exceeds + 1] = tostring(returnable)
  end
end
if #exceeds > 1 then
  return exceeds
end

for _, sku in ipairs(order) do
  returned[sku] = (returned[sku] or 0) + requested[sku]
end
local totals = {}
for sku, quantity in pairs(returned) do
  totals[#totals + 1] = sku .. ' ' .. quantity
end
table.sort(totals)
-- The claim's TTL is left as it is: records were written after it was last set and must outlive it (rule of
-- docs/redis-keys.md); the return key is written now, so it outlives the claim and answers replays past it.
redis.call('HSET', KEYS[1], 'rt', table.concat(totals, ','))
redis.call('HSET', KEYS[2], 'st', 'open', 'fp', ARGV[3], 'ln', ARGV[4], 't', now)
redis.call('HDEL', KEYS[2], 'r', 'res')
redis.call('EXPIRE', KEYS[2], ARGV[5])
redis.call('ZADD', KEYS[3], now, ARGV[1] .. ' ' .. ARGV[2])
return {'go', c[4] or ''}
