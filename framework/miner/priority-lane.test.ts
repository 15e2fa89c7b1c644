// High priority keeps its lead inside a DAG: a node's high-priority triggers travel on the node's
// own high lane, so a high item submitted behind a backlog of normal ones at a slow node is served
// without waiting for that backlog.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { defineDag } from '../dag/index.ts';
import { defineOperator } from '../operator-sdk/index.ts';
import { startRuntime } from '../runtime/index.ts';

describe('priority lanes', () => {
  it('serves a high item at a busy node before the normal backlog queued ahead of it', async () => {
    const dag = defineDag({ name: 'lanes', version: 1, source: ['n'], defaults: { concurrency: 1, timeoutMs: 5_000 } }, [
      { id: 'slow', operator: 'slow', reads: ['n'], writes: ['m'] },
    ]);
    const slow = defineOperator({ name: 'slow', version: '1', inputs: { n: z.string() }, outputs: { m: z.string() }, handler: async ({ n }) => {
      await sleep(20);
      return { m: n };
    } });
    const rt = await startRuntime({ dags: [dag], operators: [slow] });
    try {
      assert.deepEqual(rt.plans.get('lanes')!.nodes[0]!.highTopic, 'quarry.lanes.slow.high');
      await rt.submit(Array.from({ length: 20 }, (_, i) => ({ dag: 'lanes', itemKey: `normal-${i}`, source: { n: String(i) } })));
      await rt.submit([{ dag: 'lanes', itemKey: 'urgent', priority: 'high', source: { n: 'u' } }]);
      await rt.idle(30_000);
      const order = rt.terminal.map((r) => r.itemKey);
      assert.equal(order.length, 21);
      assert.ok(order.indexOf('urgent') <= 2, `the high item ended ${order.indexOf('urgent') + 1}th of 21: ${order.join(' ')}`);
    } finally {
      await rt.close();
    }
  });
});
