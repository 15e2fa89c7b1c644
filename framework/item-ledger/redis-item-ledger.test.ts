import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { itemLedgerContract, useRedisTestServer } from '../testing/index.ts';
import { createRedisSideCache } from '../side-cache/index.ts';
import { BUCKETS, bucketOf, createRedisItemLedger } from './index.ts';

const redisServer = useRedisTestServer('item-ledger');
const { url, admin } = redisServer;

itemLedgerContract('redis', async ({ now, retentionMs }) => {
  const namespace = redisServer.namespace();
  const sideCache = createRedisSideCache({ redis: url, namespace });
  const ledger = createRedisItemLedger({ redis: url, namespace, now, ...(retentionMs ? { retentionMs } : {}) });
  return { ledger: { ...ledger, close: async () => { await ledger.close(); await sideCache.close(); } }, sideCache };
});

const enc = new TextEncoder();

describe('Redis item ledger specifics', () => {
  const keysOf = async (namespace: string): Promise<string[]> => (await admin.keys(`${namespace}:*`)).sort();

  it('keeps one item in one hash slot (its tag), and replaces its live state with a compact, expiring record', async () => {
    const namespace = redisServer.namespace();
    let t = 1_700_000_000_000;
    const ledger = createRedisItemLedger({ redis: admin, namespace, now: () => t, retentionMs: 60_000, tupleTtlMs: 30_000 });
    const ref = { dag: 'image-ingest', messageId: 'm1' };
    const tag = `{image-ingest#${bucketOf('m1')}}`;
    await ledger.open([{ ref, itemKey: 'https://x/1.jpg', tokens: ['a<'], createdMs: t, fields: new Map([['url', enc.encode('"u"')]]) }]);
    await ledger.claim([{ ref, token: 'a<', reads: ['url'] }], { owner: 'w1', leaseMs: 1000 });
    await ledger.commit([{ ref, token: 'a<', kind: 'advance', successors: ['b<a', 'c<a'], event: { node: 'a', status: 'ok', atMs: t } }]);
    assert.deepEqual(await keysOf(namespace), [
      `${namespace}:c:${tag}`, `${namespace}:e:${tag}m1`, `${namespace}:f:${tag}`, `${namespace}:i:${tag}m1`,
      `${namespace}:k:image-ingest:default:https://x/1.jpg`, `${namespace}:t:${tag}m1`,
    ]);
    const ttl = await admin.pttl(`${namespace}:t:${tag}m1`);
    assert.ok(ttl > 0 && ttl <= 30_000, `a live tuple expires unless touched (pttl ${ttl})`);
    for (const token of ['b<a', 'c<a']) {
      t += 5;
      await ledger.commit([{ ref, token, kind: 'advance' }]);
    }
    // The live hash, tuple and in-flight entry are gone; what is left expires with the retention.
    assert.deepEqual(await keysOf(namespace), [`${namespace}:c:${tag}`, `${namespace}:e:${tag}m1`, `${namespace}:k:image-ingest:default:https://x/1.jpg`, `${namespace}:r:${tag}m1`]);
    for (const key of [`${namespace}:e:${tag}m1`, `${namespace}:k:image-ingest:default:https://x/1.jpg`, `${namespace}:r:${tag}m1`]) {
      const left = await admin.pttl(key);
      assert.ok(left > 0 && left <= 60_000, `${key} expires (pttl ${left})`);
    }
    assert.deepEqual(Object.keys(await admin.hgetall(`${namespace}:r:${tag}m1`)).sort(), ['endedMs', 'expiresMs', 'meta', 'state']);
    assert.match(await admin.get(`${namespace}:k:image-ingest:default:https://x/1.jpg`) ?? '', /^m1\|E\|\d+$/);
    await ledger.close();
  });

  it('keeps state proportional to items in flight, not to items processed; counters are per bucket', async () => {
    const namespace = redisServer.namespace();
    const ledger = createRedisItemLedger({ redis: admin, namespace, retentionMs: 60_000 });
    for (let i = 0; i < 200; i += 20) {
      const refs = Array.from({ length: 20 }, (_, j) => ({ dag: 'page-ingest', messageId: `m${i + j}` }));
      await ledger.open(refs.map((ref, j) => ({ ref, itemKey: `k${(i + j) % 10}`, tokens: ['a<'], createdMs: i + j, fields: new Map() })));
      await ledger.commit(refs.map((ref) => ({ ref, token: 'a<', kind: 'advance' as const })));
    }
    const keys = await keysOf(namespace);
    assert.equal(keys.filter((k) => k.includes(':r:')).length, 200);
    assert.equal(keys.filter((k) => k.includes(':i:') || k.includes(':f:') || k.includes(':t:')).length, 0);
    assert.equal(keys.filter((k) => k.includes(':k:')).length, 10);
    assert.ok(keys.filter((k) => k.includes(':c:')).length <= BUCKETS);
    for (const key of keys.filter((k) => !k.includes(':c:'))) assert.ok((await admin.pttl(key)) > 0, `${key} expires`);
    assert.deepEqual(await ledger.counts('page-ingest'), { 'in-flight': 0, completed: 200, filtered: 0, 'dead-lettered': 0, quarantined: 0 });
    await ledger.close();
  });

  it('claims a batch in one round trip', async () => {
    const namespace = redisServer.namespace();
    const ledger = createRedisItemLedger({ redis: url, namespace });
    const refs = Array.from({ length: 50 }, (_, i) => ({ dag: 'd', messageId: `rt${i}` }));
    await ledger.open(refs.map((ref) => ({ ref, itemKey: ref.messageId, tokens: ['a<'], createdMs: 0, fields: new Map([['x', enc.encode('1')]]) })));
    const before = Number(/total_commands_processed:(\d+)/.exec(await admin.info('stats'))![1]);
    const claims = await ledger.claim(refs.map((ref) => ({ ref, token: 'a<', reads: ['x'] })), { owner: 'w', leaseMs: 1000 });
    const after = Number(/total_commands_processed:(\d+)/.exec(await admin.info('stats'))![1]);
    assert.ok(claims.every((c) => c.status === 'run'));
    // 50 script calls and this test's own INFO: nothing per item beyond its one script.
    assert.ok(after - before <= 52, `${after - before} commands for 50 claims`);
    await ledger.close();
  });

  it('rejects a bad namespace listing the problem', () => {
    assert.throws(() => createRedisItemLedger({ redis: admin, namespace: '' }), /Expected `namespace` to be a non-empty string/);
  });
});
