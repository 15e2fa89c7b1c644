// Per-tenant quotas: a token bucket per tenant, shared by all lanes, so a tenant's quota bounds
// its total admissions whatever the priority it claims. As a port, so every gate process of a
// deployment draws from one bucket per tenant (Redis); this process's memory when embedded.
import type { GateConfig } from './gate-config.ts';

export type QuotaConfig = GateConfig['tenants'];

export interface TenantQuotaStore {
  /** Whole tokens each tenant may spend now; Infinity for a tenant without a quota. */
  available(tenants: readonly string[], nowMs: number): Promise<Map<string, number>>;
  /** Charge what was admitted. Another gate may have spent the same tokens meanwhile: the bucket then owes them. */
  spend(spent: ReadonlyMap<string, number>, nowMs: number): Promise<void>;
}

/** A tenant's quota, or none. */
export const quotaOf = (cfg: QuotaConfig, tenant: string): { ratePerSec: number; burst: number } | undefined => cfg.quotas[tenant] ?? cfg.default;
export const hasQuotas = (cfg: QuotaConfig): boolean => cfg.default !== undefined || Object.keys(cfg.quotas).length > 0;

interface Bucket { tokens: number; at: number; ratePerSec: number; burst: number }

/** In-process buckets (refilled on read). */
export function createTenantQuotas(cfg: QuotaConfig) {
  const buckets = new Map<string, Bucket | null>();
  const bucket = (tenant: string, nowMs: number): Bucket | null => {
    let b = buckets.get(tenant);
    if (b === undefined) {
      const q = quotaOf(cfg, tenant);
      b = q ? { tokens: q.burst, at: nowMs, ratePerSec: q.ratePerSec, burst: q.burst } : null;
      buckets.set(tenant, b);
    }
    if (b) {
      b.tokens = Math.min(b.burst, b.tokens + ((nowMs - b.at) / 1000) * b.ratePerSec);
      b.at = nowMs;
    }
    return b;
  };
  return {
    /** How many items the tenant may have admitted now (Infinity without a quota). */
    available(tenant: string, nowMs: number): number {
      const b = bucket(tenant, nowMs);
      return b ? Math.floor(b.tokens) : Infinity;
    },
    take(tenant: string, n: number, nowMs: number): void {
      const b = bucket(tenant, nowMs);
      if (b) b.tokens -= n;
    },
  };
}
export type TenantQuotas = ReturnType<typeof createTenantQuotas>;

export function memoryQuotaStore(quotas: TenantQuotas): TenantQuotaStore {
  return {
    async available(tenants, nowMs) { return new Map(tenants.map((t) => [t, quotas.available(t, nowMs)])); },
    async spend(spent, nowMs) { for (const [t, n] of spent) quotas.take(t, n, nowMs); },
  };
}

/** One admission round's view of the buckets: staging takes from it, and the round spends what it took. */
export interface QuotaView {
  available(tenant: string): number;
  take(tenant: string, n: number): void;
  readonly spent: ReadonlyMap<string, number>;
}

export function quotaView(tokens: ReadonlyMap<string, number>): QuotaView {
  const spent = new Map<string, number>();
  return {
    available: (t) => (tokens.get(t) ?? Infinity) - (spent.get(t) ?? 0),
    take: (t, n) => { if ((tokens.get(t) ?? Infinity) !== Infinity) spent.set(t, (spent.get(t) ?? 0) + n); },
    spent,
  };
}
