import type { GateItem } from './gate-item.ts';
import type { QuotaView } from './tenant-quotas.ts';

/**
 * Items pulled from one backlog class and not yet admitted, in one FIFO per tenant.
 * `take` serves tenants round-robin and skips those out of quota, so a tenant's burst
 * takes at most its fair share and never blocks the others' items behind it.
 */
export function createTenantStaging() {
  const queues = new Map<string, GateItem[]>();
  let ring: string[] = [];
  let cursor = 0;
  let count = 0;

  return {
    get size() { return count; },
    add(items: readonly GateItem[]): void {
      for (const item of items) {
        let q = queues.get(item.tenant);
        if (!q) { q = []; queues.set(item.tenant, q); ring.push(item.tenant); }
        q.push(item);
        count++;
      }
    },
    /** Put items back at the head (their admission failed). */
    unshift(items: readonly GateItem[]): void {
      for (let i = items.length - 1; i >= 0; i--) {
        const item = items[i]!;
        let q = queues.get(item.tenant);
        if (!q) { q = []; queues.set(item.tenant, q); ring.push(item.tenant); }
        q.unshift(item);
        count++;
      }
    },
    /** Tenants with items staged. */
    tenants(): string[] { return [...queues.keys()]; },
    /** Items whose tenant has quota left right now. */
    eligible(quotas: QuotaView): number {
      let n = 0;
      for (const [tenant, q] of queues) n += Math.max(0, Math.min(q.length, quotas.available(tenant)));
      return n;
    },
    oldestEnqueuedMs(): number | undefined {
      let min: number | undefined;
      for (const q of queues.values()) {
        const head = q[0];
        if (head && (min === undefined || head.enqueuedMs < min)) min = head.enqueuedMs;
      }
      return min;
    },
    take(max: number, quotas: QuotaView): GateItem[] {
      const out: GateItem[] = [];
      let idle = 0;
      while (out.length < max && ring.length > 0 && idle < ring.length) {
        cursor %= ring.length;
        const tenant = ring[cursor]!;
        const q = queues.get(tenant)!;
        if (q.length > 0 && quotas.available(tenant) >= 1) {
          out.push(q.shift()!);
          quotas.take(tenant, 1);
          count--;
          idle = 0;
        } else idle++;
        cursor++;
      }
      // Forget drained tenants so the ring stays as long as the active set.
      if (ring.some((t) => queues.get(t)!.length === 0)) {
        ring = ring.filter((t) => {
          const keep = queues.get(t)!.length > 0;
          if (!keep) queues.delete(t);
          return keep;
        });
        cursor = 0;
      }
      return out;
    },
  };
}
export type TenantStaging = ReturnType<typeof createTenantStaging>;
