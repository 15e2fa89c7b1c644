// The gate on real Kafka (backlogs) + Redis (deferred store) in front of a real bounded
// worker pool, hit by a burst of 3× the pool's capacity. Bounds are relative to the
// unloaded run measured in the same test; no raw-speed assertions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import hdr from 'hdr-histogram-js';
import { createGate } from './gate.ts';
import { createGatePolicy } from './gate-policy.ts';
import type { Priority, ResourceClass } from './gate-item.ts';
import type { SubmitItem } from './intake.ts';
import { createKafkaBacklog } from './internal/kafka-backlog.ts';
import { createRedisDeferredStore } from './internal/redis-deferred-store.ts';
import { kafkaBrokers, redisUrl, requireServers } from './internal/test-servers.ts';
import { createWorkerPool } from './testing-worker-pool.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CONCURRENCY = 4;
const SERVICE_MS = 25; // capacity: 160 cpu items/s
const CAPACITY_PER_SEC = (CONCURRENCY * 1000) / SERVICE_MS;

test('a 3× burst on real Kafka + Redis: high stays fast, nothing lost, backlogs drain, tenants isolated', { timeout: 180_000 }, async () => {
  await requireServers();
  const run = `quarry-test-overload-${randomUUID().slice(0, 8)}`;
  const backlog = await createKafkaBacklog({ brokers: kafkaBrokers(), topicPrefix: run, groupId: `${run}-g` });
  const deferred = createRedisDeferredStore({ url: redisUrl(), name: run });
  const done = new Map<string, number>();
  const meta = new Map<string, { phase: string; tenant: string; priority: Priority; resource: ResourceClass; at: number }>();
  const pool = createWorkerPool({ concurrency: CONCURRENCY, serviceMs: SERVICE_MS, gpuCost: 2, queueLimit: 32,
    onDone: (item, at) => { done.set(item.id, (done.get(item.id) ?? 0) + 1); const m = meta.get(item.id); if (m) m.at = at - item.enqueuedMs; } });
  const gate = createGate({
    backlog, deferred, admit: async (items) => pool.enqueue(items), signals: async () => pool.signals(),
    policy: createGatePolicy({ tickMs: 20, deferral: { maxDrainPerSec: CAPACITY_PER_SEC } }), statsIntervalMs: 500,
  });
  let n = 0;
  const submit = async (phase: string, tenant: string, priority: Priority, resource: ResourceClass = 'cpu') => {
    const item: SubmitItem = { id: `${run}-${n++}`, dag: 'test', itemKey: `k${n}`, priority, tenant, resource, source: { n: String(n) }, enqueuedMs: Date.now() };
    for (;;) {
      const r = await gate.submit([item]);
      if ('accepted' in r) break;
      await sleep(r.retryAfterMs);
    }
    meta.set(item.id, { phase, tenant, priority, resource, at: NaN });
  };
  const waitDone = async (count: number, timeoutMs: number) => {
    const end = Date.now() + timeoutMs;
    while (done.size < count && Date.now() < end) await sleep(50);
  };
  const p99 = (f: (m: { phase: string; tenant: string; priority: Priority; resource: ResourceClass }) => boolean) => {
    const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000, numberOfSignificantValueDigits: 2 });
    for (const m of meta.values()) if (f(m) && Number.isFinite(m.at)) h.recordValue(Math.max(1, Math.round(m.at)));
    return { p99: h.getValueAtPercentile(99), count: h.totalCount };
  };

  try {
    await gate.start();
    await submit('warmup', 'b', 'high'); // the consumer group joins before anything is timed
    await waitDone(1, 30_000);
    assert.equal(done.size, 1, 'warm-up item admitted through Kafka');

    // Unloaded: tenant b's steady traffic (high and normal), ~25% of capacity.
    const steady = async (phase: string, ms: number, extra?: (i: number) => Promise<void>) => {
      const end = Date.now() + ms;
      for (let i = 0; Date.now() < end; i++) {
        await submit(phase, 'b', i % 2 === 0 ? 'high' : 'normal');
        if (extra) await extra(i);
        await sleep(25);
      }
    };
    await steady('unloaded', 2_500);
    await waitDone(meta.size, 30_000);
    const base = { high: p99((m) => m.phase === 'unloaded' && m.priority === 'high'), normal: p99((m) => m.phase === 'unloaded' && m.priority === 'normal') };

    // Burst: tenant a adds 3× capacity (normal, low, low gpu) for 4 s while b keeps going.
    // Paced by elapsed time, so the offered rate is 3× capacity however slow the loop runs.
    const mix: [Priority, ResourceClass][] = [['normal', 'cpu'], ['normal', 'cpu'], ['low', 'cpu'], ['low', 'gpu'], ['normal', 'cpu'], ['low', 'cpu']];
    const burstStart = Date.now();
    let burstSent = 0;
    let offeredUntil = burstStart; // when the last items fell due: the offered rate is over that span, not the last submit's wait
    await steady('burst', 4_000, async () => {
      const items: SubmitItem[] = [];
      offeredUntil = Date.now();
      const due = Math.floor((3 * CAPACITY_PER_SEC * (offeredUntil - burstStart)) / 1000) - burstSent;
      burstSent += Math.max(0, due);
      for (let k = 0; k < due; k++) {
        const [priority, resource] = mix[(n + k) % mix.length]!;
        items.push({ id: `${run}-${n++}`, dag: 'test', itemKey: `a${n}`, priority, tenant: 'a', resource, source: {}, enqueuedMs: Date.now() });
      }
      const r = await gate.submit(items);
      assert.ok('accepted' in r, 'intake bounds are large enough for the burst');
      for (const it of items) meta.set(it.id, { phase: 'burst', tenant: 'a', priority: it.priority, resource: it.resource, at: NaN });
    });
    const burstSecs = (offeredUntil - burstStart) / 1000;
    assert.ok(burstSent / burstSecs >= 2.9 * CAPACITY_PER_SEC, `offered ${(burstSent / burstSecs).toFixed(0)}/s, want 3× ${CAPACITY_PER_SEC}/s`);
    await waitDone(meta.size, 120_000);

    const burst = {
      high: p99((m) => m.phase === 'burst' && m.priority === 'high'),
      bNormal: p99((m) => m.phase === 'burst' && m.tenant === 'b' && m.priority === 'normal'),
      aNormal: p99((m) => m.phase === 'burst' && m.tenant === 'a' && m.priority === 'normal'),
      aLow: p99((m) => m.phase === 'burst' && m.tenant === 'a' && m.priority === 'low' && m.resource === 'cpu'),
      aGpu: p99((m) => m.phase === 'burst' && m.tenant === 'a' && m.resource === 'gpu'),
    };
    const report = { base, burst, stats: gate.stats() };
    console.log(JSON.stringify(report));

    // No item lost (every accepted item processed), none processed twice on this happy path.
    const missing = [...meta.keys()].filter((id) => !done.has(id));
    assert.deepEqual(missing, [], `${missing.length} of ${meta.size} items never processed`);
    assert.equal([...done.values()].filter((c) => c > 1).length, 0, 'no duplicates');

    // The burst really overloaded: tenant a's work queued for far longer than b's.
    assert.ok(burst.aNormal.p99 > 10 * base.normal.p99, `burst backed up: a normal p99 ${burst.aNormal.p99} vs unloaded ${base.normal.p99}`);
    // Stated bound: under the burst, high p99 ≤ 5× the unloaded high p99 (floored at 5 gate ticks).
    const highBound = 5 * Math.max(base.high.p99, 100);
    assert.ok(burst.high.p99 <= highBound, `high p99 ${burst.high.p99} ms > bound ${highBound} ms (unloaded ${base.high.p99} ms)`);
    // Stated bound: tenant b's normal traffic stays within 5× its unloaded p99 despite a's burst.
    const bBound = 5 * Math.max(base.normal.p99, 100);
    assert.ok(burst.bNormal.p99 <= bBound, `tenant b normal p99 ${burst.bNormal.p99} ms > bound ${bBound} ms`);

    // Low-priority and deferred backlogs drained after the burst (gate, Kafka, Redis agree).
    await sleep(600);
    await gate.tick();
    const s = gate.stats();
    assert.equal(s.backlog.low + s.backlog.normal + s.backlog.high, 0);
    assert.equal(await deferred.size('low'), 0, 'deferred store empty');
    assert.ok(burst.aGpu.count > 0 && s.admittedTotal.deferred === burst.aGpu.count, 'gpu work went through the deferred edge');
    for (const p of ['high', 'normal', 'low'] as const) assert.equal(await backlog.size(p), 0, `Kafka ${p} backlog committed to the end`);
  } finally {
    await gate.stop();
    await backlog.close();
    await deferred.close();
  }
});
