import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import assert from 'node:assert/strict';
import { itemLedgerContract, useRedisTestServer } from '../testing/index.ts';
import { createRedisSideCache } from '../side-cache/index.ts';
import { BUCKETS, bucketOf, createRedisItemLedger } from './index.ts';

const redisServer = useRedisTestServer('item-ledger');
const clusterServer = useRedisTestServer('item-ledger', { cluster: true });
const { url, admin } = redisServer;

for (const [name, server] of [['redis', redisServer], ['redis-cluster', clusterServer]] as const) {
  itemLedgerContract(name, async ({ now, retentionMs }) => {
    const namespace = server.namespace();
    const sideCache = createRedisSideCache({ redis: server.url, namespace });
    const ledger = createRedisItemLedger({ redis: server.url, namespace, now, ...(retentionMs ? { retentionMs } : {}) });
    return { ledger: { ...ledger, close: async () => { await ledger.close(); await sideCache.close(); } }, sideCache };
  });
}

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

  it('mends a by-key entry lost between an open and its index write (a process killed there)', async () => {
    const namespace = redisServer.namespace();
    const ledger = createRedisItemLedger({ redis: admin, namespace, retentionMs: 60_000 });
    const indexEntry = (messageId: string) => `${namespace}:k:kids:default:item-${messageId}`;
    const open = (messageId: string) => ({ ref: { dag: 'kids', messageId }, itemKey: `item-${messageId}`, tokens: ['a<'], createdMs: 1, fields: new Map(), dedupe: { windowMs: 60_000 } });
    const killedBeforeIndex = async (messageId: string) => {
      await ledger.open([open(messageId)]);
      await admin.del(indexEntry(messageId));
    };
    // Re-admitted while it runs (its parent ran again): the entry comes back, naming it.
    await killedBeforeIndex('c1');
    assert.deepEqual(await ledger.open([open('c1')]), [{ status: 'in-flight', reproduce: true }]);
    assert.equal(await admin.get(indexEntry('c1')), 'c1|L');
    // Never re-admitted: its end writes the entry.
    await ledger.commit([{ ref: { dag: 'kids', messageId: 'c1' }, token: 'a<', kind: 'advance' }]);
    await killedBeforeIndex('c2');
    await ledger.commit([{ ref: { dag: 'kids', messageId: 'c2' }, token: 'a<', kind: 'advance' }]);
    assert.equal((await ledger.findByKey('kids', 'item-c2'))?.messageId, 'c2');
    assert.equal((await ledger.findByKey('kids', 'item-c2'))?.state, 'completed');
    assert.deepEqual(await ledger.open([open('c2')]), [{ status: 'ended', state: 'completed' }]);
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

  it('claims a batch in one round trip: one script call for the whole batch', async () => {
    const namespace = redisServer.namespace();
    const client = new Redis(url);
    const ledger = createRedisItemLedger({ redis: client, namespace });
    const refs = Array.from({ length: 50 }, (_, i) => ({ dag: 'd', messageId: `rt${i}` }));
    await ledger.open(refs.map((ref) => ({ ref, itemKey: ref.messageId, tokens: ['a<'], createdMs: 0, fields: new Map([['x', enc.encode('1')]]) })));
    let sent = 0;
    const sendCommand = client.sendCommand.bind(client);
    client.sendCommand = ((...args: Parameters<typeof sendCommand>) => { sent += 1; return sendCommand(...args); }) as typeof client.sendCommand;
    const evalsha = async () => {
      const stats = await admin.info('commandstats');
      return ['eval', 'evalsha'].reduce((n, c) => n + Number(new RegExp(`cmdstat_${c}:calls=(\\d+)`).exec(stats)?.[1] ?? 0), 0);
    };
    try {
      const before = await evalsha();
      const claims = await ledger.claim(refs.map((ref) => ({ ref, token: 'a<', reads: ['x'] })), { owner: 'w', leaseMs: 1000 });
      assert.ok(claims.every((c) => c.status === 'run'));
      assert.equal(sent, 1, 'one command sent');
      assert.equal((await evalsha()) - before, 1, 'one script call');
    } finally {
      await ledger.close();
      client.disconnect();
    }
  });

  it('rejects a bad namespace listing the problem', () => {
    assert.throws(() => createRedisItemLedger({ redis: admin, namespace: '' }), /Expected `namespace` to be a non-empty string/);
  });
});
