import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAdmissionPolicy } from './admission-policy.ts';
import { parseGateConfig } from './gate-config.ts';
import type { AdmissionSignals } from './signals.ts';

const cfg = (over: object = {}) => parseGateConfig({ admission: { initialLimit: 20, adjustIntervalMs: 100, targetQueue: 10, ...over } }).admission;
const sig = (over: Partial<AdmissionSignals> = {}): AdmissionSignals =>
  ({ lagByNode: {}, inFlight: 0, capacity: 10, resourceExhausted: 0, timeouts: 0, utilization: 0.5, ...over });

test('the window grows while it binds and the queue is short', () => {
  const p = createAdmissionPolicy(cfg());
  let t = 0;
  for (let i = 0; i < 10; i++) p.decide(sig({ inFlight: p.limit, lagByNode: { a: 2 } }), (t += 100));
  assert.ok(p.limit > 20, `limit ${p.limit}`);
});

test('the window does not grow when it is not the constraint', () => {
  const p = createAdmissionPolicy(cfg());
  for (let t = 100; t <= 2000; t += 100) p.decide(sig({ inFlight: 3 }), t);
  assert.equal(p.limit, 20);
});

test('RESOURCE_EXHAUSTED cuts the window multiplicatively', () => {
  const p = createAdmissionPolicy(cfg());
  p.decide(sig({ inFlight: 0, resourceExhausted: 5 }), 100);
  const d = p.decide(sig({ inFlight: 20, resourceExhausted: 9 }), 200);
  assert.equal(d.reason, 'resource-exhausted');
  assert.equal(p.limit, 14);
  assert.equal(d.budget, 0, 'no room while over the window');
});

test('timeouts and a lag flood also brake; moderate lag steps down', () => {
  const p = createAdmissionPolicy(cfg());
  p.decide(sig({ timeouts: 1 }), 100);
  assert.equal(p.decide(sig({ timeouts: 3, inFlight: 20 }), 200).reason, 'timeouts');
  const before = p.limit;
  assert.equal(p.decide(sig({ lagByNode: { ocr: 25 }, inFlight: 20 }), 300).reason, 'lag-flood');
  assert.ok(p.limit < before);
  const l = p.limit;
  assert.equal(p.decide(sig({ lagByNode: { ocr: 15 }, inFlight: 20 }), 400).reason, 'lag');
  assert.ok(p.limit < l && p.limit >= l - Math.sqrt(l) - 1e-9, 'an additive step, not a cut');
});

test('budget is the free room of the window, capped by the rate', () => {
  const p = createAdmissionPolicy(cfg({ maxRatePerSec: 10 }));
  assert.equal(p.decide(sig({ inFlight: 5 }), 0).budget, 10);
  p.spent(10);
  assert.equal(p.decide(sig({ inFlight: 5 }), 500).budget, 5, 'half a second refills half the rate');
});

test('the window stays within its bounds', () => {
  const p = createAdmissionPolicy(cfg({ minLimit: 4, maxLimit: 30 }));
  for (let i = 1; i < 50; i++) p.decide(sig({ resourceExhausted: i }), i * 100);
  assert.equal(p.limit, 4);
  for (let i = 50; i < 200; i++) p.decide(sig({ resourceExhausted: 49, inFlight: p.limit, utilization: 0.5 }), i * 100);
  assert.equal(p.limit, 30);
});

test("with per-node capacity, a node's queue is judged against its own capacity, not the DAGs' total", () => {
  const perNode = parseGateConfig({ admission: { initialLimit: 20, adjustIntervalMs: 100 } }).admission;
  const wide = sig({ capacity: 100, lagByNode: { 'd/slow': 6, 'd/fast': 30 }, inFlight: 20 });
  assert.equal(createAdmissionPolicy(perNode).decide(wide, 100).reason, 'probe', 'without per-node capacity: 30 waiting is below max(4, 100 / 2), so the window may grow');
  const p = createAdmissionPolicy(perNode);
  const d = p.decide({ ...wide, capacityByNode: { 'd/slow': 4, 'd/fast': 80 } }, 100);
  assert.equal(d.reason, 'lag', 'the slow node (capacity 4, target 4) has 6 waiting');
  assert.ok(p.limit < 20);
  assert.equal(createAdmissionPolicy(perNode).decide({ ...wide, lagByNode: { 'd/slow': 9 }, capacityByNode: { 'd/slow': 4 } }, 100).reason, 'lag-flood');
});

test("items the miners hold for a node count in its lag but are not its queue", () => {
  const perNode = parseGateConfig({ admission: { initialLimit: 20, adjustIntervalMs: 100 } }).admission;
  const busy = sig({ capacity: 6, capacityByNode: { 'd/work': 6 }, lagByNode: { 'd/work': 13 }, inFlight: 20, utilization: 0.9 });
  assert.equal(createAdmissionPolicy(perNode).decide(busy, 100).reason, 'lag-flood', 'without what is in hand, 13 > 2 × 6 looks like a flood');
  const p = createAdmissionPolicy(perNode);
  assert.equal(p.decide({ ...busy, inHandByNode: { 'd/work': 6 } }, 100).reason, 'lag', '6 in hand: 7 wait, above the target of 6');
  assert.equal(createAdmissionPolicy(perNode).decide({ ...busy, lagByNode: { 'd/work': 9 }, inHandByNode: { 'd/work': 6 } }, 100).reason, 'probe', '3 wait: the window may grow');
});
