// Adapters against the real servers (Kafka, Redis on loopback); unreachable = failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { deleteMatching } from '../../framework/testing/index.ts';
import { createRedisClient } from '../../framework/redis/index.ts';
import { backlogContract, contractItem, pullUntil } from '../backlog-contract.ts';
import type { GateItem } from '../gate-item.ts';
import { deferredStoreContract } from '../deferred-store-contract.ts';
import { createKafkaBacklog } from './kafka-backlog.ts';
import { createRedisDeferredStore } from './redis-deferred-store.ts';
import { intakeCountsContract } from '../intake-counts-contract.ts';
import { createRedisGateShared } from './redis-gate-shared.ts';
import { kafkaBrokers, redisClusterUrl, redisUrl, requireServers } from './test-servers.ts';

await requireServers({ cluster: true });

let prefix = `quarry-test-gate-${randomUUID().slice(0, 8)}`;
backlogContract('kafka', {
  open: () => createKafkaBacklog({ brokers: kafkaBrokers(), topicPrefix: prefix, groupId: `${prefix}-g` }),
  reset: async () => { prefix = `quarry-test-gate-${randomUUID().slice(0, 8)}`; },
});

for (const [kind, url] of [['redis', redisUrl()], ['redis-cluster', redisClusterUrl()]] as const) {
  let name = `test-${randomUUID().slice(0, 8)}`;
  const names: string[] = [name];
  deferredStoreContract(kind, {
    open: async () => createRedisDeferredStore({ url, name }),
    reset: async () => { name = `test-${randomUUID().slice(0, 8)}`; names.push(name); },
    cleanup: async () => {
      const r = createRedisClient(url);
      for (const n of names) await deleteMatching(r, `{quarry:gate:${n}}*`);
      await r.quit();
    },
  });
}

for (const [kind, url] of [['redis', redisUrl()], ['redis-cluster', redisClusterUrl()]] as const) {
  let name = '';
  let lease = 60_000;
  const names: string[] = [];
  const handle = () => {
    const shared = createRedisGateShared({ url, name, leaseMs: lease });
    return { counts: shared.counts, quotas: shared.quotas, close: () => shared.close() };
  };
  intakeCountsContract(kind, {
    open: async ({ leaseMs }) => {
      name = `test-${randomUUID().slice(0, 8)}`;
      names.push(name);
      lease = leaseMs;
      return handle();
    },
    other: async () => handle(),
    cleanup: async () => {
      const r = createRedisClient(url);
      for (const n of names) await deleteMatching(r, `{quarry:gate:${n}}*`);
      await r.quit();
    },
  });
}

test('Kafka backlog: a small buffer pauses the consumer and resumes as items are pulled, in order, none lost', async () => {
  const p = `quarry-test-gate-pause-${randomUUID().slice(0, 8)}`;
  const b = await createKafkaBacklog({ brokers: kafkaBrokers(), topicPrefix: p, groupId: `${p}-g`, bufferMax: 5 });
  try {
    const items = Array.from({ length: 60 }, () => contractItem('normal'));
    await b.push(items);
    const got: GateItem[] = [];
    while (got.length < items.length) {
      const chunk = await pullUntil(b, 'normal', Math.min(7, items.length - got.length), 20_000);
      assert.ok(chunk.length > 0, `stalled after ${got.length} items (paused and never resumed?)`);
      got.push(...chunk);
      await b.ack('normal', chunk.map((i) => i.id));
    }
    assert.deepEqual(got.map((i) => i.id), items.map((i) => i.id));
    assert.equal(await b.size('normal'), 0, 'offsets committed to the end');
  } finally { await b.close(); }
});
