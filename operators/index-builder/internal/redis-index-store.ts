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

const PUT_PHASH = `
local old = redis.call('HGET', KEYS[1], ARGV[2])
if old == ARGV[3] then return 0 end
if old then
  local oldHash = nil
  for part in string.gmatch(old, '%S+') do
    if oldHash == nil then oldHash = part else redis.call('SREM', ARGV[1] .. 'b:' .. part, oldHash .. ':' .. ARGV[2]) end
  end
end
local newHash = nil
for part in string.gmatch(ARGV[3], '%S+') do
  if newHash == nil then newHash = part else redis.call('SADD', ARGV[1] .. 'b:' .. part, newHash .. ':' .. ARGV[2]) end
end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
return 1`;

const PUT_TEXT = `
local old = redis.call('HGET', KEYS[1], ARGV[2])
local keep = {}
for i = 4, #ARGV do keep[ARGV[i]] = true end
if old then
  for _, t in ipairs(cjson.decode(old).tokens) do
    if not keep[t] then redis.call('SREM', ARGV[1] .. 't:' .. t, ARGV[2]) end
  end
end
for i = 4, #ARGV do redis.call('SADD', ARGV[1] .. 't:' .. ARGV[i], ARGV[2]) end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
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
    async putPhash(sign, phash, keys) {
      await redis.eval(PUT_PHASH, 1, k('ph'), keyPrefix, sign, [phash, ...keys].join(' '));
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
    async putText(sign, text) {
      const tokens = [...new Set(text.tokens)];
      await redis.eval(PUT_TEXT, 1, k('tx'), keyPrefix, sign, JSON.stringify({ text: text.text, tokens }), ...tokens);
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
    async stats() {
      const [phashes, texts] = await Promise.all([redis.hlen(k('ph')), redis.hlen(k('tx'))]);
      return { phashes, texts };
    },
    async close() {
      await redis.quit();
    },
  };
}
