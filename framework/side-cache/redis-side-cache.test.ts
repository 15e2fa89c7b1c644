import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { sideCacheContract, useRedisTestServer } from '../testing/index.ts';
import { createRedisSideCache } from './index.ts';

const redisServer = useRedisTestServer('side-cache');
const { url, admin } = redisServer;

sideCacheContract('redis', async () => createRedisSideCache({ redis: url, namespace: redisServer.namespace() }));

describe('Redis side-cache specifics', () => {
  it('stores one hash per tuple under the namespace with a hash tag, and reads in one round trip', async () => {
    const namespace = redisServer.namespace();
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
