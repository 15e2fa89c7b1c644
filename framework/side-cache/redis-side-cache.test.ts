import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { sideCacheContract, useRedisTestServer } from '../testing/index.ts';
import { createRedisSideCache } from './index.ts';

const redisServer = useRedisTestServer('side-cache');
const { url, admin } = redisServer;
const clusterServer = useRedisTestServer('side-cache', { cluster: true });

sideCacheContract('redis', async () => createRedisSideCache({ redis: url, namespace: redisServer.namespace() }));
sideCacheContract('redis-cluster', async () => createRedisSideCache({ redis: clusterServer.url, namespace: clusterServer.namespace() }));

type Writable = { stream: { write: (...args: unknown[]) => boolean } };
/** Counts socket writes on the given connections while `fn` runs: a pipeline is one write. */
async function countWrites<T>(connections: readonly unknown[], fn: () => Promise<T>): Promise<[T, number]> {
  let writes = 0;
  const restore = connections.map((c) => {
    const stream = (c as Writable).stream;
    const write = stream.write.bind(stream);
    stream.write = (...args: unknown[]) => {
      writes += 1;
      return write(...args);
    };
    return () => { stream.write = write; };
  });
  try {
    return [await fn(), writes];
  } finally {
    for (const r of restore) r();
  }
}

describe('Redis side-cache specifics', () => {
  it('stores one hash per tuple under the namespace with a hash tag, and reads in one round trip', async () => {
    const namespace = redisServer.namespace();
    const client = new Redis(url, { maxRetriesPerRequest: 1 });
    await client.ping();
    const cache = createRedisSideCache({ redis: client, namespace });
    await cache.write('msg-1', new Map([['a', Uint8Array.of(1, 2, 3)]]));
    assert.equal(await admin.type(`${namespace}:t:{msg-1}`), 'hash');
    // Count socket writes on this dedicated connection: a pipeline is one write, one round trip.
    const [got, writes] = await countWrites([client], () => cache.readMany(Array.from({ length: 20 }, (_, i) => ({ tupleRef: `msg-${i}`, fields: ['a'] }))));
    assert.equal(writes, 1);
    assert.equal(got.filter((x) => x !== null).length, 1);
    await cache.close(); // a borrowed client stays open
    assert.equal(await client.ping(), 'PONG');
    await client.quit();
  });

  it('rejects a bad namespace listing the problem', () => {
    assert.throws(() => createRedisSideCache({ redis: admin, namespace: '' }), /Expected `namespace` to be a non-empty string/);
  });

  it('on a Redis Cluster, reads tuples of every master in one pipeline per master and counts them all', async () => {
    const cluster = clusterServer.admin;
    const namespace = clusterServer.namespace();
    const cache = createRedisSideCache({ redis: cluster, namespace });
    for (let i = 0; i < 30; i++) await cache.write(`msg-${i}`, new Map([['n', Uint8Array.of(i)]]));
    const masters = cluster.nodes('master');
    assert.equal(masters.length, 3);
    const perMaster = await Promise.all(masters.map(async (node) => (await node.keys(`${namespace}:t:*`)).length));
    assert.ok(perMaster.every((n) => n > 0), `tuples on every master: ${perMaster.join(',')}`);
    const reads = Array.from({ length: 31 }, (_, i) => ({ tupleRef: `msg-${i}`, fields: ['n'] }));
    const [got, writes] = await countWrites(masters, () => cache.readMany(reads));
    assert.equal(writes, 3, 'one pipeline per master');
    got.forEach((values, i) => assert.deepEqual(values === null ? null : [...(values.get('n') ?? [])], i < 30 ? [i] : null));
    assert.deepEqual(await cache.stats(), { tuples: 30, bytes: 30 });
    await cache.close();
  });
});
