import { useRedis } from '../../framework/redis/index.ts';
import type { DeferredStore } from '../deferred-store.ts';
import { decodeGateItem, encodeGateItem, type Priority } from '../gate-item.ts';

// Expired leases go back first, then due items move to the lease set, atomically.
const CLAIM = `
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
for _, id in ipairs(expired) do
  redis.call('ZREM', KEYS[2], id)
  local v = redis.call('HGET', KEYS[3], id)
  if v then redis.call('ZADD', KEYS[1], cjson.decode(v).enqueuedMs, id) end
end
local n = tonumber(ARGV[2])
if n <= 0 then return {} end
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, n)
if #ids == 0 then return {} end
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  redis.call('ZADD', KEYS[2], ARGV[3], id)
end
return redis.call('HMGET', KEYS[3], unpack(ids))
`;

export interface RedisDeferredStoreOptions {
  /** One node (`redis://host:port`) or a Redis Cluster (comma-separated `redis://host:port` seeds). */
  url: string;
  /** Namespace; keys share one hash tag so the scripts and transactions run on Redis Cluster. */
  name?: string;
}

/** A sorted set per class (score = release time), a lease set per class, one item hash. */
export function createRedisDeferredStore(opts: RedisDeferredStoreOptions): DeferredStore {
  const { client: redis, release } = useRedis(opts.url, { maxRetriesPerRequest: 3 });
  const tag = `{quarry:gate:${opts.name ?? 'default'}}`;
  const keys = (cls: Priority) => [`${tag}:wait:${cls}`, `${tag}:lease:${cls}`, `${tag}:items`];
  redis.defineCommand('quarryClaim', { numberOfKeys: 3, lua: CLAIM });
  const claimCmd = (redis as unknown as { quarryClaim(...a: (string | number)[]): Promise<(string | null)[]> }).quarryClaim.bind(redis);

  const oldestOf = async (key: string, items: string): Promise<number | undefined> => {
    const [id] = await redis.zrange(key, 0, 0);
    if (!id) return undefined;
    const v = await redis.hget(items, id);
    return v ? decodeGateItem(v).enqueuedMs : undefined;
  };

  return {
    async put(items, notBeforeMs) {
      if (items.length === 0) return;
      const m = redis.multi();
      for (const it of items) {
        const [wait, , hash] = keys(it.priority);
        m.hset(hash!, it.id, encodeGateItem(it));
        m.zadd(wait!, notBeforeMs ?? it.enqueuedMs, it.id);
      }
      await m.exec();
    },
    async claim(cls, max, nowMs, leaseMs) {
      const raw = await claimCmd(...keys(cls), nowMs, Math.max(0, Math.floor(max)), nowMs + leaseMs);
      return raw.filter((v): v is string => typeof v === 'string').map(decodeGateItem);
    },
    async ack(cls, ids) {
      if (ids.length === 0) return;
      const [, lease, hash] = keys(cls);
      await redis.multi().zrem(lease!, ...ids).hdel(hash!, ...ids).exec();
    },
    async size(cls) {
      const [wait, lease] = keys(cls);
      const [a, b] = await Promise.all([redis.zcard(wait!), redis.zcard(lease!)]);
      return a + b;
    },
    async oldestAgeMs(cls, nowMs) {
      const [wait, lease, hash] = keys(cls);
      const ts = (await Promise.all([oldestOf(wait!, hash!), oldestOf(lease!, hash!)])).filter((x): x is number => x !== undefined);
      return ts.length === 0 ? 0 : Math.max(0, nowMs - Math.min(...ts));
    },
    async close() { await release(); },
  };
}
