// The Redis ledger's rules, one Lua script per operation, so each runs atomically.
//
// KEYS (every script): 1 live hash, 2 ended record hash, 3 events list (these three share the
// hash tag `{dag:messageId}`), 4 per-DAG counters hash, 5 per-DAG in-flight sorted set.
// ARGV (every script): 1 now (the caller's clock, so leases and retention follow an injected
// clock), 2 messageId, then the operation's own arguments.
//
// Live hash fields: `meta` (JSON), `open#` (open token count), `o:<token>` open, `d:<token>`
// done, `lo:<token>`/`le:<token>` lease owner/expiry, `a:<len(node)>:<node><from>` join
// arrival, `f:<node>` the arrival that fired the join, `end` (JSON, first early end wins),
// `c:<node>` crash count, `k:<field>` kept result fields.
// Ended record fields: `meta`, `state`, `endedMs`, `expiresMs`, `end` (JSON, when it ended
// early), and the `c:` and `k:` fields carried over.

const PRELUDE = `
local live, rec, events, counts, flight = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local now = tonumber(ARGV[1])
local mid = ARGV[2]
-- Redis expires records on its own clock; the caller's clock decides first, so an injected
-- clock sees exactly the retention the memory ledger gives.
local function ended()
  local expires = redis.call('HGET', rec, 'expiresMs')
  if not expires then return false end
  if tonumber(expires) <= now then
    redis.call('DEL', rec, events)
    return false
  end
  return true
end
local function unknown() return redis.error_reply('ITEM_UNKNOWN') end
`;

const script = (body: string): string => PRELUDE + body;

export const LEDGER_SCRIPTS = {
  // KEYS 6 the findByKey index entry; ARGV 3 createdMs, 4 meta JSON, 5.. tokens
  quarryLedgerOpen: script(`
if redis.call('EXISTS', live) == 1 or ended() then return 0 end
local n = 0
for i = 5, #ARGV do n = n + redis.call('HSETNX', live, 'o:' .. ARGV[i], '1') end
redis.call('HSET', live, 'meta', ARGV[4], 'open#', n)
redis.call('DEL', events)
redis.call('HINCRBY', counts, 'in-flight', 1)
redis.call('ZADD', flight, ARGV[3], mid)
redis.call('SET', KEYS[6], mid)
return 1`),

  // ARGV 3 token, 4 owner, 5 leaseMs
  quarryLedgerClaim: script(`
if redis.call('EXISTS', live) == 0 then
  if ended() then return 'done' end
  return unknown()
end
local t = ARGV[3]
if redis.call('HEXISTS', live, 'd:' .. t) == 1 then return 'done' end
if redis.call('HEXISTS', live, 'o:' .. t) == 0 then return redis.error_reply('TOKEN_UNKNOWN') end
local lease = redis.call('HMGET', live, 'lo:' .. t, 'le:' .. t)
if lease[1] and lease[1] ~= ARGV[4] and tonumber(lease[2]) > now then return 'busy' end
redis.call('HSET', live, 'lo:' .. t, ARGV[4], 'le:' .. t, tostring(now + tonumber(ARGV[5])))
return 'run'`),

  // ARGV 3 node, 4 from, 5.. expected
  quarryLedgerArrive: script(`
if redis.call('EXISTS', live) == 0 then
  if ended() then return 0 end
  return unknown()
end
local node, from = ARGV[3], ARGV[4]
local fired = redis.call('HGET', live, 'f:' .. node)
if fired then
  if fired == from then return 1 end
  return 0
end
local prefix = 'a:' .. string.len(node) .. ':' .. node
redis.call('HSET', live, prefix .. from, '1')
for i = 5, #ARGV do
  if redis.call('HEXISTS', live, prefix .. ARGV[i]) == 0 then return 0 end
end
redis.call('HSET', live, 'f:' .. node, from)
return 1`),

  // ARGV 3.. tokens
  quarryLedgerAddTokens: script(`
if redis.call('EXISTS', live) == 0 then
  if ended() then return 0 end
  return unknown()
end
local n = 0
for i = 3, #ARGV do
  if redis.call('HEXISTS', live, 'd:' .. ARGV[i]) == 0 then
    n = n + redis.call('HSETNX', live, 'o:' .. ARGV[i], '1')
  end
end
if n > 0 then redis.call('HINCRBY', live, 'open#', n) end
return n`),

  // ARGV 3 token, 4 end JSON or '', 5 retentionMs, 6.. kept name/value pairs.
  // Returns 0, or (when this closed the last token) { state, meta JSON }.
  quarryLedgerFinish: script(`
if redis.call('EXISTS', live) == 0 then
  if ended() then return 0 end
  return unknown()
end
local t = ARGV[3]
if redis.call('HEXISTS', live, 'd:' .. t) == 1 then return 0 end
if redis.call('HEXISTS', live, 'o:' .. t) == 0 then return redis.error_reply('TOKEN_UNKNOWN') end
if ARGV[4] ~= '' then redis.call('HSETNX', live, 'end', ARGV[4]) end
for i = 6, #ARGV, 2 do redis.call('HSET', live, 'k:' .. ARGV[i], ARGV[i + 1]) end
redis.call('HDEL', live, 'o:' .. t, 'lo:' .. t, 'le:' .. t)
redis.call('HSET', live, 'd:' .. t, '1')
if redis.call('HINCRBY', live, 'open#', -1) > 0 then return 0 end

-- The last token closed: replace the live state with the compact record.
local retention = tonumber(ARGV[5])
local state = 'completed'
local out = {}
local meta = ''
local all = redis.call('HGETALL', live)
for i = 1, #all, 2 do
  local f, v = all[i], all[i + 1]
  local p = string.sub(f, 1, 2)
  if f == 'meta' then meta = v end
  if p == 'k:' or p == 'c:' or f == 'meta' then
    out[#out + 1] = f
    out[#out + 1] = v
  elseif f == 'end' then
    out[#out + 1] = f
    out[#out + 1] = v
    state = cjson.decode(v).state
  end
end
out[#out + 1] = 'state'
out[#out + 1] = state
out[#out + 1] = 'endedMs'
out[#out + 1] = tostring(now)
out[#out + 1] = 'expiresMs'
out[#out + 1] = tostring(now + retention)
redis.call('DEL', live, rec)
redis.call('HSET', rec, unpack(out))
redis.call('PEXPIRE', rec, retention)
redis.call('PEXPIRE', events, retention)
redis.call('HINCRBY', counts, 'in-flight', -1)
redis.call('HINCRBY', counts, state, 1)
redis.call('ZREM', flight, mid)
return { state, meta }`),

  // ARGV 3 event JSON, 4 how many to keep
  quarryLedgerEvent: script(`
local isLive = redis.call('EXISTS', live) == 1
if not isLive and not ended() then return unknown() end
redis.call('RPUSH', events, ARGV[3])
redis.call('LTRIM', events, -tonumber(ARGV[4]), -1)
if not isLive then redis.call('PEXPIRE', events, redis.call('PTTL', rec)) end
return 1`),

  // ARGV 3 node
  quarryLedgerBumpCrashes: script(`
local key = live
if redis.call('EXISTS', live) == 0 then
  if not ended() then return unknown() end
  key = rec
end
return redis.call('HINCRBY', key, 'c:' .. ARGV[3], 1)`),
} as const;

export type LedgerScript = keyof typeof LEDGER_SCRIPTS;

// The `findByKey` index lives outside the item's hash slot (it is keyed by item key), so it is
// kept by its own scripts. KEYS 1 index; ARGV 1 messageId, 2 retentionMs.
export const INDEX_SCRIPTS = {
  // Once its item ends, the index entry lives as long as the item's record, unless a newer
  // item with the same key took it over meanwhile.
  quarryLedgerIndexExpire: `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1`,
  quarryLedgerIndexDrop: `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1`,
} as const;
