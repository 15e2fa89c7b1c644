// Real-Redis tests: fail clearly when Redis is unreachable, give each adapter a fresh namespace,
// and delete every key the run wrote.
import { after, before } from 'node:test';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

export interface RedisTestServer {
  url: string;
  /** A client for checks (connected before the tests run). */
  admin: Redis;
  /** A fresh namespace under this run's prefix. */
  namespace(): string;
}

export function useRedisTestServer(kind: string): RedisTestServer {
  const url = process.env.QUARRY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6390';
  const run = `quarry-test:${kind}:${randomUUID()}`;
  const admin = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  let n = 0;
  before(async () => {
    try {
      await admin.connect();
      await admin.ping();
    } catch (err) {
      throw new Error(`Redis is not reachable at ${url} (set QUARRY_TEST_REDIS_URL): ${(err as Error).message}`);
    }
  });
  after(async () => {
    const keys = await admin.keys(`${run}:*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  });
  return { url, admin, namespace: () => `${run}:${++n}` };
}
