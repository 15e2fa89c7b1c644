import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFakeClock } from './fake-clock.ts';
import { createGate } from './gate.ts';
import { createGatePolicy } from './gate-policy.ts';
import type { GateItem, Priority } from './gate-item.ts';
import { createMemoryBacklog, createMemoryBacklogStore } from './internal/memory-backlog.ts';
import { createMemoryDeferredStore } from './internal/memory-deferred-store.ts';
import type { AdmissionSignals } from './signals.ts';

let n = 0;
const item = (priority: Priority, over: Partial<GateItem> = {}) =>
  ({ id: `m${n++}`, dag: 'd', itemKey: `k${n}`, priority, tenant: 't1', resource: 'cpu' as const, source: {}, ...over });

function harness(config: object, capacityPerTick = 10, startMs = Date.UTC(2026, 0, 5, 12)) {
  const clock = createFakeClock(startMs);
  const admitted: GateItem[] = [];
  let inFlight = 0;
  let util: number | undefined;
  const sig = (): AdmissionSignals => ({ lagByNode: {}, inFlight, capacity: capacityPerTick, resourceExhausted: 0, timeouts: 0, utilization: util ?? Math.min(1, inFlight / capacityPerTick) });
  const gate = createGate({
    backlog: createMemoryBacklog(), deferred: createMemoryDeferredStore(),
    policy: createGatePolicy({ tickMs: 100, ...config }),
    admit: async (items) => { admitted.push(...items); inFlight += items.length; },
    signals: async () => sig(), now: clock.now, schedule: clock.schedule,
  });
  const finish = (k: number) => { inFlight = Math.max(0, inFlight - k); };
  return { clock, gate, admitted, finish, setInFlight: (v: number) => { inFlight = v; }, setUtil: (v: number) => { util = v; } };
}

test('high is admitted before a larger, older normal/low backlog', async () => {
  const h = harness({ admission: { initialLimit: 5, maxLimit: 5, highBypassPerSec: 0 }, priority: { highMaxShare: 0.8 } });
  await h.gate.submit(Array.from({ length: 50 }, () => item('low')));
  await h.gate.submit(Array.from({ length: 50 }, () => item('normal')));
  await h.gate.submit(Array.from({ length: 20 }, () => item('high')));
  await h.gate.tick();
  assert.equal(h.admitted.length, 5);
  assert.equal(h.admitted.filter((i) => i.priority === 'high').length, 4);
});

test('a full window does not hold high back: it goes past it at highBypassPerSec, and nothing else does', async () => {
  const full = async (highBypassPerSec?: number) => {
    const h = harness({ admission: { initialLimit: 5, maxLimit: 5, ...(highBypassPerSec === undefined ? {} : { highBypassPerSec }) } });
    h.setInFlight(9); // the window is full, and more: it shrank under load
    await h.gate.submit(Array.from({ length: 10 }, () => item('normal')));
    await h.gate.submit(Array.from({ length: 40 }, () => item('high')));
    const rounds: number[] = [];
    for (let i = 0; i < 20; i++) { // two seconds of rounds
      const before = h.admitted.length;
      await h.clock.advance(100);
      await h.gate.tick();
      rounds.push(h.admitted.length - before);
    }
    return { rounds, normal: h.admitted.filter((x) => x.priority !== 'high').length, high: h.admitted.filter((x) => x.priority === 'high').length };
  };
  const byDefault = await full();
  assert.equal(byDefault.normal, 0, 'nothing but high goes past the window');
  assert.ok(byDefault.rounds[0]! >= 1, 'the first round admits high at once');
  // 10/s: one second's worth at once, then 10/s: 10 + 20 in two seconds, never the whole 40.
  assert.ok(byDefault.high >= 27 && byDefault.high <= 30, `high admitted past the window at 10/s: ${byDefault.high}`);
  const slow = await full(2);
  assert.ok(slow.high >= 5 && slow.high <= 6, `at 2/s: ${slow.high}`);
  assert.equal((await full(0)).high, 0, 'no bypass: high waits for the window like the rest');
});

test('bounded intake answers try-later with a retry-after, per class and per tenant', async () => {
  const h = harness({ intake: { maxPerClass: 10, maxPerTenant: 6, minRetryAfterMs: 500 } });
  assert.deepEqual(await h.gate.submit(Array.from({ length: 6 }, () => item('normal', { tenant: 'a' }))), { accepted: 6 });
  const r = await h.gate.submit([item('normal', { tenant: 'a' })]);
  assert.ok('rejected' in r && r.rejected === 'try-later' && r.retryAfterMs >= 500, JSON.stringify(r));
  assert.deepEqual(await h.gate.submit(Array.from({ length: 4 }, () => item('normal', { tenant: 'b' }))), { accepted: 4 });
  assert.ok('rejected' in await h.gate.submit([item('normal', { tenant: 'c' })]), 'class bound');
  assert.deepEqual(await h.gate.submit([item('high', { tenant: 'a' })]), { accepted: 1 }, 'other classes unaffected');
  assert.equal(h.gate.stats().rejectedTotal, 2);
  await h.gate.tick();
  assert.ok(h.gate.stats().backlog.normal < 10);
  assert.deepEqual(await h.gate.submit([item('normal', { tenant: 'c' })]), { accepted: 1 }, 'room after admission');
  await assert.rejects(h.gate.submit([{ ...item('normal'), priority: 'urgent' as Priority, tenant: '' }]), /priority.*\n.*tenant|tenant[\s\S]*priority/);
});

test("one tenant's burst takes only its fair share; quotas cap a tenant", async () => {
  const h = harness({ admission: { initialLimit: 10, maxLimit: 10 }, tenants: { quotas: { noisy: { ratePerSec: 20, burst: 2 } } } });
  await h.gate.submit(Array.from({ length: 500 }, () => item('normal', { tenant: 'noisy' })));
  await h.gate.submit(Array.from({ length: 5 }, () => item('normal', { tenant: 'quiet' })));
  await h.gate.tick();
  assert.equal(h.admitted.filter((i) => i.tenant === 'quiet').length, 5, 'quiet is not stuck behind noisy');
  assert.equal(h.admitted.filter((i) => i.tenant === 'noisy').length, 2, 'noisy limited to its bucket');
  h.finish(100);
  await h.clock.advance(1000); // not started: tick by hand
  await h.gate.tick();
  assert.equal(h.admitted.filter((i) => i.tenant === 'noisy').length, 4, 'bucket holds at most its burst');
});

test('low gpu work is deferred, drains in a window or with spare capacity, never dropped', async () => {
  const H = 3600_000;
  const h = harness({ deferral: { windows: [{ cron: '0 1 * * *', durationMs: 2 * H }], maxDrainPerSec: 50, spareUtilization: 0.5, trickleRatePerSec: 0 },
    admission: { initialLimit: 100, maxLimit: 100 } });
  await h.gate.submit(Array.from({ length: 300 }, () => item('low', { resource: 'gpu' })));
  await h.gate.submit([item('low'), item('normal', { resource: 'gpu' })]);
  await h.gate.submit(Array.from({ length: 5000 }, () => item('normal')));
  await h.gate.start();
  h.setUtil(1); // the bottleneck is busy and normal work keeps waiting: no spare capacity
  for (let i = 0; i < 30; i++) { await h.clock.advance(1000); h.setInFlight(50); }
  const gpuLow = () => h.admitted.filter((i) => i.resource === 'gpu' && i.priority === 'low').length;
  assert.equal(gpuLow(), 0, 'busy, contended and off-window: gpu work waits');
  assert.ok(h.admitted.some((i) => i.resource === 'gpu' && i.priority === 'normal'), 'gpu normal is not deferred');
  assert.ok(h.admitted.length > 1000, 'normal work flows meanwhile');
  assert.equal(h.gate.stats().deferred, 300);
  assert.equal(h.gate.stats().deferralMode, 'trickle');
  h.setUtil(0.2); // spare capacity while others still wait: a partial rate
  h.setInFlight(0);
  await h.clock.advance(1000);
  h.setInFlight(0);
  await h.clock.advance(1000);
  assert.equal(h.gate.stats().deferralMode, 'spare');
  const partial = gpuLow();
  assert.ok(partial > 0 && partial < 100, `spare capacity drained ${partial}`);
  h.setUtil(1);
  for (let i = 0; i < 200 && h.gate.stats().backlog.normal > 0; i++) { await h.clock.advance(1000); h.setInFlight(0); }
  // Nothing else waits now: the rest drains at the full rate.
  for (let i = 0; i < 10; i++) { await h.clock.advance(1000); h.setInFlight(0); }
  assert.equal(gpuLow(), 300, 'uncontended: all deferred work released');
  await h.gate.stop();
  assert.equal(new Set(h.admitted.map((i) => i.id)).size, h.admitted.length, 'each item admitted exactly once');
  assert.equal(h.admitted.length, 5302);
  assert.equal(h.gate.stats().deferred, 0);
});

test('a schedule window releases deferred work even when the bottleneck is busy', async () => {
  const h = harness({ deferral: { windows: [{ cron: '0 1 * * *', durationMs: 3600_000 }], maxDrainPerSec: 20, trickleRatePerSec: 0 },
    admission: { initialLimit: 5, maxLimit: 5 } }, 10, Date.UTC(2026, 0, 6, 0, 50));
  await h.gate.submit(Array.from({ length: 100 }, () => item('low', { resource: 'gpu' })));
  assert.deepEqual(await h.gate.submit(Array.from({ length: 30_000 }, () => item('normal'))), { accepted: 30_000 }); // contended all along
  await h.gate.start();
  h.setUtil(1);
  const run = async (ms: number) => { for (let t = 0; t < ms; t += 100) { await h.clock.advance(100); h.setInFlight(0); } };
  await run(9 * 60_000);
  const gpu = () => h.admitted.filter((i) => i.resource === 'gpu').length;
  assert.equal(gpu(), 0);
  assert.ok(h.gate.stats().backlog.normal > 0, 'still contended');
  await run(2 * 60_000);
  assert.equal(h.gate.stats().deferralMode, 'window');
  assert.equal(gpu(), 100);
  await h.gate.stop();
});

test('a failed admit keeps items and retries them', async () => {
  const h = harness({});
  let fail = true;
  const errors: unknown[] = [];
  const gate = createGate({
    backlog: createMemoryBacklog(), deferred: createMemoryDeferredStore(), policy: createGatePolicy({}),
    admit: async (items) => { if (fail) throw new Error('bus down'); h.admitted.push(...items); },
    signals: async () => ({ lagByNode: {}, inFlight: 0, capacity: 4, resourceExhausted: 0, timeouts: 0, utilization: 0 }),
    now: h.clock.now, schedule: h.clock.schedule, onError: (e) => errors.push(e),
  });
  await gate.submit([item('high'), item('low')]);
  await gate.tick();
  assert.equal(errors.length, 1);
  fail = false;
  await gate.tick();
  assert.deepEqual(h.admitted.map((i) => i.priority).sort(), ['high', 'low']);
});

test('a gate that dies mid-admission loses nothing: a restarted gate admits the unacked items again', async () => {
  const store = createMemoryBacklogStore();
  const clock = createFakeClock(0);
  const sig = async () => ({ lagByNode: {}, inFlight: 0, capacity: 4, resourceExhausted: 0, timeouts: 0, utilization: 0 });
  const first = createGate({
    backlog: store.open(), deferred: createMemoryDeferredStore(), policy: createGatePolicy({}),
    admit: () => new Promise<void>(() => {}), // the process dies while handing items on
    signals: sig, now: clock.now, schedule: clock.schedule,
  });
  await first.submit([item('high'), item('normal'), item('low')]);
  void first.tick();
  await new Promise((r) => setImmediate(r));
  const admitted: GateItem[] = [];
  const second = createGate({
    backlog: store.open(), deferred: createMemoryDeferredStore(), policy: createGatePolicy({}),
    admit: async (items) => { admitted.push(...items); }, signals: sig, now: clock.now, schedule: clock.schedule,
  });
  await second.start();
  await clock.advance(500);
  await second.stop();
  assert.deepEqual(admitted.map((i) => i.priority).sort(), ['high', 'low', 'normal']);
  assert.deepEqual(second.stats().backlog, { high: 0, normal: 0, low: 0 });
});
