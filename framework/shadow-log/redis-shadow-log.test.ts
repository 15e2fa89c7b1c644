import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { shadowLogContract, useRedisTestServer } from '../testing/index.ts';
import { createRedisShadowLog } from './index.ts';

const redisServer = useRedisTestServer('shadow-log');
const clusterServer = useRedisTestServer('shadow-log', { cluster: true });

shadowLogContract('redis', async (keep) => createRedisShadowLog({ redis: redisServer.url, namespace: redisServer.namespace(), keep }));
shadowLogContract('redis-cluster', async (keep) => createRedisShadowLog({ redis: clusterServer.url, namespace: clusterServer.namespace(), keep }));

describe('Redis shadow log specifics', () => {
  it('one process records, another reads: both see the same counts and samples', async () => {
    const namespace = redisServer.namespace();
    const miner = createRedisShadowLog({ redis: redisServer.url, namespace });
    const reader = createRedisShadowLog({ redis: redisServer.url, namespace });
    try {
      await miner.record('d', 'n', [{ shadow: 's', atMs: 1, itemKey: 'k', messageId: 'm', tenant: 't', fields: { f: false } }]);
      const r = await reader.report('d', 'n');
      assert.equal(r.shadows[0]?.compared, 1);
      assert.equal(r.samples[0]?.itemKey, 'k');
    } finally {
      await miner.close();
      await reader.close();
    }
  });

  it('keys a node\'s counts and samples in one Cluster slot, with a retention', async () => {
    const namespace = clusterServer.namespace();
    const log = createRedisShadowLog({ redis: clusterServer.admin, namespace, retentionMs: 60_000 });
    await log.record('dag', 'node', [{ shadow: 's', atMs: 1, itemKey: 'k', messageId: 'm', tenant: 't', fields: { f: false } }]);
    const counts = `${namespace}:shadow:{dag/node}:counts`;
    const samples = `${namespace}:shadow:{dag/node}:samples`;
    assert.equal(await clusterServer.admin.type(counts), 'hash');
    assert.equal(await clusterServer.admin.type(samples), 'list');
    const ttl = await clusterServer.admin.pttl(samples);
    assert.ok(ttl > 0 && ttl <= 60_000, `retention set: ${ttl}`);
    await log.close(); // a borrowed client stays open
    assert.equal(await clusterServer.admin.exists(counts), 1);
  });

  it('rejects a bad namespace naming the problem', () => {
    assert.throws(() => createRedisShadowLog({ redis: redisServer.url, namespace: '' }), /Expected `namespace` to be a non-empty string/);
  });
});
