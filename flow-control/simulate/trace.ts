import { readFileSync } from 'node:fs';
import { ConfigError, type ConfigProblem } from '../../framework/errors/index.ts';
import { isPriority, type Priority, type ResourceClass } from '../gate-item.ts';

/** One trace line: `count` items (default 1) arriving at `atMs` from the trace's start. */
export interface Arrival { atMs: number; priority: Priority; tenant: string; resource: ResourceClass; count?: number }

export interface DiurnalTraceOptions {
  seed: number;
  durationMs: number;
  /** Mean arrivals/s over the day. */
  meanPerSec: number;
  /** Peak over mean of the daily curve (0 = flat, 0.6 = ±60%). */
  swing: number;
  /** Hour of the peak, UTC. */
  peakHour: number;
  bursts: number;
  burstMs: number;
  /** Arrival rate during a burst, as a multiple of the mean. */
  burstFactor: number;
  mix: Record<Priority, number>;
  /** Share of low-priority items that are gpu work. */
  lowGpuShare: number;
  tenants: string[];
}

export const defaultTraceOptions: DiurnalTraceOptions = {
  seed: 1, durationMs: 86_400_000, meanPerSec: 10, swing: 0.6, peakHour: 14, bursts: 4, burstMs: 15 * 60_000,
  burstFactor: 3, mix: { high: 0.1, normal: 0.5, low: 0.4 }, lowGpuShare: 0.5, tenants: ['tenant-a', 'tenant-b', 'tenant-c'],
};

/** A small, fast, seedable PRNG (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function poisson(rand: () => number, mean: number): number {
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * gaussian(rand)));
  const l = Math.exp(-mean);
  let k = 0; let p = 1;
  do { k++; p *= rand(); } while (p > l);
  return k - 1;
}
const gaussian = (rand: () => number) => Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand());

/**
 * Arrivals second by second: a sinusoidal day peaking at `peakHour`, plus bursts from the
 * first tenant (the noisy one) at seeded times. Deterministic for a seed.
 */
export function* diurnalTrace(o: DiurnalTraceOptions): Generator<Arrival> {
  const rand = seededRandom(o.seed);
  const burstStarts = Array.from({ length: o.bursts }, () => Math.floor(rand() * Math.max(1, o.durationMs - o.burstMs)));
  const cum = [o.mix.high, o.mix.high + o.mix.normal];
  const total = o.mix.high + o.mix.normal + o.mix.low;
  for (let t = 0; t < o.durationMs; t += 1000) {
    const hour = t / 3_600_000;
    const rate = o.meanPerSec * (1 + o.swing * Math.cos((2 * Math.PI * (hour - o.peakHour)) / 24));
    const n = poisson(rand, rate);
    for (let i = 0; i < n; i++) {
      const u = rand() * total;
      const priority: Priority = u < cum[0]! ? 'high' : u < cum[1]! ? 'normal' : 'low';
      const resource = priority === 'low' && rand() < o.lowGpuShare ? 'gpu' : 'cpu';
      yield { atMs: t + Math.floor(rand() * 1000), priority, tenant: o.tenants[Math.floor(rand() * o.tenants.length)] ?? 'default', resource };
    }
    const inBurst = burstStarts.some((b) => t >= b && t < b + o.burstMs);
    if (inBurst) {
      const extra = poisson(rand, o.meanPerSec * (o.burstFactor - 1));
      for (let i = 0; i < extra; i++) {
        const u = rand() * total;
        const priority: Priority = u < cum[0]! ? 'high' : u < cum[1]! ? 'normal' : 'low';
        yield { atMs: t + Math.floor(rand() * 1000), priority, tenant: o.tenants[0] ?? 'default', resource: priority === 'low' && rand() < o.lowGpuShare ? 'gpu' : 'cpu' };
      }
    }
  }
}

/** Read a recorded trace (JSONL, one Arrival per line), sorted by time; every bad line is named. */
export function readTraceFile(path: string): Arrival[] {
  const problems: ConfigProblem[] = [];
  const out: Arrival[] = [];
  readFileSync(path, 'utf8').split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let v: Partial<Arrival>;
    try { v = JSON.parse(line) as Partial<Arrival>; } catch { problems.push({ field: `line ${i + 1}`, expected: 'JSON', received: line }); return; }
    if (typeof v.atMs !== 'number' || v.atMs < 0) problems.push({ field: `line ${i + 1}.atMs`, expected: 'a number ≥ 0', received: v.atMs });
    if (!isPriority(v.priority)) problems.push({ field: `line ${i + 1}.priority`, expected: 'high, normal or low', received: v.priority });
    if (v.resource !== undefined && v.resource !== 'cpu' && v.resource !== 'gpu') problems.push({ field: `line ${i + 1}.resource`, expected: 'cpu or gpu', received: v.resource });
    out.push({ atMs: v.atMs!, priority: v.priority!, tenant: v.tenant ?? 'default', resource: v.resource ?? 'cpu', count: v.count ?? 1 });
  });
  if (problems.length) throw new ConfigError(problems.slice(0, 50), `trace ${path}`);
  return out.sort((a, b) => a.atMs - b.atMs);
}
