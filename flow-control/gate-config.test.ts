import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGateConfig } from './gate-config.ts';

test('defaults parse; every problem is listed in one ConfigError', () => {
  const c = parseGateConfig();
  assert.equal(c.tickMs, 100);
  assert.deepEqual(c.deferral.classes, ['low']);
  assert.throws(() => parseGateConfig({ tickMs: 0, priority: { highMaxShare: 2 }, deferral: { classes: ['urgent'] } }), (e: Error & { code?: string }) =>
    e.code === 'CONFIG_INVALID' && /`tickMs` to be > 0, got `0` \(number\)/.test(e.message)
    && /`priority.highMaxShare` to be ≤ 1, got `2`/.test(e.message) && /`deferral.classes.0` to be one of high, normal, low/.test(e.message));
  assert.throws(() => parseGateConfig({ intake: { maxPerTenant: 100 }, staging: { maxStaged: 50 } }), /staging.maxStaged` to be > intake.maxPerTenant \(100\)/);
});
