import type { Backlog } from '../backlog.ts';
import { PRIORITIES, type GateItem, type Priority } from '../gate-item.ts';

/**
 * In-process backlog (not durable across processes). `reopen()` simulates a restart over
 * the same storage: items pulled and not acked become available again.
 */
export function createMemoryBacklogStore() {
  // Leases per id: one child emitted by two parents is two backlog items with one id.
  const lanes = new Map<Priority, { items: GateItem[]; head: number; leased: Map<string, GateItem[]> }>();
  for (const p of PRIORITIES) lanes.set(p, { items: [], head: 0, leased: new Map() });
  const lane = (p: Priority) => lanes.get(p)!;

  const open = (): Backlog => {
    // A new instance: whatever an earlier instance leased and never acked comes back first.
    for (const l of lanes.values()) {
      if (l.leased.size > 0) {
        const back = [...l.leased.values()].flat().sort((a, b) => a.enqueuedMs - b.enqueuedMs);
        l.items = [...back, ...l.items.slice(l.head)];
        l.head = 0;
        l.leased.clear();
      }
    }
    let closed = false;
    return {
      async push(items) {
        if (closed) throw new Error('backlog closed');
        for (const it of items) lane(it.priority).items.push(it);
      },
      async pull(cls, max) {
        const l = lane(cls);
        const out = l.items.slice(l.head, l.head + Math.max(0, max));
        l.head += out.length;
        for (const it of out) l.leased.set(it.id, [...(l.leased.get(it.id) ?? []), it]);
        if (l.head > 4096 && l.head * 2 > l.items.length) { l.items = l.items.slice(l.head); l.head = 0; }
        return out;
      },
      async ack(cls, ids) {
        const l = lane(cls);
        for (const id of ids) {
          const copies = l.leased.get(id);
          copies?.shift();
          if (copies?.length === 0) l.leased.delete(id);
        }
      },
      async size(cls) {
        const l = lane(cls);
        let leased = 0;
        for (const copies of l.leased.values()) leased += copies.length;
        return l.items.length - l.head + leased;
      },
      async oldestAgeMs(cls, nowMs) {
        const l = lane(cls);
        let oldest = l.items[l.head]?.enqueuedMs;
        for (const it of [...l.leased.values()].flat()) if (oldest === undefined || it.enqueuedMs < oldest) oldest = it.enqueuedMs;
        return oldest === undefined ? 0 : Math.max(0, nowMs - oldest);
      },
      async close() { closed = true; },
    };
  };
  return { open };
}

export const createMemoryBacklog = (): Backlog => createMemoryBacklogStore().open();
