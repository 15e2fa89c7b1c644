import type { DeferredStore } from '../deferred-store.ts';
import type { GateItem, Priority } from '../gate-item.ts';

interface Entry { item: GateItem; score: number; seq: number }

/** In-process deferred store; `open()` twice over one store simulates a restart. */
export function createMemoryDeferredStoreState() {
  const waiting = new Map<Priority, Entry[]>();
  const leased = new Map<string, Entry & { until: number }>();
  let seq = 0;
  let sorted = true;
  const q = (p: Priority) => { let a = waiting.get(p); if (!a) { a = []; waiting.set(p, a); } return a; };

  const expire = (nowMs: number) => {
    for (const [id, e] of leased) {
      if (e.until <= nowMs) { leased.delete(id); q(e.item.priority).push(e); sorted = false; }
    }
  };
  const open = (): DeferredStore => ({
    async put(items, notBeforeMs) {
      for (const item of items) q(item.priority).push({ item, score: notBeforeMs ?? item.enqueuedMs, seq: seq++ });
      sorted = false;
    },
    async claim(cls, max, nowMs, leaseMs) {
      expire(nowMs);
      const a = q(cls);
      if (!sorted) { for (const arr of waiting.values()) arr.sort((x, y) => x.score - y.score || x.seq - y.seq); sorted = true; }
      let n = 0;
      while (n < a.length && n < max && a[n]!.score <= nowMs) n++;
      const taken = a.splice(0, n);
      for (const e of taken) leased.set(e.item.id, { ...e, until: nowMs + leaseMs });
      return taken.map((e) => e.item);
    },
    async ack(_cls, ids) { for (const id of ids) leased.delete(id); },
    async size(cls) {
      let n = q(cls).length;
      for (const e of leased.values()) if (e.item.priority === cls) n++;
      return n;
    },
    async oldestAgeMs(cls, nowMs) {
      // Scores are enqueue times unless a caller set notBefore; the head is close enough.
      let oldest: number | undefined = q(cls)[0]?.item.enqueuedMs;
      if (!sorted) for (const e of q(cls)) if (oldest === undefined || e.item.enqueuedMs < oldest) oldest = e.item.enqueuedMs;
      for (const e of leased.values()) if (e.item.priority === cls && (oldest === undefined || e.item.enqueuedMs < oldest)) oldest = e.item.enqueuedMs;
      return oldest === undefined ? 0 : Math.max(0, nowMs - oldest);
    },
    async close() {},
  });
  return { open };
}

export const createMemoryDeferredStore = (): DeferredStore => createMemoryDeferredStoreState().open();
