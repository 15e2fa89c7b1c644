import type { Meter } from '@opentelemetry/api';
import type { Backlog } from './backlog.ts';
import { LANES, perLane, type Lane, type PerLane } from './class-scheduler.ts';
import type { DeferralMode } from './deferral-rule.ts';
import type { DeferredStore } from './deferred-store.ts';
import { realSchedule, type Schedule } from './fake-clock.ts';
import { PRIORITIES, type GateItem, type Priority } from './gate-item.ts';
import { registerGateMetrics } from './gate-metrics.ts';
import { createGatePolicy, type GatePolicy } from './gate-policy.ts';
import { normalizeItems, type SubmitItem, type SubmitResult } from './intake.ts';
import { createMemoryIntakeCounts, groupItems, type IntakeCounts, type IntakeGroup } from './intake-counts.ts';
import type { AdmissionSignals } from './signals.ts';
import { memoryQuotaStore, quotaView, type TenantQuotaStore } from './tenant-quotas.ts';
import { createTenantStaging, type TenantStaging } from './tenant-staging.ts';

export interface GateOptions {
  backlog: Backlog;
  deferred: DeferredStore;
  policy?: GatePolicy;
  /** Hand items to the DAG durably; the gate acks its backlogs only after this resolves. */
  admit(items: GateItem[]): Promise<void>;
  signals(): Promise<AdmissionSignals>;
  /** Intake counts every submitter and gate of a deployment shares (default: this process's memory). */
  counts?: IntakeCounts;
  /** Tenant buckets every gate of a deployment shares (default: the policy's, in memory). */
  quotas?: TenantQuotaStore;
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
  const counts = opts.counts ?? createMemoryIntakeCounts({ now });
  const quotas = opts.quotas ?? memoryQuotaStore(policy.quotas);
  const staging = {} as Record<Priority, TenantStaging>;
  for (const p of PRIORITIES) staging[p] = createTenantStaging();
  // Admitted items whose release did not reach the counts yet (retried next round).
  let unreleased: IntakeGroup[] = [];
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
    const tenants = [...new Set(PRIORITIES.flatMap((p) => staging[p].tenants()))];
    const view = quotaView(tenants.length > 0 ? await quotas.available(tenants, t) : new Map());
    const wanted: PerLane<number> = {
      high: staging.high.eligible(view), normal: staging.normal.eligible(view), low: staging.low.eligible(view),
      deferred: s.deferred > 0 ? def.tokens : 0,
    };
    const ages = perLane((l) => {
      const head = l === 'deferred' ? undefined : staging[l].oldestEnqueuedMs();
      return Math.max(storeAge[l], head === undefined ? 0 : t - head);
    });
    s.oldestAgeMs = ages;
    const alloc = policy.classes.allocate(decision.budget, wanted, ages);
    // High may go past a full window at highBypassPerSec: its triggers travel on their own lane
    // at every node, so they never queue behind the window's work, and the rate bounds them.
    const bypassed = Math.max(0, Math.min(wanted.high - alloc.high, decision.highBudget - decision.budget));
    alloc.high += bypassed;
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
      const items = staging[p].take(alloc[p], view);
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
      if (view.spent.size > 0) await quotas.spend(view.spent, t);
      // Uncounted before the backlog forgets them: a crash in between counts an item low, never high.
      unreleased.push(...groupItems(PRIORITIES.flatMap((p) => taken[p] ?? [])));
      await releaseCounts();
      for (const p of PRIORITIES) {
        const items = taken[p];
        if (items?.length) await opts.backlog.ack(p, items.map((i) => i.id));
        const d = claimed[p];
        if (d?.length) await opts.deferred.ack(p, d.map((i) => i.id));
      }
    } else if (unreleased.length > 0) await releaseCounts();
    const nDeferred = batch.length - PRIORITIES.reduce((a, p) => a + (taken[p]?.length ?? 0), 0);
    policy.admission.spent(batch.length, Math.max(0, (taken.high?.length ?? 0) - (alloc.high - bypassed)));
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
    s.backlog = counts.perClass();
  };

  const releaseCounts = async () => {
    if (unreleased.length === 0) return;
    const groups = unreleased;
    unreleased = [];
    try {
      await counts.release(groups);
    } catch (err) {
      unreleased = [...groups, ...unreleased];
      opts.onError?.(err);
    }
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
      const isDeferred = (i: GateItem) => i.resource === 'gpu' && deferClasses.has(i.priority);
      const deferred = items.filter(isDeferred);
      const rest = deferred.length === 0 ? items : items.filter((i) => !isDeferred(i));
      const refuse = (retryAfterMs: number, reason: string): SubmitResult => {
        s.rejectedTotal += items.length;
        return { rejected: 'try-later', retryAfterMs, reason };
      };
      if (deferred.length > 0) {
        // The store's own size: every submitter of a deployment sees the same one.
        const parked = (await Promise.all([...deferClasses].map((p) => opts.deferred.size(p)))).reduce((a, b) => a + b, 0);
        s.deferred = parked;
        if (parked + deferred.length > cfg.deferral.maxDeferred) return refuse(Math.max(cfg.intake.minRetryAfterMs, 60_000), `the deferred store is full (${cfg.deferral.maxDeferred} items)`);
      }
      const room = rest.length > 0 ? await counts.reserve(groupItems(rest), cfg.intake) : undefined;
      if (room && 'full' in room) return refuse(room.retryAfterMs, room.full);
      try {
        if (rest.length > 0) await opts.backlog.push(rest);
        if (deferred.length > 0) { await opts.deferred.put(deferred); s.deferred += deferred.length; }
      } catch (err) {
        if (room) await counts.cancel(room.reserved).catch(() => {});
        throw err;
      }
      // Unconfirmed, the reservation's room comes back when its lease ends: counted low, never high.
      if (room) await counts.commit(room.reserved).catch((err: unknown) => opts.onError?.(err));
      s.backlog = counts.perClass();
      return { accepted: items.length };
    },
    async start() {
      if (running) return;
      const sizes = await Promise.all(PRIORITIES.map((p) => opts.backlog.size(p)));
      await counts.seed({ high: sizes[0] ?? 0, normal: sizes[1] ?? 0, low: sizes[2] ?? 0 });
      s.backlog = counts.perClass();
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
