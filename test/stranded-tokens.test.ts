// Nothing strands in flight (#13): on real Kafka + Redis, a trigger that never reached the bus —
// the produce lost after the ledger opened its token — is produced again by the miner's sweep
// once the item has been quiet for `strandedAfterMs`: an entry trigger, and a successor's. The
// same run with the sweep off leaves the items in flight, so the sweep is what ends them. A
// trigger that only waits in its node's backlog is not produced a second time.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { compileDag, defineDag } from '../framework/dag/index.ts';
import { createKafkaBus, type TriggerBus } from '../framework/bus/index.ts';
import { createRedisBlobStore } from '../framework/blob-store/index.ts';
import { createRedisItemLedger } from '../framework/item-ledger/index.ts';
import { createRedisClient } from '../framework/redis/index.ts';
import { defineOperator } from '../framework/operator-sdk/index.ts';
import { startRuntime, type RuntimeOptions } from '../framework/runtime/index.ts';
import { createRedisSideCache } from '../framework/side-cache/index.ts';
import { deleteMatching } from '../framework/testing/index.ts';
import { decodeTrigger } from '../framework/wire/index.ts';

const KAFKA = (process.env.QUARRY_TEST_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const REDIS = process.env.QUARRY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6390';
const ns = `st${randomBytes(4).toString('hex')}`;
const dag = defineDag({ name: `strand-${ns}`, version: 1, source: ['n'], keep: ['out'], defaults: { timeoutMs: 5_000 } }, [
  { id: 'a', operator: 'strand-a', reads: ['n'], writes: ['m'] },
  { id: 'b', operator: 'strand-b', after: ['a'], reads: ['m'], writes: ['out'] },
]);
const operators = [
  defineOperator({ name: 'strand-a', version: '1', inputs: { n: z.string() }, outputs: { m: z.number() }, handler: async ({ n }) => ({ m: Number(n) * 2 }) }),
  defineOperator({ name: 'strand-b', version: '1', inputs: { m: z.number() }, outputs: { out: z.number() }, handler: async ({ m }) => ({ out: m + 1 }) }),
];

/** A bus that loses the first trigger of each item it is told to, as a producer dying after the ledger's commit would. */
function losingBus(bus: TriggerBus, loses: (node: string, itemKey: string) => boolean): TriggerBus & { lost: string[] } {
  const lost: string[] = [];
  const keep = (topic: string, m: { key: string; value: Uint8Array }): boolean => {
    if (!topic.includes(dag.name)) return true;
    let t;
    try {
      t = decodeTrigger(m.value);
    } catch {
      return true;
    }
    if (!loses(t.node, t.itemKey) || lost.includes(`${t.node} ${t.itemKey}`)) return true;
    lost.push(`${t.node} ${t.itemKey}`);
    return false;
  };
  return {
    lost,
    ensureTopics: (...a) => bus.ensureTopics(...a),
    produce: (topic, messages) => bus.produce(topic, messages.filter((m) => keep(topic, m))),
    produceMany: (batches) => bus.produceMany(batches.map((b) => ({ topic: b.topic, messages: b.messages.filter((m) => keep(b.topic, m)) }))),
    subscribe: (o) => bus.subscribe(o),
    lag: (g, t) => bus.lag(g, t),
    read: (t, o) => bus.read(t, o),
    close: async () => {},
  };
}

describe('stranded tokens on Kafka + Redis', () => {
  const redis = createRedisClient(REDIS);
  const bus = createKafkaBus({ brokers: KAFKA, clientId: ns });
  const ledger = createRedisItemLedger({ redis, namespace: ns });
  const backends: Pick<RuntimeOptions, 'bus' | 'ledger' | 'sideCache' | 'blobs'> = {
    ledger, sideCache: createRedisSideCache({ redis, namespace: ns }), blobs: createRedisBlobStore({ redis, namespace: ns }),
  };
  after(async () => {
    await bus.close();
    await ledger.close();
    await deleteMatching(redis, `${ns}:*`);
    redis.disconnect();
  });

  it('produces a lost entry trigger and a lost successor trigger again once the item is quiet', async () => {
    const keys = ['entry-1', 'entry-2', 'succ-1', 'succ-2'];
    const lossy = losingBus(bus, (node, key) => (node === 'a' && key.startsWith('entry-')) || (node === 'b' && key.startsWith('succ-')));
    const first = await startRuntime({ dags: [dag], operators, namespace: ns, ...backends, bus: lossy, strandedAfterMs: 0 });
    try {
      const results = await first.submit(keys.map((k, i) => ({ dag: dag.name, itemKey: k, source: { n: String(i + 1) } })));
      assert.deepEqual(results.map((r) => r.status), keys.map(() => 'accepted'));
      await sleep(4_000);
      assert.deepEqual(lossy.lost.sort(), ['a entry-1', 'a entry-2', 'b succ-1', 'b succ-2']);
      assert.equal((await ledger.counts(dag.name))['in-flight'], 4, 'with the sweep off, all four wait for triggers that will never come');
    } finally {
      await first.close();
    }

    const second = await startRuntime({ dags: [dag], operators, namespace: ns, ...backends, bus, strandedAfterMs: 1_000 });
    try {
      await second.idle(60_000);
    } finally {
      await second.close();
    }
    for (const [i, key] of keys.entries()) {
      const rec = await ledger.findByKey(dag.name, key);
      assert.equal(rec?.state, 'completed', `${key}: ${JSON.stringify(rec)}`);
      assert.deepEqual(rec.kept, { out: String((i + 1) * 2 + 1) });
    }
    assert.deepEqual(await ledger.counts(dag.name), { 'in-flight': 0, completed: 4, filtered: 0, 'dead-lettered': 0, quarantined: 0 });
  });

  it('does not produce again the triggers waiting in their node\'s backlog while it lasts', async () => {
    // b takes one item at a time, 250 ms each: 12 items wait up to 3 s in its topic, 3 times
    // `strandedAfterMs`. Quiet and unheld, they are stranded but for the backlog they sit in.
    const slow = defineDag({ name: `backlog-${ns}`, version: 1, source: ['n'], keep: ['out'], defaults: { timeoutMs: 5_000 } }, [
      { id: 'a', operator: 'strand-a', reads: ['n'], writes: ['m'] },
      { id: 'b', operator: 'strand-slow', after: ['a'], reads: ['m'], writes: ['out'], concurrency: 1 },
    ]);
    const slowOp = defineOperator({ name: 'strand-slow', version: '1', inputs: { m: z.number() }, outputs: { out: z.number() }, handler: async ({ m }) => {
      await sleep(250);
      return { out: m + 1 };
    } });
    const rt = await startRuntime({ dags: [slow], operators: [...operators, slowOp], namespace: ns, ...backends, bus, strandedAfterMs: 1_000 });
    const items = Array.from({ length: 12 }, (_, i) => `slow-${i}`);
    try {
      await rt.submit(items.map((k, i) => ({ dag: slow.name, itemKey: k, source: { n: String(i) } })));
      await rt.idle(60_000);
    } finally {
      await rt.close();
    }
    assert.deepEqual(await ledger.counts(slow.name), { 'in-flight': 0, completed: 12, filtered: 0, 'dead-lettered': 0, quarantined: 0 });
    const topic = compileDag(slow, { namespace: ns }).nodes.find((n) => n.id === 'b')!.topic;
    const onB = (await bus.read(topic, { limit: 1_000 })).map((m) => decodeTrigger(m.value).itemKey);
    assert.deepEqual(onB.sort(), [...items].sort(), 'each item\'s trigger for b went out once');
  });
});
