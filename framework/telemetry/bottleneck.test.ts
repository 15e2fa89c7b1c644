import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { findBottleneck, type NodeLoad } from './bottleneck.ts';

const n = (node: string, utilisation: number | undefined, lag = 0, lagGrowthPerSec = 0): NodeLoad => ({ dag: 'd', node, utilisation, lag, lagGrowthPerSec });

describe('findBottleneck', () => {
  const table: [string, NodeLoad[], string | undefined, RegExp?][] = [
    ['nothing runs', [], undefined],
    ['every node keeps up', [n('a', 0.3), n('b', 0.6), n('c', 0.1)], undefined],
    ['one saturated node', [n('a', 0.3), n('b', 0.95), n('c', 0.2)], 'b', /busy 95% of capacity/],
    ['the busier of two saturated nodes', [n('a', 0.85), n('b', 0.97)], 'b'],
    ['a growing queue beats higher utilisation elsewhere', [n('a', 0.99), n('b', 0.85, 400, 12)], 'b', /busy 85% of capacity, 400 waiting \(\+12\.0\/s\)/],
    ['of two growing queues, the busier node', [n('a', 0.6, 100, 30), n('b', 0.9, 50, 2)], 'b'],
    ['of two equally busy growing queues, the faster growth', [n('a', 1, 100, 3), n('b', 1, 50, 9)], 'b'],
    ['a shrinking queue at a busy node is draining, still the limit', [n('a', 0.9, 300, -20), n('b', 0.5)], 'a', /300 waiting \(-20\.0\/s\)/],
    ['a long but shrinking queue at a quiet node is no bottleneck', [n('a', 0.4, 300, -5)], undefined],
    ['a growing queue nobody consumes', [n('a', 0.5), n('b', 0, 80, 4)], 'b', /queue grows while the node is idle \(0% busy\): is a miner consuming it\?/],
    ['unknown capacity: only the queue speaks', [n('a', undefined, 10, 1), n('b', undefined)], 'a', /idle: is a miner consuming it/],
    ['a queue of zero that "grows" is noise', [n('a', 0.5, 0, 3)], undefined],
  ];
  for (const [name, loads, expected, why] of table) {
    it(name, () => {
      const b = findBottleneck(loads);
      assert.equal(b?.node, expected);
      if (why) assert.match(b!.why, why);
    });
  }
});
