import type { Backlog } from '../backlog.ts';
import { PRIORITIES, type GateItem, type Priority } from '../gate-item.ts';

/**
 * In-process backlog (not durable across processes). `reopen()` simulates a restart over
 * the same storage: items pulled and not acked become available again.
 */
export function createMemoryBacklogStore() {
  const lanes = new Map<Priority, { items: GateItem[]; head: number; leased: Map<string, GateItem> }>();
  for (const p of PRIORITIES) lanes.set(p, { items: [], head: 0, leased: new Map() });
  const lane = (p: Priority) => lanes.get(p)!;

  const open = (): Backlog => {
    // A new instance: whatever an earlier instance leased and never acked comes back first.
    for (const l of lanes.values()) {
      if (l.leased.size > 0) {
        const back = [...l.leased.values()].sort((a, b) => a.enqueuedMs - b.enqueuedMs);
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
        for (const it of out) l.leased.set(it.id, it);
        if (l.head > 4096 && l.head * 2 > l.items.length) { l.items = l.items.slice(l.head); l.head = 0; }
        return out;
      },
      async ack(cls, ids) {
        const l = lane(cls);
        for (const id of ids) l.leased.delete(id);
      },
      async size(cls) { const l = lane(cls); return l.items.length - l.head + l.leased.size; },
      async oldestAgeMs(cls, nowMs) {
        const l = lane(cls);
        let oldest = l.items[l.head]?.enqueuedMs;
        for (const it of l.leased.values()) if (oldest === undefined || it.enqueuedMs < oldest) oldest = it.enqueuedMs;
        return oldest === undefined ? 0 : Math.max(0, nowMs - oldest);
      },
      async close() { closed = true; },
    };
  };
  return { open };
}

export const createMemoryBacklog = (): Backlog => createMemoryBacklogStore().open();
