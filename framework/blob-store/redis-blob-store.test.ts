import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { blobStoreContract } from '../testing/index.ts';
import { createRedisBlobStore } from './index.ts';

const url = process.env.QUARRY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6390';
const run = `quarry-test:blob-store:${randomUUID()}`;
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

blobStoreContract('redis', async () => createRedisBlobStore({ redis: url, namespace: `${run}:${++n}` }));

describe('Redis blob store specifics', () => {
  it('keeps blobs as strings under the namespace and hands out refs naming it', async () => {
    const namespace = `${run}:${++n}`;
    const store = createRedisBlobStore({ redis: admin, namespace });
    const ref = await store.put('msg-1/html', Uint8Array.of(1, 2, 3));
    assert.equal(ref, `redis:${namespace}:b:msg-1/html`);
    assert.deepEqual(await admin.getBuffer(`${namespace}:b:msg-1/html`), Buffer.from([1, 2, 3]));
    const other = createRedisBlobStore({ redis: admin, namespace: `${namespace}-other` });
    await assert.rejects(other.get(ref), /does not belong to this Redis blob store \(namespace/);
    await store.close(); // a borrowed client stays open
    assert.equal(await admin.ping(), 'PONG');
  });

  it('rejects a bad namespace listing the problem', () => {
    assert.throws(() => createRedisBlobStore({ redis: admin, namespace: '' }), /Expected `namespace` to be a non-empty string/);
  });
});
