// The outbox's crash window after a durable commit: producing fails (the broker went away), so the
// batch is redelivered and finds its steps done. The blobs those steps released are deleted all
// the same — the redelivery releases nothing again, so they would be left until their TTL.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { createEmbeddedBus, type TriggerBus } from '../bus/index.ts';
import { defineDag } from '../dag/index.ts';
import { QuarryError } from '../errors/index.ts';
import { blob, defineOperator } from '../operator-sdk/index.ts';
import { startRuntime } from '../runtime/index.ts';

describe('outbox: a produce that fails after the commit', () => {
  it('still deletes the blobs the committed steps released', async () => {
    const base = createEmbeddedBus();
    let failEnded = 1;
    const bus = new Proxy(base, {
      get(target, prop, receiver) {
        if (prop === 'produceMany') {
          return async (batches: Parameters<TriggerBus['produceMany']>[0]) => {
            if (batches.some((b) => b.topic === 'ow.ended') && failEnded-- > 0) throw new QuarryError('BUS_DOWN', 'injected: the broker is gone', { retryable: true });
            return target.produceMany(batches);
          };
        }
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const make = defineOperator({ name: 'ow-make', version: '1', inputs: { n: z.string() }, outputs: { raw: blob() }, async handler({ n }) { return { raw: new TextEncoder().encode(n) }; } });
    const use = defineOperator({ name: 'ow-use', version: '1', inputs: { raw: blob() }, outputs: { done: z.number() }, async handler({ raw }) { return { done: raw.length }; } });
    const dag = defineDag({ name: 'ow', source: ['n'], blobs: ['raw'], keep: ['done'] }, [
      { id: 'make', operator: 'ow-make', reads: ['n'], writes: ['raw'] },
      { id: 'use', operator: 'ow-use', after: ['make'], reads: ['raw'], writes: ['done'] },
    ]);
    const rt = await startRuntime({ dags: [dag], operators: [make, use], bus, endedTopic: 'ow.ended' });
    try {
      await rt.submit([{ dag: 'ow', itemKey: 'a', source: { n: 'abc' } }]);
      await rt.idle(15_000);
      assert.equal(failEnded, -1, 'the injected failure happened');
      assert.equal((await rt.ledger.findByKey('ow', 'a'))?.state, 'completed');
      assert.equal((await base.read('ow.ended')).length, 1, 'the ended record was produced on redelivery');
      assert.deepEqual(await rt.blobs.stats(), { blobs: 0, bytes: 0 }, 'the released blob is gone');
    } finally {
      await rt.close();
      await base.close();
    }
  });
});
