import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { blobStoreContract, useRedisTestServer } from '../testing/index.ts';
import { createRedisBlobStore } from './index.ts';

const redisServer = useRedisTestServer('blob-store');
const { url, admin } = redisServer;
const clusterServer = useRedisTestServer('blob-store', { cluster: true });

blobStoreContract('redis', async () => createRedisBlobStore({ redis: url, namespace: redisServer.namespace() }));
blobStoreContract('redis-cluster', async () => createRedisBlobStore({ redis: clusterServer.url, namespace: clusterServer.namespace() }));

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

  it('on a Redis Cluster, spreads blobs over every master and counts and deletes them on all', async () => {
    const cluster = clusterServer.admin;
    const namespace = clusterServer.namespace();
    const store = createRedisBlobStore({ redis: cluster, namespace });
    const refs = await Promise.all(Array.from({ length: 60 }, (_, i) => store.put(`item-${i}/image`, Uint8Array.of(i, i))));
    const masters = cluster.nodes('master');
    assert.equal(masters.length, 3);
    const perMaster = await Promise.all(masters.map(async (node) => (await node.keys(`${namespace}:b:*`)).length));
    assert.ok(perMaster.every((n) => n > 0), `blobs on every master: ${perMaster.join(',')}`);
    assert.deepEqual(await store.stats(), { blobs: 60, bytes: 120 });
    await store.delete(refs.slice(0, 45)); // one batch whose keys live on three nodes
    assert.deepEqual(await store.stats(), { blobs: 15, bytes: 30 });
    assert.deepEqual([...((await store.get(refs[50]!)) ?? [])], [50, 50]);
    await store.close();
  });
});
