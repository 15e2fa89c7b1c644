// An adapter either owns its connection (built from a URL, closed by `close()`) or borrows the
// caller's (left open: the caller shares it with other adapters).
import { Cluster, Redis } from 'ioredis';
import { parseRedisUrl } from './redis-url.ts';

/** A single-node client or a Redis Cluster client: every Redis adapter takes either. */
export type RedisClient = Redis | Cluster;

export interface RedisHandle {
  client: RedisClient;
  release(): Promise<void>;
}

export interface RedisClientOptions {
  /** Per command, across reconnects (ioredis default 20). */
  maxRetriesPerRequest?: number;
  /** Connect on the first command or on `connect()`, not at construction. */
  lazyConnect?: boolean;
  /** Give up instead of reconnecting (tests that must fail clearly when the server is absent). */
  noReconnect?: boolean;
}

/**
 * Builds the client a URL names: a `Redis` for one node, a `Cluster` for several seeds.
 * A single node auto-pipelines: commands issued while a pipeline is on the wire go together in
 * the next one, so concurrent callers (a miner's nodes) share socket writes. A Cluster does not:
 * ioredis picks an auto-pipeline's slot from the first argument, which for the ledger's scripts
 * is their key count, not a key.
 */
export function createRedisClient(url: string, options: RedisClientOptions = {}): RedisClient {
  const target = parseRedisUrl(url);
  const { maxRetriesPerRequest = 3, lazyConnect = false, noReconnect = false } = options;
  if (target.kind === 'node') {
    return new Redis(target.url, { maxRetriesPerRequest, lazyConnect, enableAutoPipelining: true, ...(noReconnect ? { retryStrategy: () => null } : {}) });
  }
  return new Cluster(target.seeds, {
    lazyConnect,
    ...(noReconnect ? { clusterRetryStrategy: () => null } : {}),
    redisOptions: {
      maxRetriesPerRequest,
      ...(target.username !== undefined ? { username: target.username } : {}),
      ...(target.password !== undefined ? { password: target.password } : {}),
      ...(target.tls ? { tls: {} } : {}),
    },
  });
}

export function useRedis(redis: string | RedisClient, options: RedisClientOptions = {}): RedisHandle {
  if (typeof redis !== 'string') return { client: redis, release: async () => {} };
  const client = createRedisClient(redis, options);
  return {
    client,
    async release() {
      await client.quit().catch(() => client.disconnect());
    },
  };
}

export function isCluster(client: RedisClient): client is Cluster {
  return client.isCluster;
}
