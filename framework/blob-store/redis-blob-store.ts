// Blobs as Redis strings at `${namespace}:b:${key}`; refs are `redis:${namespace}:b:${key}`, so a
// ref names its namespace and a store refuses refs from another namespace or store kind.
// Keys carry no hash tag: on a Redis Cluster blobs spread over every master.
import type { BlobStore } from './blob-store.ts';
import { ConfigError } from '../errors/index.ts';
import { checkBytes, checkKey, keyOfRef } from './internal/refs.ts';
import { escapeGlob, execBatch, scanKeys, useRedis, type RedisClient } from '../redis/index.ts';

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
