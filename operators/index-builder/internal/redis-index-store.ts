// The Redis IndexStore. Every key shares one hash tag (`{quarry-index}` by default) so the Lua
// scripts that replace a content's entries atomically also work on Redis Cluster: one slot, so
// on a cluster the whole index lives on one master (atomicity over spreading).
//   <p>ph        hash  sign → "phash key1 key2 key3 key4"
//   <p>b:<key>   set   "phash:sign" members of a band key
//   <p>tx        hash  sign → JSON { text, tokens }
//   <p>t:<token> set   signs whose text holds the token
import { ConfigError } from '../../../framework/errors/index.ts';
import { createRedisClient } from '../../../framework/redis/index.ts';
import type { IndexStore, StoredText } from './index-store.ts';

// Both scripts take many contents at once (ARGV: prefix, then one group per content) and apply
// them in order: one round trip per batch, each content replaced atomically.
const PUT_PHASHES = `
local i = 2
while i <= #ARGV do
  local sign, value = ARGV[i], ARGV[i + 1]
  i = i + 2
  local old = redis.call('HGET', KEYS[1], sign)
  if old ~= value then
    if old then
      local oldHash = nil
      for part in string.gmatch(old, '%S+') do
        if oldHash == nil then oldHash = part else redis.call('SREM', ARGV[1] .. 'b:' .. part, oldHash .. ':' .. sign) end
      end
    end
    local newHash = nil
    for part in string.gmatch(value, '%S+') do
      if newHash == nil then newHash = part else redis.call('SADD', ARGV[1] .. 'b:' .. part, newHash .. ':' .. sign) end
    end
    redis.call('HSET', KEYS[1], sign, value)
  end
end
return 1`;

const PUT_TEXTS = `
local i = 2
while i <= #ARGV do
  local sign, json, n = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  local first = i + 3
  i = first + n
  local old = redis.call('HGET', KEYS[1], sign)
  local keep = {}
  for j = first, i - 1 do keep[ARGV[j]] = true end
  if old then
    for _, t in ipairs(cjson.decode(old).tokens) do
      if not keep[t] then redis.call('SREM', ARGV[1] .. 't:' .. t, sign) end
    end
  end
  for j = first, i - 1 do redis.call('SADD', ARGV[1] .. 't:' .. ARGV[j], sign) end
  redis.call('HSET', KEYS[1], sign, json)
end
return 1`;

// KEYS: the pHash and text hashes; ARGV: prefix, then the signs.
const REMOVE = `
for i = 2, #ARGV do
  local sign = ARGV[i]
  local ph = redis.call('HGET', KEYS[1], sign)
  if ph then
    local hash = nil
    for part in string.gmatch(ph, '%S+') do
      if hash == nil then hash = part else redis.call('SREM', ARGV[1] .. 'b:' .. part, hash .. ':' .. sign) end
    end
    redis.call('HDEL', KEYS[1], sign)
  end
  local tx = redis.call('HGET', KEYS[2], sign)
  if tx then
    for _, t in ipairs(cjson.decode(tx).tokens) do redis.call('SREM', ARGV[1] .. 't:' .. t, sign) end
    redis.call('HDEL', KEYS[2], sign)
  end
end
return 1`;

/** `url`: one node (`redis://host:port[/db]`) or a Redis Cluster (comma-separated `redis://host:port` seeds). */
export function openRedisIndexStore({ url, keyPrefix = '{quarry-index}:' }: { url: string; keyPrefix?: string }): IndexStore {
  const redis = createRedisClient(url, { maxRetriesPerRequest: 2 });
  if (redis.isCluster && !/^[^{]*\{[^}]+\}/.test(keyPrefix)) {
    redis.disconnect();
    throw new ConfigError([{ field: 'keyPrefix', expected: 'a prefix holding a `{hash tag}` (its scripts must touch one slot of the Redis Cluster)', received: keyPrefix }], 'Redis index store');
  }
  const k = (s: string) => `${keyPrefix}${s}`;

  return {
    async putPhashes(entries) {
      if (entries.length === 0) return;
      await redis.eval(PUT_PHASHES, 1, k('ph'), keyPrefix, ...entries.flatMap((e) => [e.sign, [e.phash, ...e.bandKeys].join(' ')]));
    },
    async getPhash(sign) {
      const v = await redis.hget(k('ph'), sign);
      return v === null ? null : (v.split(' ')[0] ?? null);
    },
    async bandMembers(keys) {
      if (keys.length === 0) return [];
      return redis.sunion(...keys.map((b) => k(`b:${b}`)));
    },
    async *scanPhashes(pageSize = 1_000) {
      let cursor = '0';
      do {
        const [next, flat] = await redis.hscan(k('ph'), cursor, 'COUNT', pageSize);
        cursor = next;
        const page: [string, string][] = [];
        for (let i = 0; i + 1 < flat.length; i += 2) page.push([flat[i]!, flat[i + 1]!.split(' ')[0]!]);
        if (page.length > 0) yield page;
      } while (cursor !== '0');
    },
    async putTexts(entries) {
      if (entries.length === 0) return;
      const args = entries.flatMap(({ sign, text }) => {
        const tokens = [...new Set(text.tokens)];
        return [sign, JSON.stringify({ text: text.text, tokens }), String(tokens.length), ...tokens];
      });
      await redis.eval(PUT_TEXTS, 1, k('tx'), keyPrefix, ...args);
    },
    async getText(sign) {
      const v = await redis.hget(k('tx'), sign);
      return v === null ? null : (JSON.parse(v) as StoredText);
    },
    async postings(tokens) {
      const pipe = redis.pipeline();
      for (const t of tokens) pipe.smembers(k(`t:${t}`));
      const results = (await pipe.exec()) ?? [];
      return new Map(
        tokens.map((t, i) => {
          const [err, members] = results[i] ?? [new Error('no reply'), null];
          if (err) throw err;
          return [t, members as string[]];
        }),
      );
    },
    async removeContents(signs) {
      if (signs.length === 0) return;
      await redis.eval(REMOVE, 2, k('ph'), k('tx'), keyPrefix, ...signs);
    },
    async stats() {
      const [phashes, texts] = await Promise.all([redis.hlen(k('ph')), redis.hlen(k('tx'))]);
      return { phashes, texts };
    },
    async close() {
      await redis.quit();
    },
  };
}
