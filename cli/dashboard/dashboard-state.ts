// What the SRE dashboard shows, gathered from the item ledger (per DAG) and from the Prometheus
// endpoints of miners and gates (per operator node, and the gate's figures).
import type { ItemLedger, ItemState } from '../../framework/item-ledger/index.ts';
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
}

export interface DashboardState {
  atMs: number;
  dags: { dag: string; counts: Record<ItemState, number> }[];
  nodes: NodeRow[];
  gate: Record<string, number>;
  scrapeErrors: string[];
}

export async function collectDashboardState(input: { ledger: ItemLedger; dags: readonly string[]; metricsUrls: readonly string[] }): Promise<DashboardState> {
  const samples: Sample[] = [];
  const scrapeErrors: string[] = [];
  await Promise.all(
    input.metricsUrls.map(async (url) => {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
        samples.push(...parsePrometheusText(await res.text()));
      } catch (err) {
        scrapeErrors.push(`${url}: ${(err as Error).message}`);
      }
    }),
  );
  const rows = new Map<string, NodeRow>();
  const row = (dag: string, node: string): NodeRow => {
    const key = `${dag}/${node}`;
    let r = rows.get(key);
    if (!r) rows.set(key, (r = { dag, node, statuses: {}, inFlight: 0, calls: 0, timeoutRate: 0 }));
    return r;
  };
  const buckets = new Map<string, { le: number; count: number }[]>();
  const gate: Record<string, number> = {};
  for (const s of samples) {
    const { dag, node } = s.labels;
    if (s.name === 'quarry_op_status_total' && dag && node) {
      const r = row(dag, node);
      r.statuses[s.labels.status ?? '?'] = (r.statuses[s.labels.status ?? '?'] ?? 0) + s.value;
    } else if (s.name === 'quarry_node_in_flight' && dag && node) row(dag, node).inFlight += s.value;
    else if (s.name === 'quarry_op_latency_ms_count' && dag && node) row(dag, node).calls += s.value;
    else if (s.name === 'quarry_op_latency_ms_bucket' && dag && node) {
      const key = `${dag}/${node}`;
      const list = buckets.get(key) ?? [];
      const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
      const same = list.find((b) => b.le === le);
      if (same) same.count += s.value;
      else list.push({ le, count: s.value });
      buckets.set(key, list);
    } else if (s.name.startsWith('quarry_gate_')) {
      const label = Object.entries(s.labels).filter(([k]) => k !== 'otel_scope_name').map(([k, v]) => `${k}=${v}`).join(',');
      const key = label ? `${s.name}{${label}}` : s.name;
      gate[key] = (gate[key] ?? 0) + s.value;
    }
  }
  for (const r of rows.values()) {
    const b = buckets.get(`${r.dag}/${r.node}`) ?? [];
    const p50 = histogramQuantile(0.5, b);
    const p99 = histogramQuantile(0.99, b);
    if (p50 !== undefined) r.p50Ms = p50;
    if (p99 !== undefined) r.p99Ms = p99;
    const outcomes = Object.values(r.statuses).reduce((a, n) => a + n, 0);
    r.timeoutRate = outcomes > 0 ? (r.statuses.TIMEOUT ?? 0) / outcomes : 0;
  }
  const dags = await Promise.all(input.dags.map(async (dag) => ({ dag, counts: await input.ledger.counts(dag) })));
  return { atMs: Date.now(), dags, nodes: [...rows.values()].sort((a, b) => `${a.dag}/${a.node}`.localeCompare(`${b.dag}/${b.node}`)), gate, scrapeErrors };
}
