import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { contractItem } from './backlog-contract.ts';
import type { DeferredStore } from './deferred-store.ts';

export interface DeferredStoreHarness {
  open(): Promise<DeferredStore>;
  reset?(): Promise<void>;
  cleanup?(): Promise<void>;
}

/** The DeferredStore port's contract: every adapter's test calls this. */
export function deferredStoreContract(name: string, h: DeferredStoreHarness): void {
  describe(`DeferredStore contract: ${name}`, () => {
    after(async () => { await h.cleanup?.(); });

    test('claims due items oldest first, leases them, forgets them on ack', async () => {
      await h.reset?.();
      const s = await h.open();
      try {
        const items = [3, 1, 2].map((t) => contractItem('low', { resource: 'gpu', enqueuedMs: t * 1000 }));
        await s.put(items);
        await s.put([contractItem('low', { enqueuedMs: 5_000 })], 50_000); // not before t=50 s
        assert.equal(await s.size('low'), 4);
        assert.equal(await s.oldestAgeMs('low', 10_000), 9_000);
        const a = await s.claim('low', 2, 10_000, 60_000);
        assert.deepEqual(a.map((i) => i.enqueuedMs), [1000, 2000]);
        assert.deepEqual(a[0]!.source, items[1]!.source);
        const b = await s.claim('low', 10, 10_000, 60_000);
        assert.deepEqual(b.map((i) => i.enqueuedMs), [3000], 'leased and future items are not claimed');
        assert.equal(await s.size('low'), 4, 'leased items still count');
        await s.ack('low', [...a, ...b].map((i) => i.id));
        assert.equal(await s.size('low'), 1);
        assert.deepEqual(await s.claim('high', 10, 60_000, 1), []);
        const later = await s.claim('low', 10, 50_000, 60_000);
        assert.equal(later.length, 1);
        await s.ack('low', later.map((i) => i.id));
        assert.equal(await s.size('low'), 0);
        assert.equal(await s.oldestAgeMs('low', 99_000), 0);
      } finally { await s.close(); }
    });

    test('an expired lease returns its items; a restart loses nothing', async () => {
      await h.reset?.();
      const s = await h.open();
      const items = [1, 2, 3].map((t) => contractItem('normal', { enqueuedMs: t }));
      await s.put(items);
      const a = await s.claim('normal', 2, 100, 1_000);
      assert.equal(a.length, 2);
      const again = await s.claim('normal', 10, 2_000, 1_000);
      assert.deepEqual(again.map((i) => i.id).sort(), items.map((i) => i.id).sort(), 'expired lease back');
      await s.close(); // crash holding all three leases
      const r = await h.open();
      try {
        const back = await r.claim('normal', 10, 10_000, 1_000);
        assert.deepEqual(back.map((i) => i.id).sort(), items.map((i) => i.id).sort());
        await r.ack('normal', back.map((i) => i.id));
        assert.equal(await r.size('normal'), 0);
      } finally { await r.close(); }
    });
  });
}
