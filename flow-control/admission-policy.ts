import type { GateConfig } from './gate-config.ts';
import type { AdmissionSignals } from './signals.ts';

export type CongestionReason = 'resource-exhausted' | 'timeouts' | 'lag-flood' | 'lag' | 'probe' | 'hold';

export interface AdmissionDecision {
  /** The in-flight window: items allowed inside the DAG at once. */
  limit: number;
  /** Items the gate may admit now: the window's free room, capped by the rate. */
  budget: number;
  /** Items high priority may take now: the window's free room plus the bypass tokens, capped by the rate. */
  highBudget: number;
  reason: CongestionReason;
}

export interface AdmissionPolicy {
  /**
   * `limited`: the last budget was used up with work still waiting (the window binds).
   * Defaults to judging by in-flight items alone.
   */
  decide(signals: AdmissionSignals, nowMs: number, limited?: boolean): AdmissionDecision;
  /** Items actually admitted from the last decision (charges the rate cap), `bypassed` of them past the window. */
  spent(n: number, bypassed?: number): void;
  readonly limit: number;
}

/**
 * The worst node's queue as a multiple of its target. A node's queue is its lag less the items
 * miners hold for it (being worked on, they count in the lag until their batch commits). The
 * target is `targetQueue` when configured,
 * else, where the signals give per-node capacity, max(4, the node's capacity) — one round of
 * waiting: miners take a batch at a time, and a shorter queue leaves part of the next batch
 * empty — and max(4, the DAGs' capacity / 2) for the others.
 */
export function queuePressure(s: AdmissionSignals, targetQueue: number | undefined): number {
  const overall = targetQueue ?? Math.max(4, s.capacity / 2);
  let worst = 0;
  for (const [node, lag] of Object.entries(s.lagByNode)) {
    const cap = s.capacityByNode?.[node];
    const target = targetQueue ?? (cap ? Math.max(4, cap) : overall);
    const p = Math.max(0, lag - (s.inHandByNode?.[node] ?? 0)) / target;
    if (p > worst) worst = p;
  }
  return worst;
}

/**
 * A Vegas-style window controller with AIMD's hard brake. The window bounds items in the
 * DAG (in flight), so the queue inside it stays short: Vegas keeps the measured queue (the
 * worst node's lag against its target, `queuePressure`) near the target — grow by √limit
 * while it is below, shrink by √limit while above — and any RESOURCE_EXHAUSTED, timeout or a lag flood (> 2× target) cuts the
 * window multiplicatively. The window only grows while it is the binding constraint
 * (TCP's "application-limited" rule), so idle periods don't inflate it.
 */
export function createAdmissionPolicy(cfg: GateConfig['admission']): AdmissionPolicy {
  let limit = cfg.initialLimit;
  let lastAdjust = -Infinity;
  let lastExhausted: number | undefined;
  let lastTimeouts: number | undefined;
  let tokens = cfg.maxRatePerSec ?? 0;
  let lastRefill: number | undefined;
  let pendingHard = false;
  // High's bypass of a full window: a token bucket of highBypassPerSec, one second deep.
  const bypassDepth = Math.max(1, cfg.highBypassPerSec);
  let bypass = cfg.highBypassPerSec > 0 ? bypassDepth : 0;
  let lastBypassRefill: number | undefined;

  const clamp = (v: number) => Math.min(cfg.maxLimit, Math.max(cfg.minLimit, v));

  return {
    get limit() { return limit; },
    spent(n, bypassed = 0) {
      if (cfg.maxRatePerSec !== undefined) tokens = Math.max(0, tokens - n);
      bypass = Math.max(0, bypass - bypassed);
    },
    decide(s, nowMs, limited) {
      const exhausted = lastExhausted === undefined ? 0 : Math.max(0, s.resourceExhausted - lastExhausted);
      const timedOut = lastTimeouts === undefined ? 0 : Math.max(0, s.timeouts - lastTimeouts);
      lastExhausted = s.resourceExhausted;
      lastTimeouts = s.timeouts;
      const queue = queuePressure(s, cfg.targetQueue);
      let reason: CongestionReason = 'hold';
      if (exhausted > 0) reason = 'resource-exhausted';
      else if (timedOut > 0) reason = 'timeouts';
      else if (queue > 2) reason = 'lag-flood';
      if (reason !== 'hold') pendingHard = true;

      if (nowMs - lastAdjust >= cfg.adjustIntervalMs) {
        const step = Math.max(1, Math.sqrt(limit));
        if (pendingHard) {
          limit = clamp(limit * cfg.backoff);
          if (reason === 'hold') reason = 'resource-exhausted';
        } else if (queue > 1) {
          limit = clamp(limit - step);
          reason = 'lag';
        } else if ((limited ?? s.inFlight >= limit - step) && (s.utilization < 0.999 || queue < 0.5)) {
          // The window binds and the DAG is not full (or its queue is short): probe upward.
          limit = clamp(limit + step);
          reason = 'probe';
        }
        pendingHard = false;
        lastAdjust = nowMs;
      }

      let budget = Math.max(0, Math.floor(limit - s.inFlight));
      if (cfg.highBypassPerSec > 0) {
        const dt = lastBypassRefill === undefined ? 0 : (nowMs - lastBypassRefill) / 1000;
        bypass = Math.min(bypassDepth, bypass + dt * cfg.highBypassPerSec);
      }
      lastBypassRefill = nowMs;
      let highBudget = budget + Math.floor(bypass);
      if (cfg.maxRatePerSec !== undefined) {
        const dt = lastRefill === undefined ? 0 : (nowMs - lastRefill) / 1000;
        lastRefill = nowMs;
        tokens = Math.min(cfg.maxRatePerSec, tokens + dt * cfg.maxRatePerSec);
        budget = Math.min(budget, Math.floor(tokens));
        highBudget = Math.min(highBudget, Math.floor(tokens));
      }
      return { limit, budget, highBudget, reason };
    },
  };
}

