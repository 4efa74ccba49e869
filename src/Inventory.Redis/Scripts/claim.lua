#!lua
-- Binds order ids to their lines in their home partition before anything is deducted (docs/redis-keys.md). One call
-- decides any number of orders of one home partition, one after another, exactly as one call per order would: a
-- batch costs one script run per partition, not one per order. A single order is a call with one order.
-- Replies, one per order in ARGV's order: {'go', epoch} deduct at this epoch; {'deducted', epoch, restored} a
-- committed (or restored) order; {'rebind', epoch, fingerprint, partitions} the id is open with other lines: fence
-- them, then rebind.lua; {'conflict'}; {'cancelled'}; {'busy'} an abort is rolling this order back; {'seen'} absent,
-- but the seen filter may know the id: ask SQL; {'lost'} the home partition lost its data.
-- KEYS: pending, seen filter, home marker, then each order's claim
-- ARGV: ttlSeconds, bit offsets per id (b), then per order: orderId, fingerprint, lines, partitions, multi ('1'|'0'),
--       mode ('new'|'force'), b bit offsets
local ttl = ARGV[1]
local bits = tonumber(ARGV[2])
local stride = 6 + bits
local orders = (#ARGV - 2) / stride
local replies = {}

if redis.call('EXISTS', KEYS[3]) == 0 then
  for n = 1, orders do
    replies[n] = {'lost'}
  end
  return replies
end

local clock
local function time()
  if not clock then
    clock = redis.call('TIME')
    clock = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
  end
  return clock
end

-- One order: its claim key, and the index of its first ARGV.
local function claim(key, at)
  local id, fp, lines, partitions, mode = ARGV[at], ARGV[at + 1], ARGV[at + 2], ARGV[at + 3], ARGV[at + 5]
  local multi = ARGV[at + 4] == '1'
  -- only multi-partition claims carry a start time: the recovery sweep's clock
  local now = multi and time() or 0
  local function open(epoch, fresh)
    redis.call('HSET', key, 'st', 'open', 'e', epoch, 'fp', fp, 'ln', lines, 'pt', partitions, 't', now, 'r', '')
    redis.call('EXPIRE', key, ttl)
    if multi then
      redis.call('ZADD', KEYS[1], now, id)
    elseif not fresh then
      redis.call('ZREM', KEYS[1], id)
    end
    return {'go', tostring(epoch)}
  end

  local c = redis.call('HMGET', key, 'st', 'e', 'fp', 'pt', 'r')
  local st = c[1]
  if not st then
    -- the seen filter's bits in one BITFIELD: SET answers each bit's old value, and setting bits that were all set
    -- already changes nothing, so one call both asks and records (this is the hot path of every new order)
    local set = {}
    for i = at + 6, at + 5 + bits do
      set[#set + 1] = 'SET'
      set[#set + 1] = 'u1'
      set[#set + 1] = ARGV[i]
      set[#set + 1] = 1
    end
    local known = true
    for _, bit in ipairs(redis.call('BITFIELD', KEYS[2], unpack(set))) do
      if bit == 0 then
        known = false
        break
      end
    end
    if known and mode == 'new' then
      return {'seen'}
    end
    return open(1, true)
  end

  local epoch = tonumber(c[2])
  if st == 'tomb' or st == 'cancelled' then
    return {'cancelled'}
  end
  if c[3] == fp then
    if st == 'open' then
      if multi then
        -- a live attempt holds off the recovery sweep
        redis.call('HSET', key, 't', now)
        redis.call('ZADD', KEYS[1], now, id)
      end
      return {'go', tostring(epoch)}
    elseif st == 'deducted' then
      -- A write (nothing changes) so that a durable acknowledgement's WAIT on this connection covers the commit,
      -- which another connection may have written moments ago.
      redis.call('HSET', key, 'st', 'deducted')
      return {'deducted', tostring(epoch), c[5] or ''}
    elseif st == 'aborting' then
      return {'busy'}
    end
    return open(epoch + 1, false)
  end
  if st == 'aborted' then
    return open(epoch + 1, false)
  elseif st == 'open' then
    return {'rebind', tostring(epoch), c[3], c[4]}
  end
  return {'conflict'}
end

for n = 1, orders do
  replies[n] = claim(KEYS[3 + n], 3 + (n - 1) * stride)
end
return replies
