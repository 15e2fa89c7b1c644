// The intake counts' Lua scripts: every check-and-count is one script, so two submitters can
// never both take the last room. Time is the Redis server's (TIME), so the processes' clocks
// need not agree. Keys: KEYS[1] the counts hash (`c:<class>`, `t:<class>:<tenant>`, the decayed
// admission count `rv:<class>` at `ra:<class>`), KEYS[2] reservation leases (id → expiry),
// KEYS[3] reserved groups (id → JSON [[class, tenant, n], …]). All share one hash tag.
import { RATE_TAU_MS } from '../intake-counts.ts';

const PRELUDE = `
local TAU = ${RATE_TAU_MS}
local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function addGroups(groups, sign)
  for _, g in ipairs(groups) do
    local cls, n = g[1], tonumber(g[3]) * sign
    if redis.call('HINCRBY', KEYS[1], 'c:' .. cls, n) < 0 then redis.call('HSET', KEYS[1], 'c:' .. cls, 0) end
    local tf = 't:' .. cls .. ':' .. g[2]
    if redis.call('HINCRBY', KEYS[1], tf, n) <= 0 then redis.call('HDEL', KEYS[1], tf) end
  end
end
-- Reservations whose submitter never confirmed them give their room back (bounded per call).
local function sweep(now)
  local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 100)
  for _, id in ipairs(gone) do
    local v = redis.call('HGET', KEYS[3], id)
    if v then addGroups(cjson.decode(v), -1) end
    redis.call('ZREM', KEYS[2], id)
    redis.call('HDEL', KEYS[3], id)
  end
end
local function counts()
  return redis.call('HMGET', KEYS[1], 'c:high', 'c:normal', 'c:low')
end
`;

/** ARGV: id, leaseMs, maxPerClass, maxPerTenant, groups JSON → [reserved 1|0, then per class: class over, tenant over, tenant, rate/s, count]. */
export const RESERVE = `${PRELUDE}
local now = nowMs()
sweep(now)
local groups = cjson.decode(ARGV[5])
local maxC, maxT = tonumber(ARGV[3]), tonumber(ARGV[4])
local over, addc = {}, {}
for _, g in ipairs(groups) do
  local cls, n = g[1], tonumber(g[3])
  addc[cls] = (addc[cls] or 0) + n
  local o = tonumber(redis.call('HGET', KEYS[1], 't:' .. cls .. ':' .. g[2]) or '0') + n - maxT
  over[cls] = over[cls] or {0, 0, ''}
  if o > over[cls][2] then over[cls][2] = o; over[cls][3] = g[2] end
end
local full = false
for cls, n in pairs(addc) do
  local o = tonumber(redis.call('HGET', KEYS[1], 'c:' .. cls) or '0') + n - maxC
  if o > 0 then over[cls][1] = o end
  if over[cls][1] > 0 or over[cls][2] > 0 then full = true end
end
if not full then
  addGroups(groups, 1)
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
  redis.call('HSET', KEYS[3], ARGV[1], ARGV[5])
end
local out = { full and 0 or 1 }
for _, cls in ipairs({'high', 'normal', 'low'}) do
  local o = over[cls] or {0, 0, ''}
  local v = tonumber(redis.call('HGET', KEYS[1], 'rv:' .. cls) or '0')
  local at = tonumber(redis.call('HGET', KEYS[1], 'ra:' .. cls) or now)
  local rate = v * math.exp(-math.max(0, now - at) / TAU) * 1000 / TAU
  for _, x in ipairs({tostring(o[1]), tostring(o[2]), o[3], tostring(rate), redis.call('HGET', KEYS[1], 'c:' .. cls) or '0'}) do table.insert(out, x) end
end
return out
`;

/** ARGV: id. The items are in the backlog: the reservation's room stays counted. */
export const COMMIT = `
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
return 1
`;

/** ARGV: id → class counts. */
export const CANCEL = `${PRELUDE}
if redis.call('ZREM', KEYS[2], ARGV[1]) == 1 then
  local v = redis.call('HGET', KEYS[3], ARGV[1])
  if v then addGroups(cjson.decode(v), -1) end
  redis.call('HDEL', KEYS[3], ARGV[1])
end
return counts()
`;

/** ARGV: groups JSON → class counts. Admitted items leave the counts and feed the admission rate. */
export const RELEASE = `${PRELUDE}
local now = nowMs()
sweep(now)
local groups = cjson.decode(ARGV[1])
addGroups(groups, -1)
local by = {}
for _, g in ipairs(groups) do by[g[1]] = (by[g[1]] or 0) + tonumber(g[3]) end
for cls, n in pairs(by) do
  local v = tonumber(redis.call('HGET', KEYS[1], 'rv:' .. cls) or '0')
  local at = tonumber(redis.call('HGET', KEYS[1], 'ra:' .. cls) or now)
  redis.call('HSET', KEYS[1], 'rv:' .. cls, tostring(v * math.exp(-math.max(0, now - at) / TAU) + n), 'ra:' .. cls, tostring(now))
end
return counts()
`;

/** ARGV: backlog sizes high, normal, low → class counts: the durable sizes plus the room reserved now. */
export const SEED = `${PRELUDE}
sweep(nowMs())
local sizes = { high = tonumber(ARGV[1]), normal = tonumber(ARGV[2]), low = tonumber(ARGV[3]) }
for _, v in ipairs(redis.call('HVALS', KEYS[3])) do
  for _, g in ipairs(cjson.decode(v)) do sizes[g[1]] = sizes[g[1]] + tonumber(g[3]) end
end
redis.call('HSET', KEYS[1], 'c:high', sizes.high, 'c:normal', sizes.normal, 'c:low', sizes.low)
return counts()
`;

/**
 * Tenant token buckets. KEYS[1] the bucket hash (`tok:<tenant>`, `at:<tenant>`); ARGV: then
 * (tenant, rate/s, burst, spend) per tenant → tokens left per tenant (a spend may leave a debt).
 */
export const QUOTAS = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {}
for i = 1, #ARGV, 4 do
  local tenant, rate, burst, n = ARGV[i], tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3])
  local tok = tonumber(redis.call('HGET', KEYS[1], 'tok:' .. tenant) or burst)
  local at = tonumber(redis.call('HGET', KEYS[1], 'at:' .. tenant) or now)
  tok = math.min(burst, tok + math.max(0, now - at) / 1000 * rate) - n
  redis.call('HSET', KEYS[1], 'tok:' .. tenant, tostring(tok), 'at:' .. tenant, tostring(now))
  table.insert(out, tostring(tok))
end
-- Buckets idle for a day are full again anyway.
redis.call('PEXPIRE', KEYS[1], 86400000)
return out
`;
