// Two triggers of one token in concurrent batches of one miner (a copy produced again — a
// re-admission's `reproduce`, a sweep — while the original is still queued): the operator runs
// once. The claim lets the lease's own owner claim again, so only the runner can tell.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { createEmbeddedBus, type TriggerBus } from '../bus/index.ts';
import { defineDag } from '../dag/index.ts';
import { defineOperator } from '../operator-sdk/index.ts';
import { startRuntime } from '../runtime/index.ts';

describe('a token triggered twice at once', () => {
  it('runs the operator once, in batches handled concurrently', async () => {
    const base = createEmbeddedBus();
    // Every trigger to the node's topic is produced twice, side by side: with one trigger per
    // batch and four batches at once, the copies are handled concurrently.
    const bus = new Proxy(base, {
      get(target, prop, receiver) {
        if (prop === 'produceMany') {
          return (batches: Parameters<TriggerBus['produceMany']>[0]) =>
            target.produceMany(batches.map((b) => (b.topic.endsWith('.twice.slow') ? { topic: b.topic, messages: b.messages.flatMap((m) => [m, m]) } : b)));
        }
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const calls = new Map<string, number>();
    const slow = defineOperator({ name: 'tw-slow', version: '1', inputs: { n: z.string() }, outputs: { m: z.string() }, async handler({ n }) {
      calls.set(n, (calls.get(n) ?? 0) + 1);
      await sleep(30);
      return { m: n };
    } });
    const dag = defineDag({ name: 'twice', source: ['n'], keep: ['m'], defaults: { concurrency: 4 } }, [{ id: 'slow', operator: 'tw-slow', reads: ['n'], writes: ['m'] }]);
    const rt = await startRuntime({ dags: [dag], operators: [slow], bus });
    try {
      await rt.submit(['a', 'b', 'c'].map((n) => ({ dag: 'twice', itemKey: n, source: { n } })));
      await rt.idle(15_000);
      assert.equal((await base.read('quarry.twice.slow')).length, 6, 'each trigger was there twice');
      assert.deepEqual(Object.fromEntries(calls), { a: 1, b: 1, c: 1 });
      assert.equal((await rt.ledger.counts('twice')).completed, 3);
    } finally {
      await rt.close();
      await base.close();
    }
  });
});
