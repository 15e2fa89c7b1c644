import hdr from 'hdr-histogram-js';
import { createFakeClock } from '../fake-clock.ts';
import { createGate } from '../gate.ts';
import type { GateConfigInput } from '../gate-config.ts';
import type { GateItem } from '../gate-item.ts';
import { createGatePolicy } from '../gate-policy.ts';
import { createMemoryBacklog } from '../internal/memory-backlog.ts';
import { createMemoryDeferredStore } from '../internal/memory-deferred-store.ts';
import { createCapacityModel, type CapacityModelOptions } from './capacity-model.ts';
import type { Arrival } from './trace.ts';

export const SIM_CLASSES = ['high', 'normal', 'low', 'low-gpu'] as const;
export type SimClass = (typeof SIM_CLASSES)[number];

export interface SimulationOptions {
  arrivals: Iterable<Arrival>;
  gate: GateConfigInput | 'off';
  capacity: CapacityModelOptions;
  /** Simulated start (the trace's time 0), UTC ms. */
  startMs: number;
  /** Resolution of the bottleneck model (the gate ticks at its own tickMs). */
  stepMs?: number;
  /** Utilization samples are averaged over this bucket. */
  bucketMs?: number;
  /** Stop if not drained this long after the last arrival. */
  maxDrainMs?: number;
}

export interface ClassResult { count: number; p50: number; p90: number; p99: number; max: number; mean: number }
export interface SimulationResult {
  mode: 'gate' | 'off';
  perClass: Record<SimClass, ClassResult>;
  submitted: number;
  completed: number;
  rejectedTryLater: number;
  deferredVolume: number;
  peakDeferred: number;
  peakBacklog: number;
  peakInFlight: number;
  peakInFlightBytes: number;
  completionMs: number;
  /** Average bottleneck utilization per bucket, with the bucket's start offset. */
  utilization: { atMs: number; utilization: number; inFlight: number; backlog: number; deferred: number }[];
  meanUtilization: number;
  wallMs: number;
}

const classOf = (i: GateItem): SimClass => (i.priority === 'low' && i.resource === 'gpu' ? 'low-gpu' : i.priority);

/** Replay a trace against a gate (or none) and a capacity model on a fake clock. */
export async function runSimulation(o: SimulationOptions): Promise<SimulationResult> {
  const wall = Date.now();
  const clock = createFakeClock(o.startMs);
  const stepMs = o.stepMs ?? 1000;
  const bucketMs = o.bucketMs ?? 3_600_000;
  const hist = Object.fromEntries(SIM_CLASSES.map((c) => [c, hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 30 * 86_400_000, numberOfSignificantValueDigits: 2 })])) as Record<SimClass, hdr.Histogram>;
  let completed = 0;
  let lastDone = o.startMs;
  const model = createCapacityModel(o.capacity, (it, at) => {
    hist[classOf(it)].recordValue(Math.max(1, Math.round(at - it.enqueuedMs)));
    completed++;
    lastDone = at;
  });
  let utilization = 0;
  const gate = o.gate === 'off' ? undefined : createGate({
    backlog: createMemoryBacklog(), deferred: createMemoryDeferredStore(), policy: createGatePolicy(o.gate),
    admit: async (items) => model.enqueue(items), signals: async () => model.signals(utilization),
    now: clock.now, schedule: clock.schedule, statsIntervalMs: 5_000,
  });
  await gate?.start();

  const res: SimulationResult = { mode: gate ? 'gate' : 'off', perClass: {} as SimulationResult['perClass'], submitted: 0, completed: 0,
    rejectedTryLater: 0, deferredVolume: 0, peakDeferred: 0, peakBacklog: 0, peakInFlight: 0, peakInFlightBytes: 0,
    completionMs: 0, utilization: [], meanUtilization: 0, wallMs: 0 };
  let retries: { atMs: number; items: GateItem[] }[] = [];
  let id = 0;
  let bucket = { start: o.startMs, util: 0, n: 0, inFlight: 0, backlog: 0, deferred: 0 };
  let utilSum = 0; let utilN = 0;
  const it = o.arrivals[Symbol.iterator]();
  let next = it.next();
  let lastArrival = o.startMs;

  const submit = async (items: GateItem[]) => {
    if (!gate) { model.enqueue(items); return; }
    const r = await gate.submit(items);
    if ('rejected' in r) { res.rejectedTryLater += items.length; retries.push({ atMs: clock.now() + r.retryAfterMs, items }); }
  };

  for (let t = o.startMs; ; t += stepMs) {
    // Time moves first; then whatever arrived during the step reaches the gate (never
    // before its arrival time), and the bottleneck works through the step.
    await clock.advance(stepMs);
    const batch: GateItem[] = [];
    while (!next.done && o.startMs + next.value.atMs < t + stepMs) {
      const a = next.value;
      const at = o.startMs + a.atMs;
      for (let k = 0; k < (a.count ?? 1); k++) {
        batch.push({ id: `s${id++}`, dag: 'sim', itemKey: `i${id}`, priority: a.priority, tenant: a.tenant, resource: a.resource, source: {}, enqueuedMs: at });
      }
      if (gate && a.priority === 'low' && a.resource === 'gpu') res.deferredVolume += a.count ?? 1;
      lastArrival = at;
      next = it.next();
    }
    res.submitted += batch.length;
    if (batch.length) await submit(batch);
    if (retries.length > 0 && retries.some((x) => x.atMs <= clock.now())) {
      const due = retries.filter((x) => x.atMs <= clock.now());
      retries = retries.filter((x) => x.atMs > clock.now());
      for (const r of due) await submit(r.items);
    }
    model.advance(clock.now() + stepMs, stepMs);
    utilization = model.takeUtilization();
    utilSum += utilization; utilN++;
    const st = gate?.stats();
    const backlog = st ? st.backlog.high + st.backlog.normal + st.backlog.low : 0;
    res.peakBacklog = Math.max(res.peakBacklog, backlog);
    res.peakDeferred = Math.max(res.peakDeferred, st?.deferred ?? 0);
    res.peakInFlight = Math.max(res.peakInFlight, model.inFlight);
    res.peakInFlightBytes = Math.max(res.peakInFlightBytes, model.bytesInFlight);
    bucket.util += utilization; bucket.n++; bucket.inFlight = Math.max(bucket.inFlight, model.inFlight);
    bucket.backlog = Math.max(bucket.backlog, backlog); bucket.deferred = Math.max(bucket.deferred, st?.deferred ?? 0);
    if (clock.now() - bucket.start >= bucketMs) {
      res.utilization.push({ atMs: bucket.start - o.startMs, utilization: bucket.util / bucket.n, inFlight: bucket.inFlight, backlog: bucket.backlog, deferred: bucket.deferred });
      bucket = { start: clock.now(), util: 0, n: 0, inFlight: 0, backlog: 0, deferred: 0 };
    }
    const drained = next.done && retries.length === 0 && completed === res.submitted;
    if (drained || (next.done && t - lastArrival > (o.maxDrainMs ?? 2 * 86_400_000))) break;
  }
  if (bucket.n > 0) res.utilization.push({ atMs: bucket.start - o.startMs, utilization: bucket.util / bucket.n, inFlight: bucket.inFlight, backlog: bucket.backlog, deferred: bucket.deferred });
  await gate?.stop();
  for (const c of SIM_CLASSES) {
    const h = hist[c];
    res.perClass[c] = { count: h.totalCount, p50: h.getValueAtPercentile(50), p90: h.getValueAtPercentile(90), p99: h.getValueAtPercentile(99), max: h.maxValue, mean: Math.round(h.mean) };
  }
  res.completed = completed;
  res.completionMs = lastDone - o.startMs;
  res.meanUtilization = utilN ? utilSum / utilN : 0;
  res.wallMs = Date.now() - wall;
  return res;
}
