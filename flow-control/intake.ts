import { NonRetryableError } from '../framework/errors/index.ts';
import type { GateConfig } from './gate-config.ts';
import { isPriority, PRIORITIES, type GateItem, type Priority } from './gate-item.ts';

export type SubmitResult = { accepted: number } | { rejected: 'try-later'; retryAfterMs: number };
export type SubmitItem = Omit<GateItem, 'enqueuedMs'> & { enqueuedMs?: number };

/**
 * Bounded intake: counts what each class and tenant owes the backlog, and answers
 * "try later" (with an estimate of when room appears) instead of growing without bound.
 */
export function createIntake(cfg: GateConfig['intake']) {
  const perClass: Record<Priority, number> = { high: 0, normal: 0, low: 0 };
  const perTenant = new Map<string, number>();
  const key = (p: Priority, tenant: string) => `${p}\u0000${tenant}`;

  return {
    perClass,
    /** Seed class counts from the durable backlog at start (earlier runs' items). */
    seed(p: Priority, n: number) { perClass[p] = n; },
    check(items: readonly GateItem[], ratePerSec: Record<Priority, number>): SubmitResult | undefined {
      const addClass: Record<Priority, number> = { high: 0, normal: 0, low: 0 };
      const addTenant = new Map<string, number>();
      for (const it of items) {
        addClass[it.priority]++;
        const k = key(it.priority, it.tenant);
        addTenant.set(k, (addTenant.get(k) ?? 0) + 1);
      }
      let worst = 0;
      for (const p of PRIORITIES) {
        const over = perClass[p] + addClass[p] - cfg.maxPerClass;
        if (addClass[p] > 0 && over > 0) worst = Math.max(worst, over / Math.max(ratePerSec[p], 0.01));
      }
      for (const [k, n] of addTenant) {
        const over = (perTenant.get(k) ?? 0) + n - cfg.maxPerTenant;
        const p = k.slice(0, k.indexOf('\u0000')) as Priority;
        if (over > 0) worst = Math.max(worst, over / Math.max(ratePerSec[p], 0.01));
      }
      if (worst === 0) return undefined;
      return { rejected: 'try-later', retryAfterMs: Math.min(300_000, Math.max(cfg.minRetryAfterMs, Math.ceil(worst * 1000))) };
    },
    added(items: readonly GateItem[]) {
      for (const it of items) {
        perClass[it.priority]++;
        const k = key(it.priority, it.tenant);
        perTenant.set(k, (perTenant.get(k) ?? 0) + 1);
      }
    },
    removed(items: readonly GateItem[]) {
      for (const it of items) {
        perClass[it.priority] = Math.max(0, perClass[it.priority] - 1);
        const k = key(it.priority, it.tenant);
        const n = (perTenant.get(k) ?? 0) - 1;
        if (n > 0) perTenant.set(k, n); else perTenant.delete(k);
      }
    },
  };
}

/** Reject malformed items with one error naming every problem. */
export function normalizeItems(items: readonly SubmitItem[], nowMs: number): GateItem[] {
  const problems: string[] = [];
  const out = items.map((it, i) => {
    const at = `items[${i}]`;
    if (typeof it !== 'object' || it === null) { problems.push(`Expected \`${at}\` to be an object`); return it as GateItem; }
    for (const f of ['id', 'dag', 'itemKey', 'tenant'] as const) {
      if (typeof it[f] !== 'string' || it[f] === '') problems.push(`Expected \`${at}.${f}\` to be a non-empty string, got \`${String(it[f])}\` (${typeof it[f]})`);
    }
    if (!isPriority(it.priority)) problems.push(`Expected \`${at}.priority\` to be one of high, normal, low, got \`${String(it.priority)}\``);
    if (it.resource !== 'cpu' && it.resource !== 'gpu') problems.push(`Expected \`${at}.resource\` to be cpu or gpu, got \`${String(it.resource)}\``);
    if (typeof it.source !== 'object' || it.source === null) problems.push(`Expected \`${at}.source\` to be an object of strings`);
    return { ...it, enqueuedMs: it.enqueuedMs ?? nowMs } as GateItem;
  });
  if (problems.length > 0) throw new NonRetryableError(`Invalid gate items:\n  - ${problems.slice(0, 20).join('\n  - ')}`, { code: 'GATE_BAD_ITEM' });
  return out;
}
