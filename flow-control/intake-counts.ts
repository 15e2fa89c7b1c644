// Bounded intake as a port: how many items each class and tenant owes the backlog, kept where
// every process that submits or admits sees the same figures (Redis in a deployment, this
// process's memory when embedded). A submission reserves room first, all or nothing, and is
// counted in only if every class and tenant it touches has room; admission releases it.
//
// Errors lean low, never high: a count that is too high would refuse a tenant for ever, one that
// is too low only lets a few more items wait, and is clamped at zero when the class or tenant
// drains. So a reservation whose submitter died before it confirmed the push gives its room back
// when its lease runs out, and the gate releases admitted items before it acks the backlog.
import type { GateConfig } from './gate-config.ts';
import { PRIORITIES, type GateItem, type Priority } from './gate-item.ts';

export type IntakeLimits = GateConfig['intake'];

/** Items of one class and tenant. */
export interface IntakeGroup { priority: Priority; tenant: string; n: number }

/** By how many items a submission would overrun each class: its class bound, or its worst tenant's. */
export type Overrun = Record<Priority, { cls: number; tenant: number; tenantName: string }>;

export type Reservation = { reserved: string } | { full: string; retryAfterMs: number };

export interface IntakeCounts {
  /** Count the groups in if every class and tenant has room (the room is held for `leaseMs`); else nothing. */
  reserve(groups: readonly IntakeGroup[], limits: IntakeLimits): Promise<Reservation>;
  /** The reserved items are durably in the backlog: keep them counted. */
  commit(reservation: string): Promise<void>;
  /** The push failed: give the room back. */
  cancel(reservation: string): Promise<void>;
  /** Items left the backlog (admitted). Also feeds the admission rate the retry-after is estimated from. */
  release(groups: readonly IntakeGroup[]): Promise<void>;
  /** Class counts from the durable backlog (at a gate's start), plus the room reserved now. */
  seed(sizes: Record<Priority, number>): Promise<void>;
  /** Class counts as last seen. */
  perClass(): Record<Priority, number>;
  close(): Promise<void>;
}

/** How long a reservation holds its room before it is given back (its submitter died between reserve and push). */
export const RESERVATION_LEASE_MS = 30_000;
/** Time constant of the admission rate (an exponentially decayed count). */
export const RATE_TAU_MS = 5_000;

export function groupItems(items: readonly Pick<GateItem, 'priority' | 'tenant'>[]): IntakeGroup[] {
  const by = new Map<string, IntakeGroup>();
  for (const it of items) {
    const k = `${it.priority}\u0000${it.tenant}`;
    const g = by.get(k);
    if (g) g.n++;
    else by.set(k, { priority: it.priority, tenant: it.tenant, n: 1 });
  }
  return [...by.values()];
}

export const noOverrun = (): Overrun => ({ high: { cls: 0, tenant: 0, tenantName: '' }, normal: { cls: 0, tenant: 0, tenantName: '' }, low: { cls: 0, tenant: 0, tenantName: '' } });

/** "Try later" for an overrun, or undefined when there is none: wait until admissions at the class's rate make room. */
export function verdict(over: Overrun, ratePerSec: Record<Priority, number>, limits: IntakeLimits): { full: string; retryAfterMs: number } | undefined {
  let worst = 0;
  let full = '';
  for (const p of PRIORITIES) {
    const o = over[p];
    const n = Math.max(o.cls, o.tenant);
    if (n <= 0) continue;
    const secs = n / Math.max(ratePerSec[p], 0.01);
    if (secs <= worst) continue;
    worst = secs;
    full = o.cls >= o.tenant ? `the ${p} backlog is full (${limits.maxPerClass} items)` : `tenant ${o.tenantName} has ${limits.maxPerTenant} ${p} items waiting`;
  }
  if (worst === 0) return undefined;
  return { full, retryAfterMs: Math.min(300_000, Math.max(limits.minRetryAfterMs, Math.ceil(worst * 1000))) };
}

/** An exponentially decayed count of admissions: `value / τ` estimates the rate. */
export interface DecayedCount { value: number; atMs: number }
export function decayedAdd(c: DecayedCount, n: number, nowMs: number): DecayedCount {
  return { value: c.value * Math.exp(-Math.max(0, nowMs - c.atMs) / RATE_TAU_MS) + n, atMs: nowMs };
}
export const decayedRatePerSec = (c: DecayedCount, nowMs: number): number => (decayedAdd(c, 0, nowMs).value * 1000) / RATE_TAU_MS;

/** This process's counts: the embedded gate, where the gate and its submitters are one process. */
export function createMemoryIntakeCounts(options: { now?: () => number; leaseMs?: number } = {}): IntakeCounts {
  const now = options.now ?? Date.now;
  const leaseMs = options.leaseMs ?? RESERVATION_LEASE_MS;
  const perClass: Record<Priority, number> = { high: 0, normal: 0, low: 0 };
  const perTenant = new Map<string, number>();
  const rates = new Map<Priority, DecayedCount>();
  const reservations = new Map<string, { groups: readonly IntakeGroup[]; until: number }>();
  let seq = 0;
  const tk = (g: { priority: Priority; tenant: string }) => `${g.priority}\u0000${g.tenant}`;
  const add = (groups: readonly IntakeGroup[], sign: 1 | -1) => {
    for (const g of groups) {
      perClass[g.priority] = Math.max(0, perClass[g.priority] + sign * g.n);
      const n = (perTenant.get(tk(g)) ?? 0) + sign * g.n;
      if (n > 0) perTenant.set(tk(g), n); else perTenant.delete(tk(g));
    }
  };
  const sweep = (t: number) => {
    for (const [id, r] of reservations) if (r.until <= t) { reservations.delete(id); add(r.groups, -1); }
  };

  return {
    async reserve(groups, limits) {
      const t = now();
      sweep(t);
      const over = noOverrun();
      const addClass: Record<Priority, number> = { high: 0, normal: 0, low: 0 };
      for (const g of groups) {
        addClass[g.priority] += g.n;
        const o = (perTenant.get(tk(g)) ?? 0) + g.n - limits.maxPerTenant;
        if (o > over[g.priority].tenant) over[g.priority] = { ...over[g.priority], tenant: o, tenantName: g.tenant };
      }
      for (const p of PRIORITIES) if (addClass[p] > 0) over[p].cls = Math.max(0, perClass[p] + addClass[p] - limits.maxPerClass);
      const v = verdict(over, { high: rateNow('high', t), normal: rateNow('normal', t), low: rateNow('low', t) }, limits);
      if (v) return v;
      add(groups, 1);
      const id = `r${seq++}`;
      reservations.set(id, { groups, until: t + leaseMs });
      return { reserved: id };
    },
    async commit(id) { reservations.delete(id); },
    async cancel(id) {
      const r = reservations.get(id);
      if (!r) return;
      reservations.delete(id);
      add(r.groups, -1);
    },
    async release(groups) {
      const t = now();
      sweep(t);
      add(groups, -1);
      for (const g of groups) rates.set(g.priority, decayedAdd(rates.get(g.priority) ?? { value: 0, atMs: t }, g.n, t));
    },
    async seed(sizes) {
      for (const p of PRIORITIES) perClass[p] = sizes[p];
      for (const r of reservations.values()) for (const g of r.groups) perClass[g.priority] += g.n;
    },
    perClass: () => ({ ...perClass }),
    async close() {},
  };

  function rateNow(p: Priority, t: number): number {
    const c = rates.get(p);
    return c ? decayedRatePerSec(c, t) : 0;
  }
}
