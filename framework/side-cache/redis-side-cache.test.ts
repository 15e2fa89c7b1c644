import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { sideCacheContract } from '../testing/index.ts';
import { createRedisSideCache } from './index.ts';

const url = process.env.QUARRY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6390';
const run = `quarry-test:side-cache:${randomUUID()}`;
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

sideCacheContract('redis', async () => createRedisSideCache({ redis: url, namespace: `${run}:${++n}` }));

describe('Redis side-cache specifics', () => {
  it('stores one hash per tuple under the namespace with a hash tag, and reads in one round trip', async () => {
    const namespace = `${run}:${++n}`;
    const client = new Redis(url, { maxRetriesPerRequest: 1 });
    await client.ping();
    const cache = createRedisSideCache({ redis: client, namespace });
    await cache.write('msg-1', new Map([['a', Uint8Array.of(1, 2, 3)]]));
    assert.equal(await admin.type(`${namespace}:t:{msg-1}`), 'hash');
    // Count socket writes on this dedicated connection: a pipeline is one write, one round trip.
    const stream = (client as unknown as { stream: { write: (...args: unknown[]) => boolean } }).stream;
    const write = stream.write.bind(stream);
    let writes = 0;
    stream.write = (...args: unknown[]) => {
      writes += 1;
      return write(...args);
    };
    const got = await cache.readMany(Array.from({ length: 20 }, (_, i) => ({ tupleRef: `msg-${i}`, fields: ['a'] })));
    stream.write = write;
    assert.equal(writes, 1);
    assert.equal(got.filter((x) => x !== null).length, 1);
    await cache.close(); // a borrowed client stays open
    assert.equal(await client.ping(), 'PONG');
    await client.quit();
  });

  it('rejects a bad namespace listing the problem', () => {
    assert.throws(() => createRedisSideCache({ redis: admin, namespace: '' }), /Expected `namespace` to be a non-empty string/);
  });
});
