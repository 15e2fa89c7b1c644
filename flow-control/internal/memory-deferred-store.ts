import type { DeferredStore } from '../deferred-store.ts';
import type { GateItem, Priority } from '../gate-item.ts';

interface Entry { item: GateItem; score: number; seq: number }
interface Queue { entries: Entry[]; head: number; sorted: boolean }

/** In-process deferred store; `open()` twice over one state simulates a restart. */
export function createMemoryDeferredStoreState() {
  const waiting = new Map<Priority, Queue>();
  const leased = new Map<string, Entry & { until: number }>();
  let seq = 0;
  const q = (p: Priority) => { let a = waiting.get(p); if (!a) { a = { entries: [], head: 0, sorted: true }; waiting.set(p, a); } return a; };
  const ordered = (a: Queue) => {
    if (!a.sorted) {
      a.entries = a.entries.slice(a.head).sort((x, y) => x.score - y.score || x.seq - y.seq);
      a.head = 0; a.sorted = true;
    }
    return a;
  };
  const add = (a: Queue, e: Entry) => {
    // Arrivals come in time order: stay sorted without re-sorting on every claim.
    const last = a.entries[a.entries.length - 1];
    if (a.entries.length > a.head && last && last.score > e.score) a.sorted = false;
    a.entries.push(e);
  };
  const expire = (nowMs: number) => {
    for (const [id, e] of leased) if (e.until <= nowMs) { leased.delete(id); add(q(e.item.priority), e); }
  };

  const open = (): DeferredStore => ({
    async put(items, notBeforeMs) {
      for (const item of items) add(q(item.priority), { item, score: notBeforeMs ?? item.enqueuedMs, seq: seq++ });
    },
    async claim(cls, max, nowMs, leaseMs) {
      expire(nowMs);
      const a = ordered(q(cls));
      const out: GateItem[] = [];
      while (out.length < max && a.head < a.entries.length && a.entries[a.head]!.score <= nowMs) {
        const e = a.entries[a.head++]!;
        leased.set(e.item.id, { ...e, until: nowMs + leaseMs });
        out.push(e.item);
      }
      if (a.head > 4096 && a.head * 2 > a.entries.length) { a.entries = a.entries.slice(a.head); a.head = 0; }
      return out;
    },
    async ack(_cls, ids) { for (const id of ids) leased.delete(id); },
    async size(cls) {
      const a = q(cls);
      let n = a.entries.length - a.head;
      for (const e of leased.values()) if (e.item.priority === cls) n++;
      return n;
    },
    async oldestAgeMs(cls, nowMs) {
      let oldest: number | undefined = ordered(q(cls)).entries[q(cls).head]?.item.enqueuedMs;
      for (const e of leased.values()) if (e.item.priority === cls && (oldest === undefined || e.item.enqueuedMs < oldest)) oldest = e.item.enqueuedMs;
      return oldest === undefined ? 0 : Math.max(0, nowMs - oldest);
    },
    async close() {},
  });
  return { open };
}

export const createMemoryDeferredStore = (): DeferredStore => createMemoryDeferredStoreState().open();
