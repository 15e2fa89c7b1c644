// The Redis ledger's rules, one Lua script per per-item operation, so each runs atomically and
// touches one Redis Cluster slot (the item's hash tag `{dag#bucket}`, see tuple-ref.ts).
//
// KEYS (every item script): 1 live hash, 2 ended record hash, 3 events list, 4 the item's tuple
// (the side-cache hash), 5 the bucket's counters hash, 6 the bucket's in-flight sorted set.
// ARGV (every item script): 1 now (the caller's clock, so leases and retention follow an
// injected clock), 2 messageId, then the operation's own arguments.
//
// Live hash fields: `meta` (JSON), `open#` (open token count), `o:<token>` open, `d:<token>`
// done, `lo:<token>`/`le:<token>` lease owner/expiry, `x:<token>` claimed at least once,
// `n:<token>` claimed in process (chained: the token never had a trigger of its own),
// `s:<token>` the successor tokens it opened (comma-joined), `a:<len(node)>:<node><from>` join
// arrival, `f:<node>` the arrival that fired the join, `end` (JSON, first early end wins),
// `k:<field>` kept result fields, `rd` re-drive count, `trig` the entry trigger.
// The bucket's in-flight set scores each item by its last open, commit or re-drive (`stalled`).
// Ended record fields: `meta`, `state`, `endedMs`, `expiresMs`, `end`, and the `k:` fields.
// The tuple holds a sentinel field NUL (so an empty tuple exists) and the item's fields.

const PRELUDE = `
local live, rec, events, tuple, counts, flight = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
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
local function record()
  return redis.call('HGETALL', rec), redis.call('LRANGE', events, 0, -1)
end
`;

// Every item script takes a batch of items: KEYS are six per item (in the order above), and each
// item's arguments (the layout each script documents) are one ARGV, packed as a MessagePack array
// of strings (pack-args.ts); the reply holds one reply per item. Items of one call run atomically
// together. On Redis Cluster a call holds the items of one slot (one bucket of one DAG).
const script = (body: string): string => `
local function run(KEYS, ARGV)
${PRELUDE}${body}
end
local out = {}
for i = 1, #ARGV do
  local k = 6 * (i - 1)
  out[i] = run({ KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], KEYS[k + 4], KEYS[k + 5], KEYS[k + 6] }, cmsgpack.unpack(ARGV[i]))
end
return out`;

export const LEDGER_SCRIPTS = {
  // ARGV 3 createdMs, 4 meta JSON, 5 tuple TTL ms, 6 entry trigger ('' = none), 7 n tokens,
  // 8.. tokens, then field/value pairs.
  quarryLedgerOpen: script(`
local n = tonumber(ARGV[7])
if redis.call('EXISTS', live) == 1 then
  local reproduce = 0
  for i = 8, 7 + n do
    local t = ARGV[i]
    if redis.call('HEXISTS', live, 'o:' .. t) == 1 and redis.call('HEXISTS', live, 'x:' .. t) == 0 then reproduce = 1 end
  end
  return { 'in-flight', reproduce }
end
if ended() then return { 'ended', redis.call('HGET', rec, 'state') } end
local h = { 'meta', ARGV[4], 'open#', n }
for i = 8, 7 + n do
  h[#h + 1] = 'o:' .. ARGV[i]
  h[#h + 1] = '1'
end
if ARGV[6] ~= '' then
  h[#h + 1] = 'trig'
  h[#h + 1] = ARGV[6]
end
redis.call('HSET', live, unpack(h))
redis.call('DEL', events, tuple)
redis.call('HSET', tuple, '\\0', '', unpack(ARGV, 8 + n, #ARGV))
redis.call('PEXPIRE', tuple, ARGV[5])
redis.call('HINCRBY', counts, 'in-flight', 1)
redis.call('ZADD', flight, now, mid)
return { 'opened' }`),

  // ARGV 3 token, 4 owner, 5 leaseMs, 6 chained ('1' = handed over in process, no trigger of
  // its own), 7 join node ('' = no join), 8 join from, 9 n expected, 10.. expected, then the
  // fields to read.
  // Returns { 'run', lost (0|1), values… } | { 'waiting' } | { 'done', repair… } |
  // { 'ended', record pairs…, '\\0', events… } | { 'busy' } | { 'unknown' } | { 'stale' }
  quarryLedgerClaim: script(`
local t = ARGV[3]
-- The open# field is there exactly while the item is live.
local st = redis.call('HMGET', live, 'open#', 'd:' .. t, 'o:' .. t, 'lo:' .. t, 'le:' .. t)
if not st[1] then
  if ended() then
    local r, e = record()
    local out = { 'ended' }
    for i = 1, #r do out[#out + 1] = r[i] end
    out[#out + 1] = '\\0'
    for i = 1, #e do out[#out + 1] = e[i] end
    return out
  end
  return { 'unknown' }
end
if st[2] then
  -- What this token opened and nobody claimed may have lost its trigger; so may what a chained
  -- successor (one with no trigger of its own) left open, however deep the chain went.
  local out = { 'done' }
  local queue, seen, q = { t }, {}, 1
  while queue[q] do
    local succ = redis.call('HGET', live, 's:' .. queue[q])
    q = q + 1
    if succ then
      for s in string.gmatch(succ, '[^,]+') do
        if not seen[s] then
          seen[s] = true
          local f = redis.call('HMGET', live, 'o:' .. s, 'x:' .. s, 'n:' .. s, 'd:' .. s)
          if f[1] and (not f[2] or f[3]) then out[#out + 1] = s
          elseif f[4] and f[3] then queue[#queue + 1] = s end
        end
      end
    end
  end
  return out
end
if not st[3] then return { 'stale' } end
if st[4] and st[4] ~= ARGV[4] and tonumber(st[5]) > now then return { 'busy' } end
local node = ARGV[7]
local nexp = tonumber(ARGV[9])
if node ~= '' then
  local from = ARGV[8]
  local fired = redis.call('HGET', live, 'f:' .. node)
  local fires = false
  if fired then
    fires = fired == from
  else
    local prefix = 'a:' .. string.len(node) .. ':' .. node
    redis.call('HSET', live, prefix .. from, '1')
    fires = true
    for i = 10, 9 + nexp do
      if redis.call('HEXISTS', live, prefix .. ARGV[i]) == 0 then fires = false end
    end
    if fires then redis.call('HSET', live, 'f:' .. node, from) end
  end
  if not fires then return { 'waiting' } end
end
redis.call('HSET', live, 'lo:' .. t, ARGV[4], 'le:' .. t, tostring(now + tonumber(ARGV[5])), 'x:' .. t, '1')
if ARGV[6] == '1' then redis.call('HSET', live, 'n:' .. t, '1') end
-- The sentinel field says whether the tuple exists, in the same read as the fields.
local values = redis.call('HMGET', tuple, '\\0', unpack(ARGV, 10 + nexp, #ARGV))
if not values[1] then return { 'run', 1 } end
local out = { 'run', 0 }
for i = 2, #values do out[#out + 1] = values[i] or false end
return out`),

  // ARGV 3 token, 4 kind (advance|retry), 5 end JSON or '', 6 retentionMs, 7 tuple TTL ms,
  // 8 event JSON or '', 9 max events, then counted lists: successors, writes (pairs), releases,
  // detach, blob fields, kept (pairs) — each as n followed by its entries — then the owner and
  // lease ms of claimNext ('' and 0 for none) and its counted tokens.
  // Returns { 'ok', n claimed, claimed tokens…, blob refs… }
  //       | { 'end', state, record pairs…, '\\0', events…, '\\0', blob refs… }
  //       | { 'already' } | { 'unknown' } | { 'stale' }
  quarryLedgerCommit: script(`
local t = ARGV[3]
local st = redis.call('HMGET', live, 'open#', 'd:' .. t, 'o:' .. t)
if not st[1] then
  if ended() then return { 'already' } end
  return { 'unknown' }
end
if st[2] then return { 'already' } end
if not st[3] then return { 'stale' } end
redis.call('ZADD', flight, 'XX', now, mid)
if ARGV[8] ~= '' and redis.call('RPUSH', events, ARGV[8]) > tonumber(ARGV[9]) then
  redis.call('LTRIM', events, -tonumber(ARGV[9]), -1)
end
if ARGV[4] == 'retry' then
  redis.call('HDEL', live, 'lo:' .. t, 'le:' .. t)
  return { 'ok', 0 }
end
local at = 10
local function list(paired)
  local n = tonumber(ARGV[at])
  local first = at + 1
  at = first + n * (paired and 2 or 1)
  return first, at - 1
end
local s1, s2 = list(false)
local w1, w2 = list(true)
local r1, r2 = list(false)
local d1, d2 = list(false)
local b1, b2 = list(false)
local k1, k2 = list(true)
local owner, leaseMs = ARGV[at], tonumber(ARGV[at + 1])
at = at + 2
local c1, c2 = list(false)
if w2 >= w1 then redis.call('HSET', tuple, unpack(ARGV, w1, w2)) end
if ARGV[5] ~= '' then redis.call('HSETNX', live, 'end', ARGV[5]) end
if k2 >= k1 then
  local kept = {}
  for i = k1, k2, 2 do
    kept[#kept + 1] = 'k:' .. ARGV[i]
    kept[#kept + 1] = ARGV[i + 1]
  end
  redis.call('HSET', live, unpack(kept))
end
local opened = 0
local succ = {}
local fresh = {}
for i = s1, s2 do
  local s = ARGV[i]
  succ[#succ + 1] = s
  if redis.call('HEXISTS', live, 'd:' .. s) == 0 and redis.call('HSETNX', live, 'o:' .. s, '1') == 1 then
    opened = opened + 1
    fresh[s] = true
  end
end
redis.call('HDEL', live, 'o:' .. t, 'lo:' .. t, 'le:' .. t)
if #succ > 0 then redis.call('HSET', live, 'd:' .. t, '1', 's:' .. t, table.concat(succ, ','))
else redis.call('HSET', live, 'd:' .. t, '1') end
local blobs = {}
for i = b1, b2 do blobs[ARGV[i]] = true end
for i = d1, d2 do blobs[ARGV[i]] = nil end
if d2 >= d1 then redis.call('HDEL', tuple, unpack(ARGV, d1, d2)) end
if redis.call('HINCRBY', live, 'open#', opened - 1) > 0 then
  -- claimNext: the successors this commit opened, claimed chained for the owner.
  local claimed = {}
  if c2 >= c1 and redis.call('EXISTS', tuple) == 1 then
    local expires = tostring(now + leaseMs)
    for i = c1, c2 do
      local s = ARGV[i]
      if fresh[s] then
        redis.call('HSET', live, 'lo:' .. s, owner, 'le:' .. s, expires, 'x:' .. s, '1', 'n:' .. s, '1')
        claimed[#claimed + 1] = s
      end
    end
  end
  local out = { 'ok', #claimed }
  for i = 1, #claimed do out[#out + 1] = claimed[i] end
  for i = r1, r2 do
    if blobs[ARGV[i]] then
      local v = redis.call('HGET', tuple, ARGV[i])
      if v then out[#out + 1] = v end
    end
  end
  if r2 >= r1 then redis.call('HDEL', tuple, unpack(ARGV, r1, r2)) end
  redis.call('PEXPIRE', tuple, ARGV[7])
  return out
end

-- The last token closed: the compact record replaces the live state, the tuple goes.
local refs = {}
for f in pairs(blobs) do
  local v = redis.call('HGET', tuple, f)
  if v then refs[#refs + 1] = v end
end
local retention = tonumber(ARGV[6])
local state = 'completed'
local out = {}
local all = redis.call('HGETALL', live)
for i = 1, #all, 2 do
  local f, v = all[i], all[i + 1]
  local p = string.sub(f, 1, 2)
  if p == 'k:' or f == 'meta' then
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
redis.call('DEL', live, rec, tuple)
redis.call('HSET', rec, unpack(out))
redis.call('PEXPIRE', rec, retention)
redis.call('PEXPIRE', events, retention)
redis.call('HINCRBY', counts, 'in-flight', -1)
redis.call('HINCRBY', counts, state, 1)
redis.call('ZREM', flight, mid)
local reply = { 'end' }
for i = 1, #out do reply[#reply + 1] = out[i] end
reply[#reply + 1] = '\\0'
for _, e in ipairs(redis.call('LRANGE', events, 0, -1)) do reply[#reply + 1] = e end
reply[#reply + 1] = '\\0'
for i = 1, #refs do reply[#reply + 1] = refs[i] end
return reply`),

  // ARGV 3 event JSON, 4 max events, 5 tuple TTL ms, 6 n tokens, 7.. tokens, then field/value pairs.
  quarryLedgerRedrive: script(`
if redis.call('EXISTS', live) == 0 then return { 'gone' } end
local meta, trig = unpack(redis.call('HMGET', live, 'meta', 'trig'))
local count = (tonumber(redis.call('HGET', live, 'rd')) or 0) + 1
local n = tonumber(ARGV[6])
redis.call('DEL', live, tuple)
local h = { 'meta', meta, 'open#', n, 'rd', count }
if trig then
  h[#h + 1] = 'trig'
  h[#h + 1] = trig
end
for i = 7, 6 + n do
  h[#h + 1] = 'o:' .. ARGV[i]
  h[#h + 1] = '1'
end
redis.call('HSET', live, unpack(h))
redis.call('ZADD', flight, 'XX', now, mid)
if redis.call('RPUSH', events, ARGV[3]) > tonumber(ARGV[4]) then redis.call('LTRIM', events, -tonumber(ARGV[4]), -1) end
redis.call('HSET', tuple, '\\0', '', unpack(ARGV, 7 + n, #ARGV))
redis.call('PEXPIRE', tuple, ARGV[5])
return { 'reset', count }`),
} as const;

export type LedgerScript = keyof typeof LEDGER_SCRIPTS;

// Stalled items of one bucket. KEYS 1 the bucket's in-flight set; ARGV 1 now, 2 idleMs, 3 limit,
// 4 the bucket's live-hash key prefix (same hash tag, so the same slot). Each item returned is
// re-scored to now. Returns { messageId, entry trigger or '', open unheld tokens (comma-joined) }…
export const SWEEP_SCRIPTS = {
  quarryLedgerStalled: `
local now = tonumber(ARGV[1])
local out = {}
for _, mid in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]), 'LIMIT', 0, tonumber(ARGV[3]))) do
  local all = redis.call('HGETALL', ARGV[4] .. mid)
  if #all == 0 then
    redis.call('ZREM', KEYS[1], mid)
  else
    local h = {}
    for i = 1, #all, 2 do h[all[i]] = all[i + 1] end
    local tokens = {}
    for f in pairs(h) do
      if string.sub(f, 1, 2) == 'o:' then
        local t = string.sub(f, 3)
        local le = h['le:' .. t]
        if not le or tonumber(le) <= now then tokens[#tokens + 1] = t end
      end
    end
    table.sort(tokens)
    redis.call('ZADD', KEYS[1], now, mid)
    out[#out + 1] = mid
    out[#out + 1] = h['trig'] or ''
    out[#out + 1] = table.concat(tokens, ',')
  end
end
return out`,
} as const;

// The by-key index (dedupe and `findByKey`) lives in its own slot, outside any item's: it is
// kept by these one-key scripts, sent in the same pipeline as the item scripts. An entry is
// `<messageId>|L` while the item is live and `<messageId>|E|<endedMs>` once it ended. An end
// writes a missing entry too (the process that opened the item may have died before writing it).
// KEYS the index entries of n items (one call holds one slot's on a Redis Cluster); ARGV 1
// retentionMs, then per item its messageId and endedMs.
export const INDEX_SCRIPTS = {
  quarryLedgerIndexEnded: `
for i = 1, #KEYS do
  local mid = ARGV[2 * i]
  local v = redis.call('GET', KEYS[i])
  if not v or string.sub(v, 1, string.len(mid) + 1) == mid .. '|' then
    redis.call('SET', KEYS[i], mid .. '|E|' .. ARGV[2 * i + 1], 'PX', ARGV[1])
  end
end
return #KEYS`,
} as const;
