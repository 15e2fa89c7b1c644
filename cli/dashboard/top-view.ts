// `quarry top`'s screen: per-node load, outcomes and latency, with the bottleneck marked.
import type { DashboardState } from './dashboard-state.ts';

const ms = (v: number | undefined) => (v === undefined ? '–' : v < 1000 ? `${v.toFixed(0)}ms` : `${(v / 1000).toFixed(1)}s`);
const pct = (v: number | undefined) => (v === undefined ? '–' : `${Math.round(v * 100)}%`);
const STATUSES = ['OK', 'FILTERED', 'RETRY', 'TIMEOUT', 'FAIL', 'DLQ'] as const;

export function formatTop(s: DashboardState, sources: readonly string[]): string {
  const head = ['node', 'busy', 'inflight', 'cap', 'waiting', 'growth/s', 'p50', 'p99', ...STATUSES, ''];
  const rows = s.nodes.map((n) => [
    `${n.dag}/${n.node}`, pct(n.utilisation), String(n.inFlight), n.capacity ? String(n.capacity) : '–', String(n.lag),
    n.lagGrowthPerSec ? n.lagGrowthPerSec.toFixed(1) : '0', ms(n.p50Ms), ms(n.p99Ms), ...STATUSES.map((k) => String(n.statuses[k] ?? 0)), n.bottleneck ? '◀ bottleneck' : '',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  const b = s.bottleneck;
  return [
    `quarry top — ${new Date(s.atMs).toLocaleTimeString()} — ${sources.join(', ')}`,
    b ? `bottleneck now: ${b.dag}/${b.node} — ${b.why}` : 'bottleneck now: none (every node keeps up with what arrives)',
    '',
    line(head),
    ...rows.map(line),
    ...(rows.length === 0 ? ['(no operator node reports to these endpoints yet)'] : []),
    ...(s.scrapeErrors.length ? ['', ...s.scrapeErrors.map((e) => `! ${e}`)] : []),
  ].join('\n');
}
