import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { blobStoreContract, useRedisTestServer } from '../testing/index.ts';
import { createRedisBlobStore } from './index.ts';

const redisServer = useRedisTestServer('blob-store');
const { url, admin } = redisServer;

blobStoreContract('redis', async () => createRedisBlobStore({ redis: url, namespace: redisServer.namespace() }));

describe('Redis blob store specifics', () => {
  it('keeps blobs as strings under the namespace and hands out refs naming it', async () => {
    const namespace = redisServer.namespace();
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
