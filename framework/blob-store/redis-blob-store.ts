// Blobs as Redis strings at `${namespace}:b:${key}`; refs are `redis:${namespace}:b:${key}`, so a
// ref names its namespace and a store refuses refs from another namespace or store kind.
// Keys carry no hash tag: on a Redis Cluster blobs spread over every master.
import type { BlobStore } from './blob-store.ts';
import { ConfigError } from '../errors/index.ts';
import { checkBytes, checkIdleMs, checkKey, keyOfRef } from './internal/refs.ts';
import { escapeGlob, execBatch, scanKeys, useRedis, type RedisClient } from '../redis/index.ts';

// Deletes a blob unless it was put (or read: Redis keeps one access time) within ARGV[1] ms: one
// key, so the check and the delete are one step on its node. A blob with a TTL is an item's own
// and goes at once. `OBJECT IDLETIME` counts whole seconds of Redis's clock, so a window is kept
// one second longer (never shorter); with an LFU eviction policy Redis does not keep it, and the
// script fails saying so.
const DELETE_IDLE = `
local idle = redis.call('OBJECT', 'IDLETIME', KEYS[1])
if not idle then return 1 end
local window = tonumber(ARGV[1])
if window > 0 and redis.call('PTTL', KEYS[1]) < 0 and idle * 1000 < window + 1000 then return 0 end
redis.call('UNLINK', KEYS[1])
return 1`;

export interface RedisBlobStoreOptions {
  /** A URL (the store owns and closes the connection) or a client (the caller's to close). */
  redis: string | RedisClient;
  namespace: string;
}

export function createRedisBlobStore(options: RedisBlobStoreOptions): BlobStore {
  const namespace = options?.namespace;
  if (typeof namespace !== 'string' || namespace.length === 0) {
    throw new ConfigError([{ field: 'namespace', expected: 'a non-empty string', received: namespace }], 'Redis blob store options');
  }
  const { client, release } = useRedis(options.redis);
  const keyPrefix = `${namespace}:b:`;
  const refPrefix = `redis:${keyPrefix}`;
  const redisKeyOf = (ref: string): string => keyPrefix + keyOfRef(ref, refPrefix, `Redis blob store (namespace \`${namespace}\`)`);

  return {
    async put(key, bytes, opts = {}) {
      checkKey(key);
      checkBytes(bytes);
      const value = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      if (opts.ttlMs !== undefined) await client.set(keyPrefix + key, value, 'PX', Math.max(1, Math.round(opts.ttlMs)));
      else await client.set(keyPrefix + key, value);
      return refPrefix + key;
    },
    async get(ref) {
      const value = await client.getBuffer(redisKeyOf(ref));
      return value === null ? null : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    },
    async delete(refs) {
      const keys = refs.map(redisKeyOf);
      for (let i = 0; i < keys.length; i += 500) {
        await execBatch(client, keys.slice(i, i + 500).map((key) => ({ key, name: 'unlink', args: [key] })));
      }
    },
    async deleteIdle(refs, idleMs) {
      checkIdleMs(idleMs);
      const keys = refs.map(redisKeyOf);
      const kept: string[] = [];
      for (let i = 0; i < keys.length; i += 500) {
        const replies = await execBatch(client, keys.slice(i, i + 500).map((key) => ({ key, name: 'eval', args: [DELETE_IDLE, 1, key, Math.ceil(idleMs)] })));
        replies.forEach((deleted, j) => {
          if (Number(deleted) === 0) kept.push(refs[i + j]!);
        });
      }
      return kept;
    },
    async stats() {
      let blobs = 0;
      let bytes = 0;
      for await (const keys of scanKeys(client, `${escapeGlob(keyPrefix)}*`)) {
        for (const length of await execBatch(client, keys.map((key) => ({ key, name: 'strlen', args: [key] })))) {
          blobs += 1;
          bytes += Number(length);
        }
      }
      return { blobs, bytes };
    },
    async close() {
      await release();
    },
  };
}
