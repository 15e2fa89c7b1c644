import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDeferralRule } from './deferral-rule.ts';
import { parseGateConfig } from './gate-config.ts';

const H = 3600_000;
const day = Date.UTC(2026, 0, 5);
const rule = (over: object = {}) => createDeferralRule(parseGateConfig({
  deferral: { windows: [{ cron: '0 1 * * *', durationMs: 5 * H }], maxDrainPerSec: 100, trickleRatePerSec: 1, spareUtilization: 0.6, ...over },
}).deferral);

test('a cron window opens at its time and closes after its length', () => {
  const r = rule();
  assert.equal(r.inWindow(day + 0.5 * H), false);
  assert.equal(r.inWindow(day + 1 * H), true);
  assert.equal(r.inWindow(day + 5.9 * H), true);
  assert.equal(r.inWindow(day + 6 * H), false);
  assert.equal(r.inWindow(day + 25.5 * H), true, 'the next day too');
});

test('full rate in the window even when busy; spare capacity scales the rate; trickle otherwise', () => {
  const r = rule();
  assert.deepEqual(r.releaseRate(day + 2 * H, 0.99), { ratePerSec: 100, mode: 'window' });
  assert.deepEqual(r.releaseRate(day + 12 * H, 0), { ratePerSec: 100, mode: 'spare' });
  assert.deepEqual(r.releaseRate(day + 12 * H, 0.3), { ratePerSec: 50, mode: 'spare' });
  assert.deepEqual(r.releaseRate(day + 12 * H, 0.9), { ratePerSec: 1, mode: 'trickle' });
});

test('tokens accrue with time at the current rate and bank at most a second', () => {
  const r = rule();
  const t = day + 12 * H;
  r.tokens(t, 0.9);
  assert.equal(r.tokens(t + 3000, 0.9).tokens, 1, 'trickle banks at most one second');
  r.spend(1);
  assert.equal(r.tokens(t + 3500, 0.3).tokens, 25);
  assert.throws(() => rule({ windows: [{ cron: 'not cron', durationMs: 1 }] }));
});

test('with nobody else waiting, deferred work drains at the full rate whatever the utilization', () => {
  const r = rule();
  assert.deepEqual(r.releaseRate(day + 12 * H, 0.99, false), { ratePerSec: 100, mode: 'spare' });
  assert.deepEqual(r.releaseRate(day + 12 * H, 0.99, true), { ratePerSec: 1, mode: 'trickle' });
});
