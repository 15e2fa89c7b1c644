// What the SRE dashboard (and `quarry top`) shows, gathered from the item ledger (per DAG) and
// from the Prometheus text of miners and gates (per operator node, and the gate's figures). A
// collector keeps the last 15 s of samples, so per-node load and the bottleneck follow "now".
import type { ItemLedger, ItemState } from '../../framework/item-ledger/index.ts';
import { createLoadWindow, findBottleneck, type Bottleneck, type NodeCounters } from '../../framework/telemetry/index.ts';
import { histogramQuantile, parsePrometheusText, type Sample } from './prometheus-text.ts';

export interface NodeRow {
  dag: string;
  node: string;
  statuses: Record<string, number>;
  inFlight: number;
  calls: number;
  p50Ms?: number;
  p99Ms?: number;
  timeoutRate: number;
  /** Calls allowed in flight at once, summed over the processes hosting the node (0 = not reported). */
  capacity: number;
  /** Busy share over the last 15 s (undefined until the capacity is known). */
  utilisation?: number;
  /** Triggers waiting for the node, and how fast that changes. */
  lag: number;
  lagGrowthPerSec: number;
  bottleneck: boolean;
}

export interface DashboardState {
  atMs: number;
  dags: { dag: string; counts: Record<ItemState, number> }[];
  nodes: NodeRow[];
  /** The node that limits throughput now, if any. */
  bottleneck?: Bottleneck;
  gate: Record<string, number>;
  scrapeErrors: string[];
}

/** Where Prometheus text comes from: an endpoint's URL, or this process's own registry. */
export interface MetricsSource {
  name: string;
  scrape(): Promise<string>;
}

export const urlSource = (url: string): MetricsSource => ({
  name: url,
  async scrape() {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return res.text();
  },
});

export interface StateCollector {
  collect(): Promise<DashboardState>;
}

export function createStateCollector(input: { ledger?: ItemLedger; dags: readonly string[]; sources: readonly MetricsSource[]; now?: () => number }): StateCollector {
  const window = createLoadWindow(15_000);
  const now = input.now ?? Date.now;
  return {
    async collect() {
      const samples: Sample[] = [];
      const scrapeErrors: string[] = [];
      await Promise.all(
        input.sources.map(async (s) => {
          try {
            samples.push(...parsePrometheusText(await s.scrape()));
          } catch (err) {
            scrapeErrors.push(`${s.name}: ${(err as Error).message}`);
          }
        }),
      );
      const atMs = now();
      const { rows, counters, gate } = nodeFigures(samples, atMs);
      window.push(counters, atMs);
      const loads = window.loads();
      for (const l of loads) {
        const r = rows.get(`${l.dag}/${l.node}`);
        if (!r) continue;
        if (l.utilisation !== undefined) r.utilisation = l.utilisation;
        r.lagGrowthPerSec = l.lagGrowthPerSec;
      }
      const bottleneck = findBottleneck(loads);
      if (bottleneck) rows.get(`${bottleneck.dag}/${bottleneck.node}`)!.bottleneck = true;
      const dags = input.ledger ? await Promise.all(input.dags.map(async (dag) => ({ dag, counts: await input.ledger!.counts(dag) }))) : [];
      const nodes = [...rows.values()].sort((a, b) => `${a.dag}/${a.node}`.localeCompare(`${b.dag}/${b.node}`));
      return { atMs, dags, nodes, ...(bottleneck ? { bottleneck } : {}), gate, scrapeErrors };
    },
  };
}

/** Per-node rows and load counters from the samples of every endpoint (a node may run in several miners). */
function nodeFigures(samples: readonly Sample[], atMs: number) {
  const rows = new Map<string, NodeRow>();
  const busy = new Map<string, number>();
  const row = (dag: string, node: string): NodeRow => {
    const key = `${dag}/${node}`;
    let r = rows.get(key);
    if (!r) rows.set(key, (r = { dag, node, statuses: {}, inFlight: 0, calls: 0, timeoutRate: 0, capacity: 0, lag: 0, lagGrowthPerSec: 0, bottleneck: false }));
    return r;
  };
  const buckets = new Map<string, { le: number; count: number }[]>();
  const gate: Record<string, number> = {};
  for (const s of samples) {
    const { dag, node } = s.labels;
    const key = `${dag}/${node}`;
    if (s.name === 'quarry_op_status_total' && dag && node) {
      const r = row(dag, node);
      r.statuses[s.labels.status ?? '?'] = (r.statuses[s.labels.status ?? '?'] ?? 0) + s.value;
    } else if (s.name === 'quarry_node_in_flight' && dag && node) row(dag, node).inFlight += s.value;
    else if (s.name === 'quarry_node_capacity' && dag && node) row(dag, node).capacity += s.value;
    // Every miner of a node reports its group's lag: the same figure, not parts of a sum.
    else if (s.name === 'quarry_node_lag' && dag && node) row(dag, node).lag = Math.max(row(dag, node).lag, s.value);
    else if (s.name === 'quarry_op_latency_ms_count' && dag && node) row(dag, node).calls += s.value;
    else if (s.name === 'quarry_op_latency_ms_sum' && dag && node) busy.set(key, (busy.get(key) ?? 0) + s.value);
    else if (s.name === 'quarry_op_latency_ms_bucket' && dag && node) {
      const list = buckets.get(key) ?? [];
      const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
      const same = list.find((b) => b.le === le);
      if (same) same.count += s.value;
      else list.push({ le, count: s.value });
      buckets.set(key, list);
    } else if (s.name.startsWith('quarry_gate_')) {
      const label = Object.entries(s.labels).filter(([k]) => k !== 'otel_scope_name').map(([k, v]) => `${k}=${v}`).join(',');
      const k = label ? `${s.name}{${label}}` : s.name;
      gate[k] = (gate[k] ?? 0) + s.value;
    }
  }
  const counters: NodeCounters[] = [];
  for (const r of rows.values()) {
    const b = buckets.get(`${r.dag}/${r.node}`) ?? [];
    const p50 = histogramQuantile(0.5, b);
    const p99 = histogramQuantile(0.99, b);
    if (p50 !== undefined) r.p50Ms = p50;
    if (p99 !== undefined) r.p99Ms = p99;
    const outcomes = Object.values(r.statuses).reduce((a, n) => a + n, 0);
    r.timeoutRate = outcomes > 0 ? (r.statuses.TIMEOUT ?? 0) / outcomes : 0;
    counters.push({ dag: r.dag, node: r.node, atMs, busyMs: busy.get(`${r.dag}/${r.node}`) ?? 0, inFlight: r.inFlight, capacity: r.capacity, lag: r.lag });
  }
  return { rows, counters, gate };
}
