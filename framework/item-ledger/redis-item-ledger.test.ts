import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { itemLedgerContract, useRedisTestServer } from '../testing/index.ts';
import { createRedisItemLedger } from './index.ts';

const redisServer = useRedisTestServer('item-ledger');
const { url, admin } = redisServer;

itemLedgerContract('redis', async ({ now, retentionMs }) => createRedisItemLedger({ redis: url, namespace: redisServer.namespace(), now, retentionMs }));

describe('Redis item ledger specifics', () => {
  const keysOf = async (namespace: string): Promise<string[]> => (await admin.keys(`${namespace}:*`)).sort();

  it('replaces the live hash with a compact, expiring record when the item ends', async () => {
    const namespace = redisServer.namespace();
    let t = 1_700_000_000_000;
    const ledger = createRedisItemLedger({ redis: admin, namespace, now: () => t, retentionMs: 60_000 });
    const ref = { dag: 'image-ingest', messageId: 'm1' };
    const tag = '{image-ingest:m1}';
    await ledger.open({ ref, itemKey: 'https://x/1.jpg', tokens: ['a<'], createdMs: t });
    await ledger.addTokens(ref, ['b<a', 'c<a', 'd<b', 'd<c']);
    await ledger.arrive(ref, 'd', 'b', ['b', 'c']);
    await ledger.claim(ref, 'a<', 'w1', 1000);
    await ledger.event(ref, { node: 'a', status: 'ok', atMs: t });
    assert.deepEqual(await keysOf(namespace), [
      `${namespace}:c:{image-ingest}`, `${namespace}:e:${tag}`, `${namespace}:f:{image-ingest}`, `${namespace}:i:${tag}`,
      `${namespace}:k:{image-ingest}:https://x/1.jpg`,
    ]);
    assert.equal(await admin.pttl(`${namespace}:k:{image-ingest}:https://x/1.jpg`), -1);
    for (const token of ['a<', 'b<a', 'c<a', 'd<b']) await ledger.finish(ref, token);
    t += 5;
    assert.equal((await ledger.finish(ref, 'd<c')).terminal, true);

    // The live hash and the in-flight entry are gone; what is left expires with the retention.
    assert.deepEqual(await keysOf(namespace), [
      `${namespace}:c:{image-ingest}`, `${namespace}:e:${tag}`, `${namespace}:k:{image-ingest}:https://x/1.jpg`, `${namespace}:r:${tag}`,
    ]);
    for (const key of [`${namespace}:e:${tag}`, `${namespace}:k:{image-ingest}:https://x/1.jpg`, `${namespace}:r:${tag}`]) {
      const ttl = await admin.pttl(key);
      assert.ok(ttl > 0 && ttl <= 60_000, `${key} expires (pttl ${ttl})`);
    }
    const record = await admin.hgetall(`${namespace}:r:${tag}`);
    assert.deepEqual(Object.keys(record).sort(), ['endedMs', 'expiresMs', 'meta', 'state']);
    // An event logged after the end expires with the record too.
    await admin.del(`${namespace}:e:${tag}`);
    await ledger.event(ref, { node: 'a', status: 'duplicate', atMs: t });
    assert.ok((await admin.pttl(`${namespace}:e:${tag}`)) > 0);
    await ledger.close();
  });

  it('keeps state proportional to items in flight, not to items processed', async () => {
    const namespace = redisServer.namespace();
    const ledger = createRedisItemLedger({ redis: admin, namespace, retentionMs: 60_000 });
    for (let i = 0; i < 200; i++) {
      const ref = { dag: 'page-ingest', messageId: `m${i}` };
      await ledger.open({ ref, itemKey: `k${i % 10}`, tokens: ['a<'], createdMs: i });
      await ledger.finish(ref, 'a<');
    }
    const keys = await keysOf(namespace);
    // One record per ended item (expiring), ten key-index entries, one counters hash, nothing live.
    assert.equal(keys.filter((k) => k.includes(':r:')).length, 200);
    assert.equal(keys.filter((k) => k.includes(':i:') || k.includes(':f:')).length, 0);
    assert.equal(keys.filter((k) => k.includes(':k:')).length, 10);
    for (const key of keys.filter((k) => !k.includes(':c:'))) assert.ok((await admin.pttl(key)) > 0, `${key} expires`);
    await ledger.close();
  });

  it('really expires records in Redis, not just on the caller clock', async () => {
    const namespace = redisServer.namespace();
    const ledger = createRedisItemLedger({ redis: admin, namespace, retentionMs: 1 });
    const ref = { dag: 'd', messageId: 'm' };
    await ledger.open({ ref, itemKey: 'k', tokens: ['a<'], createdMs: 0 });
    await ledger.finish(ref, 'a<');
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(await keysOf(namespace), [`${namespace}:c:{d}`]);
    await ledger.close();
  });

  it('rejects a bad namespace listing the problem', () => {
    assert.throws(() => createRedisItemLedger({ redis: admin, namespace: '' }), /Expected `namespace` to be a non-empty string/);
  });
});
