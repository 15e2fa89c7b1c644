import { open, type RootDatabase } from 'lmdb';
import type { DeferredStore } from '../deferred-store.ts';
import type { GateItem, Priority } from '../gate-item.ts';

type Key = [string, string, number, number] | [string, string];
interface Lease { key: [string, string, number, number]; until: number; item: GateItem }

/**
 * Embedded durable deferred store in LMDB: ['w', class, score, seq] → item for waiting
 * work; ['l', id] → lease. A reopen (the only process died) returns every lease at once.
 */
export function createLmdbDeferredStore({ path }: { path: string }): DeferredStore {
  const db: RootDatabase<GateItem | Lease, Key> = open({ path, name: 'gate-deferred' });
  let seq = Date.now() * 1000;
  db.transactionSync(() => {
    for (const { key, value } of db.getRange({ start: ['l', ''], end: ['l', '\uffff'] })) {
      const l = value as Lease;
      db.putSync(l.key, l.item);
      db.removeSync(key);
    }
  });
  const leases = new Map<string, Lease>();

  const expire = async (nowMs: number) => {
    const due = [...leases.entries()].filter(([, l]) => l.until <= nowMs);
    if (due.length === 0) return;
    await db.transaction(() => {
      for (const [id, l] of due) { leases.delete(id); db.putSync(l.key, l.item); db.removeSync(['l', id]); }
    });
  };
  const waitingRange = (cls: Priority, nowMs = Number.MAX_VALUE) => ({ start: ['w', cls, -Number.MAX_VALUE, 0] as Key, end: ['w', cls, nowMs, Number.MAX_VALUE] as Key });

  return {
    async put(items, notBeforeMs) {
      await db.transaction(() => { for (const it of items) db.putSync(['w', it.priority, notBeforeMs ?? it.enqueuedMs, seq++], it); });
    },
    async claim(cls, max, nowMs, leaseMs) {
      await expire(nowMs);
      if (max <= 0) return [];
      const picked = [...db.getRange({ ...waitingRange(cls, nowMs), limit: max })];
      await db.transaction(() => {
        for (const { key, value } of picked) {
          const lease: Lease = { key: key as Lease['key'], until: nowMs + leaseMs, item: value as GateItem };
          db.removeSync(key);
          db.putSync(['l', lease.item.id], lease);
          leases.set(lease.item.id, lease);
        }
      });
      return picked.map((e) => e.value as GateItem);
    },
    async ack(_cls, ids) {
      await db.transaction(() => { for (const id of ids) if (leases.delete(id)) db.removeSync(['l', id]); });
    },
    async size(cls) {
      let n = db.getCount(waitingRange(cls));
      for (const l of leases.values()) if (l.item.priority === cls) n++;
      return n;
    },
    async oldestAgeMs(cls, nowMs) {
      let oldest: number | undefined;
      for (const { value } of db.getRange({ ...waitingRange(cls), limit: 1 })) oldest = (value as GateItem).enqueuedMs;
      for (const l of leases.values()) if (l.item.priority === cls && (oldest === undefined || l.item.enqueuedMs < oldest)) oldest = l.item.enqueuedMs;
      return oldest === undefined ? 0 : Math.max(0, nowMs - oldest);
    },
    async close() { await db.close(); },
  };
}
