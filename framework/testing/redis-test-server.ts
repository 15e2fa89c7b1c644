// Real-Redis tests: fail clearly when Redis is unreachable, give each adapter a fresh namespace,
// and delete every key the run wrote. `{ cluster: true }` runs on the Redis Cluster of the test
// command (QUARRY_TEST_REDIS_CLUSTER, seeds as framework/redis reads them).
import { after, before } from 'node:test';
import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { createRedisClient, escapeGlob, execBatch, scanKeys, type RedisClient } from '../redis/index.ts';

export interface RedisTestServer<C extends RedisClient = Redis> {
  url: string;
  /** A client for checks (connected before the tests run): a Cluster client on the cluster. */
  admin: C;
  /** A fresh namespace under this run's prefix. */
  namespace(): string;
}

export const DEFAULT_TEST_REDIS_CLUSTER = 'redis://127.0.0.1:7001,redis://127.0.0.1:7002,redis://127.0.0.1:7003';

export function useRedisTestServer(kind: string): RedisTestServer<Redis>;
export function useRedisTestServer(kind: string, options: { cluster: true }): RedisTestServer<Cluster>;
export function useRedisTestServer(kind: string, options: { cluster?: boolean } = {}): RedisTestServer<RedisClient> {
  const [url, variable] = options.cluster
    ? [process.env.QUARRY_TEST_REDIS_CLUSTER ?? DEFAULT_TEST_REDIS_CLUSTER, 'QUARRY_TEST_REDIS_CLUSTER']
    : [process.env.QUARRY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6390', 'QUARRY_TEST_REDIS_URL'];
  const run = `quarry-test:${kind}:${randomUUID()}`;
  const admin = createRedisClient(url, { lazyConnect: true, maxRetriesPerRequest: 1, noReconnect: true });
  let n = 0;
  before(async () => {
    try {
      await admin.connect();
      await admin.ping();
      if (options.cluster && !admin.isCluster) throw new Error('the URL names a single node, not a cluster');
    } catch (err) {
      throw new Error(`Redis${options.cluster ? ' Cluster' : ''} is not reachable at ${url} (set ${variable}; scripts/services.sh starts it): ${(err as Error).message}`);
    }
  });
  after(async () => {
    await deleteMatching(admin, `${escapeGlob(run)}:*`);
    await admin.quit();
  });
  return { url, admin, namespace: () => `${run}:${++n}` };
}

/** Deletes every key matching a SCAN glob, on every master of a Cluster. */
export async function deleteMatching(client: RedisClient, pattern: string): Promise<number> {
  let deleted = 0;
  for await (const keys of scanKeys(client, pattern)) {
    await execBatch(client, keys.map((key) => ({ key, name: 'unlink', args: [key] })));
    deleted += keys.length;
  }
  return deleted;
}
