import { CronExpressionParser } from 'cron-parser';
import type { GateConfig } from './gate-config.ts';

export type DeferralMode = 'window' | 'spare' | 'trickle';

export interface DeferralRule {
  /** How fast deferred work may be released now, and why. */
  /** `contended`: other lanes have work waiting that the admission budget did not cover. */
  releaseRate(nowMs: number, utilization: number, contended?: boolean): { ratePerSec: number; mode: DeferralMode };
  /** Release tokens earned since the last call (at most one second's worth is banked). */
  tokens(nowMs: number, utilization: number, contended?: boolean): { tokens: number; mode: DeferralMode };
  spend(n: number): void;
  inWindow(nowMs: number): boolean;
}

interface Window { cron: string; durationMs: number; openAt: number; closeAt: number; nextOpen: number }

/**
 * "Compute fast when there is capacity, slowly when there is none": inside a schedule
 * window deferred work drains at the full rate; outside, it drains at the full rate while
 * no other lane is left waiting (the admission window still bounds the DAG's queue, and
 * the next high or normal arrival makes the lanes contended again), at a rate
 * scaled by measured spare capacity (utilization below `spareUtilization`) when others
 * wait, and at the trickle rate otherwise.
 */
export function createDeferralRule(cfg: GateConfig['deferral']): DeferralRule {
  const windows: Window[] = cfg.windows.map((w) => {
    CronExpressionParser.parse(w.cron, { tz: 'UTC' }); // fail early on a bad expression
    return { ...w, openAt: NaN, closeAt: NaN, nextOpen: NaN };
  });
  let bank = 0;
  let last: number | undefined;

  // Recompute a window's bounds only when time leaves the cached span (cheap per tick).
  const refresh = (w: Window, nowMs: number) => {
    if (nowMs >= w.openAt && nowMs < w.nextOpen) return;
    const at = new Date(nowMs + 1);
    const prev = CronExpressionParser.parse(w.cron, { tz: 'UTC', currentDate: at }).prev().getTime();
    const next = CronExpressionParser.parse(w.cron, { tz: 'UTC', currentDate: at }).next().getTime();
    w.openAt = prev; w.closeAt = prev + w.durationMs; w.nextOpen = next;
  };
  const inWindow = (nowMs: number) => windows.some((w) => { refresh(w, nowMs); return nowMs < w.closeAt; });

  const releaseRate = (nowMs: number, utilization: number, contended = true) => {
    if (inWindow(nowMs)) return { ratePerSec: cfg.maxDrainPerSec, mode: 'window' as const };
    // Nobody else is waiting for the DAG: whatever room the admission window leaves is spare.
    if (!contended) return { ratePerSec: cfg.maxDrainPerSec, mode: 'spare' as const };
    if (cfg.spareUtilization > 0 && utilization < cfg.spareUtilization) {
      const spare = (cfg.spareUtilization - utilization) / cfg.spareUtilization;
      return { ratePerSec: Math.max(cfg.trickleRatePerSec, cfg.maxDrainPerSec * spare), mode: 'spare' as const };
    }
    return { ratePerSec: cfg.trickleRatePerSec, mode: 'trickle' as const };
  };

  return {
    inWindow,
    releaseRate,
    tokens(nowMs, utilization, contended) {
      const { ratePerSec, mode } = releaseRate(nowMs, utilization, contended);
      const dt = last === undefined ? 0 : Math.max(0, nowMs - last) / 1000;
      last = nowMs;
      bank = Math.min(Math.max(ratePerSec, 1), bank + dt * ratePerSec);
      return { tokens: Math.floor(bank), mode };
    },
    spend(n) { bank = Math.max(0, bank - n); },
  };
}
