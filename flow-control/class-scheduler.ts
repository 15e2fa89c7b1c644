import type { GateConfig } from './gate-config.ts';

export const LANES = ['high', 'normal', 'low', 'deferred'] as const;
export type Lane = (typeof LANES)[number];
export type PerLane<T> = Record<Lane, T>;

export const perLane = <T>(f: (lane: Lane) => T): PerLane<T> =>
  ({ high: f('high'), normal: f('normal'), low: f('low'), deferred: f('deferred') });

export interface ClassScheduler {
  /** Split an admission budget between lanes; never gives a lane more than it wants. */
  allocate(budget: number, wanted: PerLane<number>, oldestAgeMs: PerLane<number>): PerLane<number>;
}

/**
 * High first, bounded: while other lanes wait, high takes at most `highMaxShare` of the
 * admissions over time (a credit counter, so the share holds even when a round admits one
 * item). The rest is split by deficit round-robin over weights that grow with the age of
 * each lane's oldest item (weight × (1 + age / agingMs)), so no lane starves. Unused
 * shares flow on to whoever still has work (work-conserving).
 */
export function createClassScheduler(cfg: GateConfig['priority']): ClassScheduler {
  const credit = perLane(() => 0);
  const baseWeight: Record<Exclude<Lane, 'high'>, number> = cfg.weights;
  const others = ['normal', 'low', 'deferred'] as const;

  return {
    allocate(budget, wanted, age) {
      const out = perLane(() => 0);
      if (budget <= 0) return out;
      const othersWant = others.some((l) => wanted[l] > 0);
      let left = budget;

      if (wanted.high > 0) {
        if (!othersWant) {
          out.high = Math.min(wanted.high, left);
        } else {
          credit.high = Math.min(credit.high + budget * cfg.highMaxShare, budget + 1);
          out.high = Math.min(wanted.high, Math.floor(credit.high), left);
          credit.high -= out.high;
        }
        left -= out.high;
      } else credit.high = 0;

      const active = others.filter((l) => wanted[l] > 0);
      for (const l of others) if (wanted[l] <= 0) credit[l] = 0;
      if (left > 0 && active.length > 0) {
        const w = active.map((l) => baseWeight[l] * (1 + age[l] / cfg.agingMs));
        const sum = w.reduce((a, b) => a + b, 0);
        const round = left;
        active.forEach((l, i) => {
          credit[l] = Math.min(credit[l] + (round * (w[i] ?? 0)) / sum, round + 1);
          const give = Math.min(wanted[l], Math.floor(credit[l]), left);
          out[l] = give;
          credit[l] -= give;
          left -= give;
        });
        // Work-conserving: hand what is left to lanes with more work, heaviest first.
        const byWeight = active.map((l, i) => ({ l, w: w[i] ?? 0 })).sort((a, b) => b.w - a.w);
        for (const { l } of byWeight) {
          if (left <= 0) break;
          const more = Math.min(wanted[l] - out[l], left);
          if (more > 0) { out[l] += more; left -= more; }
        }
      }
      if (left > 0 && wanted.high > out.high) out.high += Math.min(wanted.high - out.high, left);
      return out;
    },
  };
}
