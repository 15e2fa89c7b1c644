import { open, type RootDatabase } from 'lmdb';
import type { Backlog } from '../backlog.ts';
import { PRIORITIES, type GateItem, type Priority } from '../gate-item.ts';

/**
 * Embedded durable backlog in LMDB: key [class, seq] → item. Leases live in memory only,
 * so a restart hands every unacked item out again (at-least-once).
 */
export function createLmdbBacklog({ path }: { path: string }): Backlog {
  const db: RootDatabase<GateItem, [string, number]> = open({ path, name: 'gate-backlog' });
  const seq: Record<Priority, number> = { high: 0, normal: 0, low: 0 };
  const cursor: Record<Priority, number> = { high: 0, normal: 0, low: 0 };
  const count: Record<Priority, number> = { high: 0, normal: 0, low: 0 };
  // Leases per id: one child emitted by two parents is two backlog items with one id.
  const leased = new Map<string, [Priority, number][]>();
  for (const p of PRIORITIES) {
    for (const { key } of db.getRange({ start: [p, Number.MAX_VALUE], end: [p, -1], reverse: true, limit: 1 })) seq[p] = (key[1] as number) + 1;
    count[p] = db.getCount({ start: [p, 0], end: [p, Number.MAX_VALUE] });
  }

  return {
    async push(items) {
      await db.transaction(() => {
        for (const it of items) { void db.put([it.priority, seq[it.priority]++], it); count[it.priority]++; }
      });
    },
    async pull(cls, max) {
      const out: GateItem[] = [];
      if (max <= 0) return out;
      for (const { key, value } of db.getRange({ start: [cls, cursor[cls]], end: [cls, Number.MAX_VALUE], limit: max })) {
        out.push(value);
        leased.set(value.id, [...(leased.get(value.id) ?? []), [cls, key[1] as number]]);
        cursor[cls] = (key[1] as number) + 1;
      }
      return out;
    },
    async ack(_cls, ids) {
      await db.transaction(() => {
        for (const id of ids) {
          const copies = leased.get(id);
          const l = copies?.shift();
          if (copies?.length === 0) leased.delete(id);
          if (l && db.removeSync([l[0], l[1]])) count[l[0]]--;
        }
      });
    },
    async size(cls) { return count[cls]; },
    async oldestAgeMs(cls, nowMs) {
      for (const { value } of db.getRange({ start: [cls, 0], end: [cls, Number.MAX_VALUE], limit: 1 })) return Math.max(0, nowMs - value.enqueuedMs);
      return 0;
    },
    async close() { await db.close(); },
  };
}
