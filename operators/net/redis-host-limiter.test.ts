// The per-host limits shared through Redis, on a real server and on a Redis Cluster: two
// limiters, each with its own client as two spider processes would have, share one host's
// concurrency and delay; a slot held by a process that died frees itself when its lease ends;
// an unreachable Redis makes a request wait for a later try (HOST_BUSY), never go unlimited.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRedisClient, type RedisClient } from '../../framework/redis/index.ts';
import { useRedisTestServer } from '../../framework/testing/index.ts';
import { createRedisHostLimiter, isFetchError } from './index.ts';

const busy = (err: unknown) => isFetchError(err) && err.code === 'HOST_BUSY';

for (const [kind, server] of [['redis', useRedisTestServer('host-limits')], ['redis-cluster', useRedisTestServer('host-limits', { cluster: true })]] as const) {
  describe(`host limits shared through ${kind}`, () => {
    const prefix = `${server.namespace()}:`;
    const clients: RedisClient[] = [];
    const process = (leaseMs = 60_000) => {
      const redis = createRedisClient(server.url, { maxRetriesPerRequest: 2 });
      clients.push(redis);
      return createRedisHostLimiter({ redis, keyPrefix: prefix, leaseMs });
    };
    after(async () => {
      for (const c of clients) await c.quit();
    });

    it('two processes share one host\'s concurrency; a release lets the other in; other hosts are not held', async () => {
      const [a, b] = [process(), process()];
      const limit = { concurrency: 2, delayMs: 0 };
      const r1 = await a.acquire('site.test', 'http://site.test/1', limit, 1_000);
      const r2 = await b.acquire('site.test', 'http://site.test/2', limit, 1_000);
      await assert.rejects(a.acquire('site.test', 'http://site.test/3', limit, 300), busy, 'a third request to the host waits past maxWait');
      const other = await a.acquire('other.test', 'http://other.test/', limit, 300);
      other();
      const third = b.acquire('site.test', 'http://site.test/3', limit, 2_000);
      setTimeout(r1, 100);
      (await third)();
      r2();
      assert.deepEqual(a.stats('site.test'), { active: 0, waiting: 0 });
    });

    it('two processes keep one host\'s delay between their starts', async () => {
      const [a, b] = [process(), process()];
      const limit = { concurrency: 10, delayMs: 150 };
      const starts: number[] = [];
      await Promise.all([a, b, a, b].map(async (l, i) => {
        const release = await l.acquire('slow.test', `http://slow.test/${i}`, limit, 5_000);
        starts.push(Date.now());
        release();
      }));
      starts.sort((x, y) => x - y);
      const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
      assert.ok(gaps.every((g) => g >= 130), `starts at least the delay apart: ${gaps.join(', ')} ms`);
    });

    it('a slot held by a process that died frees itself when its lease ends', async () => {
      const dead = process(400);
      const live = process();
      const limit = { concurrency: 1, delayMs: 0 };
      await dead.acquire('held.test', 'http://held.test/a', limit, 1_000); // never released
      const t0 = Date.now();
      (await live.acquire('held.test', 'http://held.test/b', limit, 3_000))();
      assert.ok(Date.now() - t0 >= 250, 'the slot stayed held until its lease ended');
    });
  });
}

describe('host limits shared through an unreachable Redis', () => {
  it('make a request wait for a later try (HOST_BUSY), naming the cause', async () => {
    const redis = createRedisClient('redis://127.0.0.1:1', { maxRetriesPerRequest: 0, noReconnect: true });
    redis.on('error', () => undefined); // the refused connection is the point; the command's rejection carries it
    const limiter = createRedisHostLimiter({ redis });
    try {
      await assert.rejects(limiter.acquire('site.test', 'http://site.test/', { concurrency: 1, delayMs: 0 }, 500), (err: unknown) => busy(err) && /out of reach/.test((err as Error).message));
    } finally {
      redis.disconnect();
    }
  });
});
