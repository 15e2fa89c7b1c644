// What the core bench measured per phase, and how phases fold into one scenario's figures and
// into the Quarry ÷ BullMQ ratios. Every figure's definition is here, next to its arithmetic.
import type { ProduceRun } from './fat-baseline.ts';
import type { Counters } from './instrument.ts';
import type { PeerExtras } from './peer-quarry.ts';
import type { RedisSnapshot } from './proc-stats.ts';

export interface PhaseSample {
  rep: number;
  items: number;
  ends: Record<string, number>;
  /** First submit to last terminal (the peer process's clock). */
  elapsedMs: number;
  latenciesMs: number[];
  /** The bench's wall time for the whole request, settling included: the span CPU is measured over. */
  wallMs: number;
  /** CPU ms over `wallMs`, per process; redis and kafka are server-wide (other clients included). */
  cpuMs: { main: number; operator?: number; redis?: number; kafka?: number };
  /** Busy CPU of the whole machine, and the part no measured process accounts for. */
  machine: { busyMs: number; othersMs: number };
  redisServer?: RedisSnapshot;
  counters: Counters;
  extras: PeerExtras;
  elu: number;
  load1: number;
}

export interface Uses {
  redis: boolean;
  kafka: boolean;
  operatorProcess: boolean;
}

export interface ScenarioRaw {
  name: string;
  peer: string;
  size: string;
  bytes: number;
  uses: Uses;
  phases: PhaseSample[];
  probes: { latenciesMs: number[]; ends: Record<string, number> };
  /** The fat-message baseline's phases (it is not a pipeline). */
  fat?: { reference: ProduceRun; fat: ProduceRun; cpuMs: PhaseSample['cpuMs']; wallMs: number }[];
}

const r1 = (x: number): number => Math.round(x * 10) / 10;
const r3 = (x: number): number => Math.round(x * 1000) / 1000;
const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

/** Nearest-rank percentile of exact samples. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** The middle value, or the mean of the two middle values. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const perItemTop = (by: Record<string, number>, items: number, n = 6): [string, number][] =>
  Object.entries(by).sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => [k, r3(v / items)]);

const addInto = (into: Record<string, number>, from: Record<string, number> | undefined): void => {
  for (const [k, v] of Object.entries(from ?? {})) into[k] = (into[k] ?? 0) + v;
};

export function summarize(s: ScenarioRaw) {
  const ph = s.phases;
  const items = sum(ph.map((p) => p.items));
  const elapsedMs = sum(ph.map((p) => p.elapsedMs));
  const wallMs = sum(ph.map((p) => p.wallMs));
  const lat = ph.flatMap((p) => p.latenciesMs);
  const ends: Record<string, number> = {};
  for (const p of ph) addInto(ends, p.ends);
  const cpu = (k: keyof PhaseSample['cpuMs']): number | undefined => (ph.every((p) => p.cpuMs[k] !== undefined) ? r3(sum(ph.map((p) => p.cpuMs[k]!)) / items) : undefined);
  const cpuMsPerItem = { main: cpu('main')!, operator: s.uses.operatorProcess ? cpu('operator') : undefined, redis: s.uses.redis ? cpu('redis') : undefined, kafka: s.uses.kafka ? cpu('kafka') : undefined };
  const clientBy: Record<string, number> = {};
  const serverBy: Record<string, number> = {};
  const grpcBy: Record<string, number> = {};
  for (const p of ph) {
    addInto(clientBy, p.counters.redisByCommand);
    addInto(serverBy, p.redisServer?.byCommand);
    addInto(grpcBy, p.extras.operatorGrpc ?? p.counters.grpcByMethod);
  }
  const serverCommands = sum(ph.map((p) => p.redisServer?.commands ?? 0));
  const scriptCalls = sum(Object.entries(serverBy).filter(([k]) => /^(evalsha|eval|evalsha_ro|eval_ro|fcall|fcall_ro)$/.test(k)).map(([, v]) => v));
  const bus = ph.reduce((a, p) => ({ messages: a.messages + (p.extras.quarry?.bus.messages ?? 0), bytes: a.bytes + (p.extras.quarry?.bus.valueBytes ?? 0), keyBytes: a.keyBytes + (p.extras.quarry?.bus.keyBytes ?? 0) }), { messages: 0, bytes: 0, keyBytes: 0 });
  return {
    name: s.name,
    peer: s.peer,
    size: s.size,
    tupleBytes: s.bytes,
    uses: s.uses,
    items,
    ends,
    itemsPerSec: r1((items * 1000) / elapsedMs),
    itemsPerSecByRep: ph.map((p) => r1((p.items * 1000) / p.elapsedMs)),
    latencyMs: { p50: percentile(lat, 50), p90: percentile(lat, 90), p99: percentile(lat, 99), max: percentile(lat, 100) },
    unloadedLatencyMs: { items: s.probes.latenciesMs.length, ends: s.probes.ends, p50: percentile(s.probes.latenciesMs, 50), p99: percentile(s.probes.latenciesMs, 99) },
    cpuMsPerItem: { ...cpuMsPerItem, total: r3(sum(Object.values(cpuMsPerItem).map((v) => v ?? 0))) },
    eventLoopUtilization: r3(sum(ph.map((p) => p.elu * p.elapsedMs)) / elapsedMs),
    redisClient: s.uses.redis
      ? { roundTripsPerItem: r3(sum(ph.map((p) => p.counters.redisRoundTrips)) / items), commandsPerItem: r3(sum(ph.map((p) => p.counters.redisCommands)) / items), topCommandsPerItem: perItemTop(clientBy, items) }
      : undefined,
    redisServer: s.uses.redis ? { commandsPerItem: r3(serverCommands / items), scriptCallsPerItem: r3(scriptCalls / items), topCommandsPerItem: perItemTop(serverBy, items) } : undefined,
    grpcCallsPerItem: Object.fromEntries(Object.entries(grpcBy).map(([k, v]) => [k, r3(v / items)])),
    echoCallsPerItem: s.peer.startsWith('quarry') ? r3(sum(Object.entries(grpcBy).filter(([k]) => k.toLowerCase().startsWith('echo')).map(([, v]) => v)) / items) : undefined,
    quarry: s.peer.startsWith('quarry')
      ? { hopsPerItem: r1(bus.messages / items), triggerBytesPerHop: r1(bus.bytes / bus.messages), busBytesPerItem: r1((bus.bytes + bus.keyBytes) / items), sideCacheAfter: ph.at(-1)?.extras.quarry?.sideCacheAfter }
      : undefined,
    machine: { othersCores: r3(sum(ph.map((p) => p.machine.othersMs)) / wallMs), load1: { mean: r1(sum(ph.map((p) => p.load1)) / ph.length), max: Math.max(...ph.map((p) => p.load1)) } },
  };
}

export type ScenarioSummary = ReturnType<typeof summarize>;

/** Quarry ÷ BullMQ for every Quarry scenario that has a BullMQ scenario of the same size. */
export function ratios(all: readonly ScenarioSummary[]) {
  const out = [];
  for (const q of all.filter((s) => s.peer.startsWith('quarry'))) {
    const b = all.find((s) => s.peer === 'bullmq' && s.size === q.size);
    if (!b) continue;
    const div = (x: number | undefined, y: number | undefined): number | undefined => (x === undefined || y === undefined || y === 0 ? undefined : Math.round((x / y) * 100) / 100);
    const paired = q.itemsPerSecByRep.map((x, i) => div(x, b.itemsPerSecByRep[i])).filter((x): x is number => x !== undefined);
    out.push({
      quarry: q.name,
      bullmq: b.name,
      itemsPerSec: div(q.itemsPerSec, b.itemsPerSec),
      itemsPerSecPaired: { median: Math.round(median(paired) * 100) / 100, min: Math.min(...paired), max: Math.max(...paired), reps: paired.length },
      latencyP50: div(q.latencyMs.p50, b.latencyMs.p50),
      latencyP99: div(q.latencyMs.p99, b.latencyMs.p99),
      unloadedP50: div(q.unloadedLatencyMs.p50, b.unloadedLatencyMs.p50),
      unloadedP99: div(q.unloadedLatencyMs.p99, b.unloadedLatencyMs.p99),
      cpuMainPerItem: div(q.cpuMsPerItem.main, b.cpuMsPerItem.main),
      cpuTotalPerItem: div(q.cpuMsPerItem.total, b.cpuMsPerItem.total),
      redisRoundTripsPerItem: div(q.redisClient?.roundTripsPerItem, b.redisClient?.roundTripsPerItem),
    });
  }
  return out;
}

export type Ratio = ReturnType<typeof ratios>[number];
