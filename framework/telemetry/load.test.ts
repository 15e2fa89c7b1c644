import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLoadWindow, loadsBetween, type NodeCounters } from './load.ts';

const c = (atMs: number, busyMs: number, inFlight: number, capacity: number, lag: number): NodeCounters => ({ dag: 'd', node: 'n', atMs, busyMs, inFlight, capacity, lag });

describe('node load', () => {
  it('utilisation is busy time over capacity × elapsed, or calls in flight when calls are long', () => {
    // 4 slots for 10 s = 40 s of capacity; 30 s of calls ended in it.
    assert.deepEqual(loadsBetween([c(0, 0, 0, 4, 10)], [c(10_000, 30_000, 0, 4, 60)]), [{ dag: 'd', node: 'n', utilisation: 0.75, lag: 60, lagGrowthPerSec: 5 }]);
    // No call ended, but all 4 slots are taken by long calls.
    assert.equal(loadsBetween([c(0, 0, 4, 4, 0)], [c(10_000, 0, 4, 4, 0)])[0]?.utilisation, 1);
    assert.equal(loadsBetween([], [c(0, 0, 1, 0, 3)])[0]?.utilisation, undefined, 'unknown capacity');
  });

  it('a window compares its newest sample with the oldest still inside it', () => {
    const w = createLoadWindow(10_000);
    assert.deepEqual(w.loads(), []);
    for (let s = 0; s <= 30; s += 2) w.push([c(s * 1000, s * 1000, 0, 1, s < 20 ? 0 : (s - 20) * 10)]);
    const [l] = w.loads();
    assert.equal(l?.utilisation, 1);
    assert.equal(l?.lag, 100);
    assert.ok(l!.lagGrowthPerSec > 8 && l!.lagGrowthPerSec <= 10, String(l?.lagGrowthPerSec));
  });
});
