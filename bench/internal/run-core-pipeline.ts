// One measured phase of the core DAG on a running runtime: a closed loop keeps at most
// `window` items in flight, and the phase records latency (submit → terminal, from the ledger's
// createdMs/endedMs), trigger bytes per node topic, and the side-cache's peak and final bytes
// (polled with `stats()` while the phase runs). `summarizePhases` folds several phases of one
// scenario (interleaved with its peer's, so drift on a shared machine hits both) into figures.
import hdr from 'hdr-histogram-js';
import type { EmbeddedRuntime } from '../../framework/runtime/index.ts';
import type { ItemRecord } from '../../framework/item-ledger/index.ts';
import type { CountingBus, TopicTally } from './counting-bus.ts';

export interface PhaseOptions {
  rt: EmbeddedRuntime;
  bus: CountingBus;
  dag: string;
  items: number;
  tupleBytes: number;
  window: number;
  /** Every terminal record of the runtime is routed here by the caller. */
  terminals: { listen(fn: (r: ItemRecord) => void): () => void };
  keyPrefix: string;
}

export interface PhaseResult {
  items: number;
  completed: number;
  notCompleted: Record<string, number>;
  elapsedMs: number;
  itemsPerSec: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  kafka: {
    /** Messages produced to node topics per item (one per DAG edge, plus the entry). */
    hopsPerItem: number;
    triggerBytesPerHop: number;
    keyBytesPerHop: number;
    bytesPerItem: number;
    perNode: Record<string, { messages: number; valueBytesPerMessage: number }>;
  };
  sideCache: { peakBytes: number; peakTuples: number; afterBytes: number; afterTuples: number; samples: number };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What one phase saw, before folding. */
export interface PhaseRaw {
  items: number;
  ends: Record<string, number>;
  elapsedMs: number;
  hist: hdr.Histogram;
  /** Per node id. */
  tallies: Map<string, TopicTally>;
  sideCache: { peakBytes: number; peakTuples: number; afterBytes: number; afterTuples: number; samples: number };
}

export async function runCorePhase(o: PhaseOptions): Promise<PhaseRaw> {
  const { rt, bus } = o;
  const plan = rt.plans.get(o.dag)!;
  const hist = newHistogram();
  const ends: Record<string, number> = {};
  let done = 0;
  let wake: (() => void) | undefined;
  const stop = o.terminals.listen((r) => {
    if (r.dag !== o.dag || !r.itemKey.startsWith(o.keyPrefix)) return;
    done++;
    ends[r.state] = (ends[r.state] ?? 0) + 1;
    hist.recordValue(Math.max(1, (r.endedMs ?? Date.now()) - r.createdMs));
    wake?.();
  });

  const side = { peakBytes: 0, peakTuples: 0, afterBytes: 0, afterTuples: 0, samples: 0 };
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const s = await rt.sideCache.stats();
      side.samples++;
      side.peakBytes = Math.max(side.peakBytes, s.bytes);
      side.peakTuples = Math.max(side.peakTuples, s.tuples);
      await sleep(100);
    }
  })();

  bus.reset();
  const start = Date.now();
  let submitted = 0;
  while (done < o.items) {
    const room = Math.min(o.window - (submitted - done), o.items - submitted, 64);
    if (room > 0 && room >= Math.min(16, o.items - submitted, o.window)) {
      const batch = Array.from({ length: room }, (_, i) => ({
        dag: o.dag,
        itemKey: `${o.keyPrefix}${submitted + i}`,
        source: { size: String(o.tupleBytes) },
      }));
      submitted += room;
      const res = await rt.submit(batch);
      const bad = res.filter((r) => r.status !== 'accepted');
      if (bad.length > 0) throw new Error(`submit refused ${bad.length} item(s): ${JSON.stringify(bad[0])}`);
      continue;
    }
    await new Promise<void>((r) => {
      wake = r;
      setTimeout(r, 200);
    });
    wake = undefined;
  }
  const elapsedMs = Date.now() - start;
  stop();
  await rt.idle(60_000);
  sampling = false;
  await sampler;
  const after = await rt.sideCache.stats();
  side.afterBytes = after.bytes;
  side.afterTuples = after.tuples;
  const tallies = new Map<string, TopicTally>();
  for (const node of plan.nodes) {
    const t = bus.tally().get(node.topic);
    if (t) tallies.set(node.id, { ...t });
  }
  return { items: o.items, ends, elapsedMs, hist, tallies, sideCache: side };
}

export function summarizePhases(raws: readonly PhaseRaw[]): PhaseResult {
  const hist = newHistogram();
  const ends: Record<string, number> = {};
  const nodes = new Map<string, TopicTally>();
  let items = 0;
  let elapsedMs = 0;
  for (const r of raws) {
    items += r.items;
    elapsedMs += r.elapsedMs;
    hist.add(r.hist);
    for (const [k, v] of Object.entries(r.ends)) ends[k] = (ends[k] ?? 0) + v;
    for (const [id, t] of r.tallies) {
      const sum = nodes.get(id) ?? { messages: 0, valueBytes: 0, keyBytes: 0 };
      sum.messages += t.messages;
      sum.valueBytes += t.valueBytes;
      sum.keyBytes += t.keyBytes;
      nodes.set(id, sum);
    }
  }
  const perNode: PhaseResult['kafka']['perNode'] = {};
  let messages = 0;
  let valueBytes = 0;
  let keyBytes = 0;
  for (const [id, t] of nodes) {
    perNode[id] = { messages: t.messages, valueBytesPerMessage: round(t.valueBytes / t.messages) };
    messages += t.messages;
    valueBytes += t.valueBytes;
    keyBytes += t.keyBytes;
  }
  const last = raws.at(-1)?.sideCache;
  return {
    items,
    completed: ends.completed ?? 0,
    notCompleted: Object.fromEntries(Object.entries(ends).filter(([k]) => k !== 'completed')),
    elapsedMs,
    itemsPerSec: round((items * 1000) / elapsedMs),
    latencyMs: {
      p50: hist.getValueAtPercentile(50),
      p90: hist.getValueAtPercentile(90),
      p99: hist.getValueAtPercentile(99),
      max: hist.maxValue,
      mean: round(hist.mean),
    },
    kafka: {
      hopsPerItem: round(messages / items),
      triggerBytesPerHop: round(valueBytes / messages),
      keyBytesPerHop: round(keyBytes / messages),
      bytesPerItem: round((valueBytes + keyBytes) / items),
      perNode,
    },
    sideCache: {
      peakBytes: Math.max(...raws.map((r) => r.sideCache.peakBytes)),
      peakTuples: Math.max(...raws.map((r) => r.sideCache.peakTuples)),
      afterBytes: last?.afterBytes ?? 0,
      afterTuples: last?.afterTuples ?? 0,
      samples: raws.reduce((n, r) => n + r.sideCache.samples, 0),
    },
  };
}

const newHistogram = (): hdr.Histogram => hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000, numberOfSignificantValueDigits: 3 });
const round = (x: number): number => Math.round(x * 10) / 10;
