// The clients createRedisClient builds, on the real servers of the test command: a single node
// shares socket writes between concurrent callers (auto-pipelining), a Cluster client reaches
// keys of every slot.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { DEFAULT_TEST_REDIS_CLUSTER } from '../testing/index.ts';
import { createRedisClient, type RedisClient } from './index.ts';

const run = `quarry-test:redis-connection:${randomUUID()}`;
const opened: RedisClient[] = [];
const open = (url: string): RedisClient => {
  const c = createRedisClient(url, { maxRetriesPerRequest: 1 });
  opened.push(c);
  return c;
};
after(async () => {
  for (const c of opened) await c.quit().catch(() => c.disconnect());
});

describe('createRedisClient', () => {
  it('on one node, sends commands issued together in one socket write', async () => {
    const redis = open(process.env.QUARRY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6390') as Redis;
    await redis.ping(); // connected, so the count below is of commands only
    const keys = Array.from({ length: 20 }, (_, i) => `${run}:${i}`);
    const stream = (redis as unknown as { stream: { write: (...a: unknown[]) => boolean } }).stream;
    const write = stream.write.bind(stream);
    let writes = 0;
    stream.write = (...a: unknown[]) => { writes += 1; return write(...a); };
    try {
      await Promise.all(keys.map((k, i) => redis.set(k, String(i), 'EX', 60)));
      const values = await Promise.all(keys.map((k) => redis.get(k)));
      assert.deepEqual(values, keys.map((_, i) => String(i)));
    } finally {
      stream.write = write;
    }
    // 40 commands in two bursts: one write per burst (a client without auto-pipelining writes 40).
    assert.equal(writes, 2);
    await redis.del(...keys);
  });

  it('on a Cluster, reaches keys of every slot with commands issued together', async () => {
    const cluster = open(process.env.QUARRY_TEST_REDIS_CLUSTER ?? DEFAULT_TEST_REDIS_CLUSTER);
    const keys = Array.from({ length: 30 }, (_, i) => `${run}:c:${i}`); // untagged: spread over the masters
    await Promise.all(keys.map((k, i) => cluster.set(k, String(i), 'EX', 60)));
    assert.deepEqual(await Promise.all(keys.map((k) => cluster.get(k))), keys.map((_, i) => String(i)));
    await Promise.all(keys.map((k) => cluster.del(k)));
  });
});
