import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Backlog } from './backlog.ts';
import type { GateItem, Priority } from './gate-item.ts';

export interface BacklogHarness {
  /** Open a backlog over the harness's storage; opening again after close = a restart. */
  open(): Promise<Backlog>;
  /** Fresh, empty storage for the next test. */
  reset?(): Promise<void>;
  cleanup?(): Promise<void>;
}

let seq = 0;
export const contractItem = (priority: Priority, over: Partial<GateItem> = {}): GateItem => ({
  id: `c${process.pid}-${seq++}`, dag: 'contract', itemKey: `k${seq}`, priority, tenant: 't', resource: 'cpu',
  source: { url: `https://example.test/${seq}` }, enqueuedMs: 1_000 + seq, ...over,
});

/** Pull until `n` items arrived (adapters fed by a consumer deliver asynchronously). */
export async function pullUntil(b: Backlog, cls: Priority, n: number, timeoutMs = 20_000): Promise<GateItem[]> {
  const out: GateItem[] = [];
  const end = Date.now() + timeoutMs;
  while (out.length < n && Date.now() < end) {
    out.push(...(await b.pull(cls, n - out.length)));
    if (out.length < n) await new Promise((r) => setTimeout(r, 20));
  }
  return out;
}

/** The Backlog port's contract: every adapter's test calls this. */
export function backlogContract(name: string, h: BacklogHarness): void {
  describe(`Backlog contract: ${name}`, () => {
    after(async () => { await h.cleanup?.(); });

    test('push then pull: FIFO per class, classes kept apart, max respected', async () => {
      await h.reset?.();
      const b = await h.open();
      try {
        const highs = [0, 1, 2].map(() => contractItem('high'));
        const lows = [0, 1].map(() => contractItem('low', { source: { a: 'ü' }, traceparent: '00-abc-def-01' }));
        await b.push([highs[0]!, lows[0]!, highs[1]!, highs[2]!, lows[1]!]);
        assert.deepEqual(await b.pull('high', 0), []);
        const got = await pullUntil(b, 'high', 3);
        assert.deepEqual(got.map((i) => i.id), highs.map((i) => i.id));
        assert.deepEqual(await pullUntil(b, 'low', 2), lows, 'items round-trip intact');
        assert.deepEqual(await b.pull('normal', 10), []);
        await b.ack('high', got.map((i) => i.id));
        await b.ack('low', lows.map((i) => i.id));
      } finally { await b.close(); }
    });

    test('an unacked item is not handed out twice; size counts it until acked', async () => {
      await h.reset?.();
      const b = await h.open();
      try {
        const items = [0, 1, 2, 3].map(() => contractItem('normal'));
        await b.push(items);
        const first = await pullUntil(b, 'normal', 2);
        const rest = await pullUntil(b, 'normal', 2);
        assert.deepEqual([...first, ...rest].map((i) => i.id), items.map((i) => i.id));
        assert.deepEqual(await b.pull('normal', 10), []);
        assert.equal(await b.size('normal'), 4);
        assert.ok((await b.oldestAgeMs('normal', items[0]!.enqueuedMs + 500)) >= 500);
        await b.ack('normal', items.map((i) => i.id));
        assert.equal(await b.size('normal'), 0);
        assert.equal(await b.oldestAgeMs('normal', 10_000_000), 0);
      } finally { await b.close(); }
    });

    test('items that share an id (one child emitted by two parents) are each handed out and acked', async () => {
      await h.reset?.();
      const b = await h.open();
      try {
        const twin = contractItem('normal');
        const other = contractItem('normal');
        await b.push([twin, { ...twin, itemKey: 'again' }, other]);
        const got = await pullUntil(b, 'normal', 3);
        assert.deepEqual(got.map((i) => i.id), [twin.id, twin.id, other.id]);
        await b.ack('normal', [twin.id]);
        assert.equal(await b.size('normal'), 2, 'one ack, one copy');
        await b.ack('normal', [twin.id, other.id]);
        assert.equal(await b.size('normal'), 0);
      } finally { await b.close(); }
    });

    test('after a crash, everything not acked is handed out again; acked items never', async () => {
      await h.reset?.();
      const items = [0, 1, 2, 3, 4].map(() => contractItem('low'));
      const a = await h.open();
      await a.push(items);
      const got = await pullUntil(a, 'low', 3);
      assert.equal(got.length, 3);
      await a.ack('low', [got[0]!.id]);
      await a.close(); // crash: items 1..2 were pulled but never acked
      const b = await h.open();
      try {
        const again = await pullUntil(b, 'low', 4);
        assert.deepEqual(again.map((i) => i.id), items.slice(1).map((i) => i.id));
        await b.ack('low', again.map((i) => i.id));
        assert.equal(await b.size('low'), 0);
      } finally { await b.close(); }
    });
  });
}
