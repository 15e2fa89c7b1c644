import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClassScheduler, perLane, type PerLane } from './class-scheduler.ts';
import { parseGateConfig } from './gate-config.ts';

const sched = (over: object = {}) => createClassScheduler(parseGateConfig({ priority: over }).priority);
const lanes = (v: Partial<PerLane<number>>) => ({ ...perLane(() => 0), ...v });

test('high goes first, bounded by its share while others wait', () => {
  const s = sched({ highMaxShare: 0.8 });
  const a = s.allocate(10, lanes({ high: 100, normal: 100, low: 100 }), lanes({}));
  assert.equal(a.high, 8);
  assert.equal(a.normal + a.low, 2);
});

test('high alone takes the whole budget; unused shares flow on', () => {
  const s = sched();
  assert.deepEqual(s.allocate(10, lanes({ high: 100 }), lanes({})), lanes({ high: 10 }));
  const a = s.allocate(10, lanes({ high: 1, normal: 100, low: 1 }), lanes({}));
  assert.equal(a.high, 1); assert.equal(a.low, 1); assert.equal(a.normal, 8);
});

test('the high share holds over time even with a budget of one per round', () => {
  const s = sched({ highMaxShare: 0.8 });
  const sum = lanes({});
  for (let i = 0; i < 100; i++) {
    const a = s.allocate(1, lanes({ high: 10, normal: 10, low: 10 }), lanes({}));
    for (const k of ['high', 'normal', 'low'] as const) sum[k] += a[k];
  }
  assert.equal(sum.high, 80);
  assert.ok(sum.low >= 4, `low got ${sum.low}`);
});

test('normal and low split by weight; aging lifts a waiting lane so it cannot starve', () => {
  const s = sched({ highMaxShare: 1, weights: { normal: 3, low: 1 }, agingMs: 1000 });
  const sum = lanes({});
  for (let i = 0; i < 100; i++) {
    const a = s.allocate(4, lanes({ normal: 100, low: 100 }), lanes({}));
    sum.normal += a.normal; sum.low += a.low;
  }
  assert.equal(sum.normal, 300); assert.equal(sum.low, 100);
  // High asks for everything with share 1, but low has waited 9 s: it still gets admitted.
  const s2 = sched({ highMaxShare: 0.95, weights: { normal: 3, low: 1 }, agingMs: 1000 });
  let low = 0;
  for (let i = 0; i < 100; i++) low += s2.allocate(4, lanes({ high: 100, normal: 100, low: 100 }), lanes({ low: 9000 })).low;
  assert.ok(low >= 10, `low got ${low} of 400`);
});

test('never gives more than asked or than the budget', () => {
  const s = sched();
  for (let b = 0; b < 30; b++) {
    const want = lanes({ high: b % 3, normal: b % 5, low: b % 7, deferred: b % 2 });
    const a = s.allocate(b, want, lanes({}));
    const total = a.high + a.normal + a.low + a.deferred;
    assert.ok(total <= b);
    for (const k of ['high', 'normal', 'low', 'deferred'] as const) assert.ok(a[k] <= want[k]);
    const wantTotal = want.high + want.normal + want.low + want.deferred;
    assert.equal(total, Math.min(b, wantTotal), 'work-conserving');
  }
});
