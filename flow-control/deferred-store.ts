import type { GateItem, Priority } from './gate-item.ts';

/**
 * The deferred edge: gpu work parked until capacity exists. Items are ordered by a
 * release score (`notBeforeMs`, default their enqueue time). `claim` leases items; a lease
 * that is not acked before `leaseMs` elapses (crash, restart) returns them to the store.
 */
export interface DeferredStore {
  put(items: readonly GateItem[], notBeforeMs?: number): Promise<void>;
  claim(cls: Priority, max: number, nowMs: number, leaseMs: number): Promise<GateItem[]>;
  ack(cls: Priority, ids: readonly string[]): Promise<void>;
  /** Waiting plus leased items. */
  size(cls: Priority): Promise<number>;
  /** Age (by enqueue time) of the next item in release order, or of a leased one if older. */
  oldestAgeMs(cls: Priority, nowMs: number): Promise<number>;
  close(): Promise<void>;
}
