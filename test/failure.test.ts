// The failure test on real Kafka + Redis (one node, then a 3-master Redis Cluster): two miner
// processes and two operator processes run a 4-node DAG with a join and a fan-out over 10,000
// items (4,000 on the cluster); mid-run one miner and one operator
// instance are SIGKILLed. Afterwards every item and child has exactly one terminal state, the
// sink recorded each completed item exactly once (by its one message id), nothing was lost or
// dead-lettered, and the side-cache is empty.
//
// Timing knobs (the numbers the recovery depends on):
// * kafkajs session timeout 10 s, heartbeat 1 s (framework/bus/internal/kafka-subscription.ts):
//   a killed miner's partitions move to the survivor ~10 s after the kill.
// * claim lease = max(10 s, 2 × node timeout) = 10 s (node timeout 5 s, test/fixtures/failure-dags.ts):
//   a redelivered trigger whose claim the dead miner held waits (retry tier 1 s) until it expires.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { createEmbeddedBus, createKafkaBus, type TriggerBus } from '../framework/bus/index.ts';
import { compileDag, type DagPlan } from '../framework/dag/index.ts';
import { createRedisItemLedger, type ItemLedger } from '../framework/item-ledger/index.ts';
import type { NewItem } from '../framework/admission/index.ts';
import { createIngress, nodeLag } from '../framework/miner/index.ts';
import { createRedisSideCache, type SideCache } from '../framework/side-cache/index.ts';
import { createRedisClient, scanKeys, type RedisClient } from '../framework/redis/index.ts';
import { defineDag } from '../framework/dag/index.ts';
import { QuarryError } from '../framework/errors/index.ts';
import { defineOperator } from '../framework/operator-sdk/index.ts';
import { startRuntime } from '../framework/runtime/index.ts';
import { z } from 'zod';
import { decodeDeadLetter } from '../framework/wire/index.ts';
import { failureDags } from './fixtures/failure-dags.ts';
import { sinkKeys } from './fixtures/failure-sink.ts';
import { ProcessGroup, type Spawned } from './fixtures/processes.ts';

const KAFKA = process.env.QUARRY_TEST_KAFKA_BROKERS ?? '127.0.0.1:9092';
const TARGETS = [
  { name: 'Redis', url: process.env.QUARRY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6390', items: 10_000, start: 'redis' },
  { name: 'Redis Cluster', url: process.env.QUARRY_TEST_REDIS_CLUSTER ?? 'redis://127.0.0.1:7001,redis://127.0.0.1:7002,redis://127.0.0.1:7003', items: 4_000, start: 'redis-cluster' },
];
/** Every 4th item fans out two children into the kids DAG. */
const kidsOf = (i: number): number => (i % 4 === 0 ? 2 : 0);
const SETTLE_TIMEOUT_MS = 5 * 60_000;

const path = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
/** The tuples still in the side-cache, with what the ledger says of their items (failure detail). */
async function leftTuples(redis: RedisClient, ledger: ItemLedger, namespace: string): Promise<string> {
  const keys: string[] = [];
  for await (const batch of scanKeys(redis, `${namespace}:t:*`)) keys.push(...batch);
  keys.splice(5);
  const out = [];
  for (const key of keys) {
    const ref = /\{([^#}]+)#\d+\}(.+)$/.exec(key);
    const fields = await redis.hkeys(key);
    const rec = ref ? await ledger.get({ dag: ref[1]!, messageId: ref[2]! }) : null;
    out.push(`${key} fields=[${fields.join(',')}] item=${rec ? `${rec.itemKey} ${rec.state} ended=${rec.endedMs ?? '-'} events=[${rec.events.map((e) => `${e.node}:${e.status}`).join(' ')}]` : 'unknown'}`);
  }
  return out.join('; ');
}

async function reachable(target: (typeof TARGETS)[number]): Promise<void> {
  const probe = createRedisClient(target.url, { lazyConnect: true, maxRetriesPerRequest: 1, noReconnect: true });
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    throw new Error(`the failure test needs ${target.name} at ${target.url}; start it with \`bash scripts/services.sh start ${target.start}\`: ${(err as Error).message}`);
  } finally {
    probe.disconnect();
  }
  const admin = new Kafka({ clientId: 'ft-probe', brokers: KAFKA.split(','), logLevel: logLevel.NOTHING, connectionTimeout: 3_000, retry: { retries: 1 } }).admin();
  try {
    await admin.connect();
    await admin.listTopics();
  } catch (err) {
    throw new Error(`the failure test needs Kafka at ${KAFKA} (QUARRY_TEST_KAFKA_BROKERS); start it with \`bash scripts/services.sh start kafka\`: ${(err as Error).message}`);
  } finally {
    await admin.disconnect();
  }
}

for (const target of TARGETS) describe(`failure test on real Kafka + ${target.name}: a miner and an operator SIGKILLed mid-run`, () => {
  const REDIS = target.url;
  const ITEMS = target.items;
  const run = `${process.pid % 1000}${Date.now() % 1_000_000}${target.start === 'redis' ? 'n' : 'c'}`;
  const namespace = `ft-${run}`;
  const dags = failureDags(run);
  const procs = new ProcessGroup(join(tmpdir(), `quarry-failure-test-${run}`));
  let passed = false; // the processes' logs are kept when the test fails
  let redis: RedisClient;
  let bus: TriggerBus;
  let sideCache: SideCache;
  let ledger: ItemLedger;
  let plans: Map<string, DagPlan>;

  before(async () => {
    await reachable(target);
    redis = createRedisClient(REDIS, { maxRetriesPerRequest: 20 });
    bus = createKafkaBus({ brokers: KAFKA.split(','), clientId: `ft-${run}-test` });
    sideCache = createRedisSideCache({ redis, namespace });
    ledger = createRedisItemLedger({ redis, namespace });
    // Topics and consumer groups carry the namespace (as the miners compile them).
    plans = new Map([dags.main, dags.kids].map((d) => [d.name, compileDag(d, { namespace })]));
  });

  after(async () => {
    await procs.killAll();
    await bus?.close();
    if (redis) {
      // Leave the shared Redis as we found it: the run's keys go (ledger, side-cache, sink records).
      for await (const keys of scanKeys(redis, `${namespace}:*`, 1_000)) await Promise.all(keys.map((k) => redis.unlink(k)));
      redis.disconnect();
    }
    const admin = new Kafka({ clientId: 'ft-cleanup', brokers: KAFKA.split(','), logLevel: logLevel.NOTHING }).admin();
    try {
      await admin.connect();
      // Best effort, twice (a deletion can time out on a busy broker): a run's topics are unique and small.
      for (let i = 0; i < 2; i++) {
        const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${namespace}.`) || t.startsWith(`quarry.ft-${run}-`));
        if (topics.length === 0) break;
        await admin.deleteTopics({ topics, timeout: 15_000 }).catch(() => {});
      }
    } catch {
      // the broker is gone: nothing to clean
    } finally {
      await admin.disconnect().catch(() => {});
    }
    if (passed) rmSync(procs.logDir, { recursive: true, force: true });
  });

  it('ends every item exactly once, records each completed item once, loses nothing, leaves no tuple', async (t) => {
    const env = { QUARRY_FT_RUN: run, QUARRY_FT_REDIS: REDIS, QUARRY_FT_NAMESPACE: namespace };
    const operatorArgs = ['--import', 'tsx', path('./fixtures/failure-operators.ts')];
    const [op1, op2] = await Promise.all([procs.start('operator-1', operatorArgs, env), procs.start('operator-2', operatorArgs, env)]);
    const endpoints = [op1!, op2!].map((o) => String(o.ready.listening)).join(',');
    const minerArgs = (id: string): string[] => [
      '--import', 'tsx', path('../cli/main.ts'), 'miner', path('./fixtures/failure-main-dag.ts'), path('./fixtures/failure-kids-dag.ts'),
      '--operators', endpoints, '--kafka', KAFKA, '--redis', REDIS, '--namespace', namespace, '--partitions', '4', '--id', id,
    ];
    // One after the other: the second joins groups the first created, as an operator would scale out.
    const miner1 = await procs.start('miner-1', minerArgs(`ft-${run}-m1`), env);
    const miner2 = await procs.start('miner-2', minerArgs(`ft-${run}-m2`), env);

    const ingress = createIngress({ plans, bus, ledger });
    const items: NewItem[] = Array.from({ length: ITEMS }, (_, i) => ({ dag: dags.main.name, itemKey: `item-${i}`, source: { n: String(i), kids: String(kidsOf(i)) } }));
    const expectedKids = items.reduce((n, _, i) => n + kidsOf(i), 0);
    const started = Date.now();

    // Submit in chunks, four at a time, while the kills happen alongside.
    let submitted = 0;
    const submitting = (async () => {
      const chunks: NewItem[][] = [];
      for (let i = 0; i < items.length; i += 250) chunks.push(items.slice(i, i + 250));
      let next = 0;
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          while (next < chunks.length) {
            const chunk = chunks[next++]!;
            const res = await ingress.submit(chunk);
            const bad = res.filter((r) => r.status !== 'accepted');
            if (bad.length > 0) throw new Error(`submission not accepted: ${JSON.stringify(bad.slice(0, 3))}`);
            submitted += chunk.length;
          }
        }),
      );
    })();
    submitting.catch(() => {}); // awaited below; this only keeps an early rejection from going unhandled

    const counts = async (dag: string) => ledger.counts(dag);
    const completed = async (): Promise<number> => (await counts(dags.main.name)).completed;
    const killWhen = async (p: Spawned, share: number): Promise<{ atCompleted: number; inFlight: number; afterMs: number }> => {
      while ((await completed()) < ITEMS * share) {
        if (Date.now() - started > SETTLE_TIMEOUT_MS) assert.fail(`only ${await completed()} of ${ITEMS} items completed after ${SETTLE_TIMEOUT_MS} ms, before any kill; processes ${procs.describe()}; logs in ${procs.logDir}`);
        await sleep(100);
      }
      const c = await counts(dags.main.name);
      await procs.kill(p);
      return { atCompleted: c.completed, inFlight: c['in-flight'], afterMs: Date.now() - started };
    };
    const minerKill = await killWhen(miner1, 0.2);
    const operatorKill = await killWhen(op1!, 0.4);
    await submitting;
    const submittedMs = Date.now() - started;
    t.diagnostic(`submitted ${submitted} items in ${submittedMs} ms`);
    t.diagnostic(`SIGKILL miner-1 at ${minerKill.afterMs} ms (${minerKill.atCompleted} completed, ${minerKill.inFlight} in flight)`);
    t.diagnostic(`SIGKILL operator-1 at ${operatorKill.afterMs} ms (${operatorKill.atCompleted} completed, ${operatorKill.inFlight} in flight)`);
    assert.ok(minerKill.inFlight > 0 && operatorKill.inFlight > 0, 'the kills happened mid-run, with items in flight');

    // Settle: nothing in flight in either DAG for a few polls in a row (bounded).
    let quiet = 0;
    const until = Date.now() + SETTLE_TIMEOUT_MS;
    while (quiet < 3) {
      const [m, k] = await Promise.all([counts(dags.main.name), counts(dags.kids.name)]);
      quiet = m['in-flight'] === 0 && k['in-flight'] === 0 ? quiet + 1 : 0;
      if (Date.now() > until) {
        const stuck = (await Promise.all([ledger.inFlight(dags.main.name, 5), ledger.inFlight(dags.kids.name, 5)])).flat();
        const lags = [];
        for (const node of [...plans.values()].flatMap((p) => p.nodes)) {
          const lag = await nodeLag(bus, node);
          if (lag > 0) lags.push(`${node.topic}=${lag}`);
        }
        t.diagnostic(`stalled: processes ${procs.describe()}; consumer lag ${lags.join(' ') || 'none'}; logs in ${procs.logDir}`);
        assert.fail(`items still in flight after ${SETTLE_TIMEOUT_MS} ms (main ${JSON.stringify(m)}, kids ${JSON.stringify(k)}): ${stuck.map((r) => `${r.itemKey} [${r.events.slice(-3).map((e) => `${e.node}:${e.status}`).join(' ')}]`).join(', ')}`);
      }
      await sleep(quiet > 0 ? 500 : 250);
    }
    const elapsedMs = Date.now() - started;

    // Every item and child: exactly one terminal state, and that state is `completed`.
    const main = await counts(dags.main.name);
    const kids = await counts(dags.kids.name);
    const ended = (c: typeof main): number => c.completed + c.filtered + c['dead-lettered'] + c.quarantined;
    assert.deepEqual(main, { 'in-flight': 0, completed: ITEMS, filtered: 0, 'dead-lettered': 0, quarantined: 0 }, 'main DAG ledger counts');
    assert.deepEqual(kids, { 'in-flight': 0, completed: expectedKids, filtered: 0, 'dead-lettered': 0, quarantined: 0 }, 'kids DAG ledger counts');
    const records = new Map<string, string>();
    const missing: string[] = [];
    const keys = [...items.map((it) => [dags.main.name, it.itemKey] as const), ...items.flatMap((it, i) => Array.from({ length: kidsOf(i) }, (_, j) => [dags.kids.name, `${it.itemKey}#${j}`] as const))];
    for (let i = 0; i < keys.length; i += 500) {
      const found = await Promise.all(keys.slice(i, i + 500).map(([dag, key]) => ledger.findByKey(dag, key)));
      found.forEach((r, j) => {
        const [dag, key] = keys[i + j]!;
        if (r?.state === 'completed') records.set(`${dag}/${key}`, r.messageId);
        else missing.push(`${dag}/${key}: ${r ? `${r.state} ${r.reason ?? ''}` : 'unknown to the ledger'}`);
      });
    }
    assert.deepEqual(missing.slice(0, 10), [], `${missing.length} item(s) not completed`);

    // The sinks: each completed item recorded once, with the message id the ledger completed.
    let invocations = 0;
    let recorded = 0;
    for (const dag of [dags.main.name, dags.kids.name]) {
      const k = sinkKeys(namespace, dag);
      const [byKey, calls, conflicts] = await Promise.all([redis.hgetall(k.records), redis.hvals(k.calls), redis.hlen(k.conflicts)]);
      assert.equal(conflicts, 0, `${dag}: no item reached its sink under two message ids`);
      const wrong = Object.entries(byKey).filter(([key, id]) => records.get(`${dag}/${key}`) !== id);
      assert.deepEqual(wrong.slice(0, 5), [], `${dag}: every sink record is a completed item with its ledger message id`);
      recorded += Object.keys(byKey).length;
      invocations += calls.reduce((n, c) => n + Number(c), 0);
    }
    assert.equal(recorded, ITEMS + expectedKids, 'the sinks recorded every completed item and child once');

    // Nothing dead-lettered or quarantined, and no tuple left behind.
    for (const plan of plans.values()) {
      for (const topic of [plan.topics.deadLetter, plan.topics.quarantine]) {
        const letters = (await bus.read(topic)).map((m) => decodeDeadLetter(m.value));
        assert.deepEqual(letters.slice(0, 3).map((l) => `${l.trigger?.itemKey}@${l.node}: ${l.lastError}`), [], `${topic} is empty`);
      }
    }
    const tuples = (await sideCache.stats()).tuples;
    assert.equal(tuples, 0, `the side-cache holds no tuple; left behind: ${tuples > 0 ? await leftTuples(redis, ledger, namespace) : ''}`);

    const figures = {
      items: ITEMS,
      children: expectedKids,
      completed: { main: main.completed, kids: kids.completed, ended: ended(main) + ended(kids) },
      sinkRecords: recorded,
      sinkInvocations: invocations,
      duplicateInvocations: invocations - recorded,
      minerKilledAtMs: minerKill.afterMs,
      operatorKilledAtMs: operatorKill.afterMs,
      submitMs: submittedMs,
      totalMs: elapsedMs,
      itemsPerSecond: Math.round(((ITEMS + expectedKids) * 1000) / elapsedMs),
    };
    t.diagnostic(`failure-test figures ${JSON.stringify(figures)}`);
    assert.ok(miner2.child.exitCode === null && op2!.child.exitCode === null, 'the surviving miner and operator are still running');
    passed = true;
  });
});

// Crash windows a SIGKILL can hit, hit on purpose (in process).
describe('crash windows, hit on purpose (in process)', () => {
  // A miner commits a node's step (successor tokens open, its own done), then dies before it
  // produces the successors' triggers. Its batch is never acknowledged, so its trigger comes
  // again: the claim says "done" and names the successors nobody claimed, which are produced.
  it('produces again the successors of a node that committed and died before producing them', async () => {
    const base = createEmbeddedBus();
    let failProduces = 1;
    const bus = new Proxy(base, {
      get(target, prop, receiver) {
        if (prop === 'produceMany') {
          return async (batches: Parameters<TriggerBus['produceMany']>[0]) => {
            if (batches.some((b) => b.topic.endsWith('.ft-window.second')) && failProduces-- > 0) throw new QuarryError('BUS_DOWN', 'injected: the miner died here', { retryable: true });
            return target.produceMany(batches);
          };
        }
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    let firstRuns = 0;
    const first = defineOperator({ name: 'ft-first', version: '1', inputs: { n: z.string() }, outputs: { m: z.string() }, async handler({ n }) { firstRuns += 1; return { m: n }; } });
    const second = defineOperator({ name: 'ft-second', version: '1', inputs: { m: z.string() }, outputs: { done: z.string() }, async handler({ m }) { return { done: m }; } });
    const dag = defineDag({ name: 'ft-window', source: ['n'], keep: ['done'] }, [
      { id: 'first', operator: 'ft-first', reads: ['n'], writes: ['m'] },
      { id: 'second', operator: 'ft-second', after: ['first'], reads: ['m'], writes: ['done'] },
    ]);
    const rt = await startRuntime({ dags: [dag], operators: [first, second], bus });
    try {
      await rt.submit([{ dag: 'ft-window', itemKey: 'k', source: { n: '1' } }]);
      await rt.idle(10_000);
      assert.equal(failProduces, -1, 'the injected failure happened');
      assert.equal(firstRuns, 1, 'the redelivered trigger did not run the node again');
      const rec = await rt.ledger.findByKey('ft-window', 'k');
      assert.deepEqual([rec?.state, rec?.kept?.done], ['completed', '"1"']);
      assert.equal((await rt.sideCache.stats()).tuples, 0);
    } finally {
      await rt.close();
      await base.close();
    }
  });

  // The other window it found (1 run in 2): a miner opens a fan-out child in the ledger, then dies
  // before producing the child's trigger. The parent node runs again on redelivery and submits
  // the child again; the ingress must produce its trigger again rather than skip it as in flight.
  it('re-produces the trigger of a child opened by a parent that died before producing it', async () => {
    const base = createEmbeddedBus();
    let failProduces = 1;
    const bus = new Proxy(base, {
      get(target, prop, receiver) {
        if (prop === 'produceMany') {
          return async (batches: Parameters<TriggerBus['produceMany']>[0]) => {
            if (batches.some((b) => b.topic.endsWith('.ft-child.take')) && failProduces-- > 0) throw new QuarryError('BUS_DOWN', 'injected: the miner died here', { retryable: true });
            return target.produceMany(batches);
          };
        }
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const emit = defineOperator({ name: 'ft-emit', version: '1', inputs: { n: z.string() }, outputs: { m: z.string() },
      async handler({ n }, ctx) {
        ctx.emit({ itemKey: `${ctx.trigger.itemKey}#0`, dag: 'ft-child', source: { n } });
        return { m: n };
      } });
    const take = defineOperator({ name: 'ft-take', version: '1', inputs: { n: z.string() }, outputs: { ok: z.boolean() }, async handler() { return { ok: true }; } });
    const parent = defineDag({ name: 'ft-parent', source: ['n'], keep: ['m'] }, [{ id: 'emit', operator: 'ft-emit', reads: ['n'], writes: ['m'], fanOut: ['ft-child'] }]);
    const child = defineDag({ name: 'ft-child', source: ['n'], keep: ['ok'] }, [{ id: 'take', operator: 'ft-take', reads: ['n'], writes: ['ok'] }]);
    const rt = await startRuntime({ dags: [parent, child], operators: [emit, take], bus });
    try {
      await rt.submit([{ dag: 'ft-parent', itemKey: 'p', source: { n: '1' } }]);
      await rt.idle(15_000);
      assert.equal(failProduces, -1, 'the injected failure happened');
      assert.equal((await rt.ledger.findByKey('ft-child', 'p#0'))?.state, 'completed', 'the child is not left in flight');
      assert.equal((await rt.ledger.findByKey('ft-parent', 'p'))?.state, 'completed');
      assert.equal((await rt.ledger.counts('ft-child')).completed, 1, 'the child ran as one item');
    } finally {
      await rt.close();
      await base.close();
    }
  });
});
