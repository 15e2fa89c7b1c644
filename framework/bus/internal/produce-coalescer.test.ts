import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TopicMessages } from '../trigger-bus.ts';
import { coalesceProduces, splitByBytes } from './produce-coalescer.ts';

const msg = (key: string, bytes: number) => ({ key, value: new Uint8Array(bytes) });
const keys = (r: readonly TopicMessages[]) => r.flatMap((b) => b.messages.map((m) => `${b.topic}/${m.key}`));

describe('produce coalescer', () => {
  it('sends produces that wait together, one request at a time, within the byte budget', async () => {
    const requests: TopicMessages[][] = [];
    let release = (): void => {};
    const send = coalesceProduces(async (batches) => {
      requests.push([...batches]);
      if (requests.length === 1) await new Promise<void>((r) => (release = r));
    }, 1_000);
    const first = send([{ topic: 't', messages: [msg('a', 10)] }]);
    // While the first request is in flight: two small produces (together) and one past the budget.
    const rest = [send([{ topic: 't', messages: [msg('b', 100)] }]), send([{ topic: 'u', messages: [msg('c', 100)] }]), send([{ topic: 't', messages: [msg('d', 900)] }])];
    release();
    await Promise.all([first, ...rest]);
    assert.deepEqual(requests.map(keys), [['t/a'], ['t/b', 'u/c'], ['t/d']]);
  });

  it('cuts one produce larger than the budget into several requests, in order', () => {
    const parts = splitByBytes([{ topic: 't', messages: [msg('a', 400), msg('b', 400), msg('c', 400)] }, { topic: 'u', messages: [msg('d', 10)] }], 1_000);
    assert.deepEqual(parts.map(keys), [['t/a', 't/b'], ['t/c', 'u/d']]);
    assert.deepEqual(splitByBytes([{ topic: 't', messages: [msg('big', 5_000)] }], 1_000).map(keys), [['t/big']], 'a message over the budget goes alone');
  });

  it('rejects every waiter of a failed request, and goes on with the next', async () => {
    let calls = 0;
    const send = coalesceProduces(async () => {
      calls += 1;
      if (calls === 1) throw new Error('broker gone');
    });
    await assert.rejects(send([{ topic: 't', messages: [msg('a', 1)] }]), /broker gone/);
    await send([{ topic: 't', messages: [msg('b', 1)] }]);
    assert.equal(calls, 2);
  });
});
