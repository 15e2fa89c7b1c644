import type { Meter } from '@opentelemetry/api';
import type { Backlog } from './backlog.ts';
import { LANES, perLane, type Lane, type PerLane } from './class-scheduler.ts';
import type { DeferralMode } from './deferral-rule.ts';
import type { DeferredStore } from './deferred-store.ts';
import { realSchedule, type Schedule } from './fake-clock.ts';
import { PRIORITIES, type GateItem, type Priority } from './gate-item.ts';
import { registerGateMetrics } from './gate-metrics.ts';
import { createGatePolicy, type GatePolicy } from './gate-policy.ts';
import { createIntake, normalizeItems, type SubmitItem, type SubmitResult } from './intake.ts';
import type { AdmissionSignals } from './signals.ts';
import { createTenantStaging, type TenantStaging } from './tenant-staging.ts';

export interface GateOptions {
  backlog: Backlog;
  deferred: DeferredStore;
  policy?: GatePolicy;
  /** Hand items to the DAG durably; the gate acks its backlogs only after this resolves. */
  admit(items: GateItem[]): Promise<void>;
  signals(): Promise<AdmissionSignals>;
  now?: () => number;
  schedule?: Schedule;
  meter?: Meter;
  /** How often backlog sizes and ages are re-read from the stores. */
  statsIntervalMs?: number;
  onError?(err: unknown): void;
}

export interface GateStats {
  backlog: Record<Priority, number>;
  deferred: number;
  oldestAgeMs: PerLane<number>;
  admittedPerSec: PerLane<number>;
  admittedTotal: PerLane<number>;
  rejectedTotal: number;
  window: number;
  lastBudget: number;
  reason: string;
  deferralMode: DeferralMode;
  utilization: number;
}

export interface Gate {
  submit(items: readonly SubmitItem[]): Promise<SubmitResult>;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Run one admission round now (tests and simulations drive it directly). */
  tick(): Promise<void>;
  stats(): GateStats;
}

export function createGate(opts: GateOptions): Gate {
  const policy = opts.policy ?? createGatePolicy();
  const cfg = policy.config;
  const now = opts.now ?? Date.now;
  const schedule = opts.schedule ?? realSchedule;
  const statsEvery = opts.statsIntervalMs ?? Math.max(cfg.tickMs, 1000);
  const intake = createIntake(cfg.intake);
  const staging = {} as Record<Priority, TenantStaging>;
  for (const p of PRIORITIES) staging[p] = createTenantStaging(policy.quotas);
  const deferClasses = new Set(cfg.deferral.classes);

  const s: GateStats = {
    backlog: { high: 0, normal: 0, low: 0 }, deferred: 0, oldestAgeMs: perLane(() => 0),
    admittedPerSec: perLane(() => 0), admittedTotal: perLane(() => 0), rejectedTotal: 0,
    window: policy.admission.limit, lastBudget: 0, reason: 'hold', deferralMode: 'trickle', utilization: 0,
  };
  let storeAge: PerLane<number> = perLane(() => 0);
  let lastStatsAt = -Infinity;
  let lastTickAt: number | undefined;
  let timer: { cancel(): void } | undefined;
  let running = false;
  let inTick: Promise<void> | undefined;
  let backoffMs = 0;
  let lastLimited = false;
  let lastContended = true;
  let contention = 1;

  const refreshStoreStats = async (t: number) => {
    const ages = await Promise.all(PRIORITIES.map((p) => opts.backlog.oldestAgeMs(p, t)));
    const defSizes = await Promise.all([...deferClasses].map((p) => opts.deferred.size(p)));
    const defAges = await Promise.all([...deferClasses].map((p) => opts.deferred.oldestAgeMs(p, t)));
    storeAge = { high: ages[0] ?? 0, normal: ages[1] ?? 0, low: ages[2] ?? 0, deferred: Math.max(0, ...defAges) };
    s.deferred = defSizes.reduce((a, b) => a + b, 0);
    lastStatsAt = t;
  };

  const round = async () => {
    const t = now();
    const sig = await opts.signals();
    if (t - lastStatsAt >= statsEvery) await refreshStoreStats(t);
    const decision = policy.admission.decide(sig, t, lastLimited);
    s.window = decision.limit; s.lastBudget = decision.budget; s.reason = decision.reason; s.utilization = sig.utilization;

    // Read ahead up to maxStaged: a tenant's burst sits in front of the others' items in
    // the backlog, and only items read out of it can be served round-robin. The intake
    // bound per tenant (< maxStaged) guarantees the others' items are always within reach.
    for (const p of PRIORITIES) {
      const st = staging[p];
      const room = cfg.staging.maxStaged - st.size;
      if (room > 0) st.add(await opts.backlog.pull(p, room));
    }
    const def = policy.deferral.tokens(t, sig.utilization, lastContended);
    s.deferralMode = def.mode;
    const wanted: PerLane<number> = {
      high: staging.high.eligible(t), normal: staging.normal.eligible(t), low: staging.low.eligible(t),
      deferred: s.deferred > 0 ? def.tokens : 0,
    };
    const ages = perLane((l) => {
      const head = l === 'deferred' ? undefined : staging[l].oldestEnqueuedMs();
      return Math.max(storeAge[l], head === undefined ? 0 : t - head);
    });
    s.oldestAgeMs = ages;
    const alloc = policy.classes.allocate(decision.budget, wanted, ages);
    lastLimited = wanted.high + wanted.normal + wanted.low + wanted.deferred > decision.budget;
    const contendedNow = alloc.high < wanted.high || alloc.normal < wanted.normal || alloc.low < wanted.low
      || staging.high.size + staging.normal.size + staging.low.size > wanted.high + wanted.normal + wanted.low;
    // Smoothed over ~0.5 s: one tick where a fresh arrival waited must not stop the drain.
    const a = lastTickAt === undefined ? 1 : Math.min(1, (t - lastTickAt) / 500);
    contention = contention * (1 - a) + (contendedNow ? a : 0);
    lastContended = contention > 0.5;

    const taken: Partial<Record<Priority, GateItem[]>> = {};
    const batch: GateItem[] = [];
    for (const p of PRIORITIES) {
      if (alloc[p] <= 0) continue;
      const items = staging[p].take(alloc[p], t);
      taken[p] = items;
      batch.push(...items);
    }
    const claimed: Partial<Record<Priority, GateItem[]>> = {};
    let want = alloc.deferred;
    for (const p of PRIORITIES) {
      if (want <= 0 || !deferClasses.has(p)) continue;
      const items = await opts.deferred.claim(p, want, t, cfg.deferral.leaseMs);
      claimed[p] = items; want -= items.length; batch.push(...items);
    }
    if (batch.length > 0) {
      try {
        await opts.admit(batch);
      } catch (err) {
        for (const p of PRIORITIES) if (taken[p]) staging[p].unshift(taken[p]);
        // Claimed deferred items come back when their lease expires.
        backoffMs = Math.min(5_000, Math.max(cfg.tickMs, backoffMs * 2));
        throw err;
      }
      backoffMs = 0;
      for (const p of PRIORITIES) {
        const items = taken[p];
        if (items?.length) { await opts.backlog.ack(p, items.map((i) => i.id)); intake.removed(items); }
        const d = claimed[p];
        if (d?.length) await opts.deferred.ack(p, d.map((i) => i.id));
      }
    }
    const nDeferred = batch.length - PRIORITIES.reduce((a, p) => a + (taken[p]?.length ?? 0), 0);
    policy.admission.spent(batch.length);
    policy.deferral.spend(nDeferred);
    s.deferred = Math.max(0, s.deferred - nDeferred);
    const dt = lastTickAt === undefined ? 0 : (t - lastTickAt) / 1000;
    lastTickAt = t;
    for (const l of LANES) {
      const n = l === 'deferred' ? nDeferred : taken[l as Priority]?.length ?? 0;
      s.admittedTotal[l] += n;
      // EWMA over ~5 s so the figure is steady at any tick rate.
      if (dt > 0) { const a = Math.min(1, dt / 5); s.admittedPerSec[l] = s.admittedPerSec[l] * (1 - a) + (n / dt) * a; }
    }
    for (const p of PRIORITIES) s.backlog[p] = intake.perClass[p];
  };

  const tick = async () => {
    while (inTick) await inTick;
    inTick = round().catch((err) => { opts.onError?.(err); }).finally(() => { inTick = undefined; });
    await inTick;
  };
  const loop = async () => {
    if (!running) return;
    await tick();
    if (running) timer = schedule(loop, cfg.tickMs + backoffMs);
  };

  const gate: Gate = {
    async submit(raw) {
      const items = normalizeItems(raw, now());
      const deferred = items.filter((i) => i.resource === 'gpu' && deferClasses.has(i.priority));
      const rest = deferred.length === 0 ? items : items.filter((i) => !(i.resource === 'gpu' && deferClasses.has(i.priority)));
      const rates = { high: s.admittedPerSec.high, normal: s.admittedPerSec.normal, low: s.admittedPerSec.low };
      const verdict = intake.check(rest, rates);
      if (verdict) { s.rejectedTotal += items.length; return verdict; }
      if (s.deferred + deferred.length > cfg.deferral.maxDeferred) {
        s.rejectedTotal += items.length;
        return { rejected: 'try-later', retryAfterMs: Math.max(cfg.intake.minRetryAfterMs, 60_000) };
      }
      if (rest.length > 0) { await opts.backlog.push(rest); intake.added(rest); }
      if (deferred.length > 0) { await opts.deferred.put(deferred); s.deferred += deferred.length; }
      for (const p of PRIORITIES) s.backlog[p] = intake.perClass[p];
      return { accepted: items.length };
    },
    async start() {
      if (running) return;
      for (const p of PRIORITIES) intake.seed(p, await opts.backlog.size(p));
      await refreshStoreStats(now());
      running = true;
      timer = schedule(loop, 0);
    },
    async stop() {
      running = false;
      timer?.cancel();
      while (inTick) await inTick;
    },
    tick,
    stats: () => structuredClone(s),
  };
  registerGateMetrics(gate, opts.meter);
  return gate;
}

export type { Lane };
