import { SIM_CLASSES, type SimulationResult } from './run-simulation.ts';

const fmtMs = (ms: number) => (ms < 1000 ? `${ms} ms` : ms < 120_000 ? `${(ms / 1000).toFixed(1)} s` : ms < 7_200_000 ? `${(ms / 60_000).toFixed(1)} min` : `${(ms / 3_600_000).toFixed(1)} h`);
const clockOf = (ms: number) => `+${String(Math.floor(ms / 3_600_000)).padStart(2, '0')}:${String(Math.floor((ms % 3_600_000) / 60_000)).padStart(2, '0')}`;
const bar = (u: number, width = 20) => '█'.repeat(Math.round(u * width)).padEnd(width, '·');

/** A plain-text report: per-class latency, deferral, utilization over time; gate vs off. */
export function formatSimulationReport(gate: SimulationResult, off?: SimulationResult, title = 'Gate simulation'): string {
  const out: string[] = [`# ${title}`, ''];
  out.push(`items: ${gate.submitted} submitted, ${gate.completed} completed, ${gate.rejectedTryLater} answered try-later (retried)`);
  out.push(`simulated ${fmtMs(gate.completionMs)} in ${(gate.wallMs / 1000).toFixed(1)} s wall`, '');
  out.push('## Latency by class (enqueue at the gate → done at the bottleneck)', '');
  out.push(`| class | items | gate p50 | gate p90 | gate p99 | gate max |${off ? ' off p50 | off p99 | p99 off/gate |' : ''}`);
  out.push(`|---|---:|---:|---:|---:|---:|${off ? '---:|---:|---:|' : ''}`);
  for (const c of SIM_CLASSES) {
    const g = gate.perClass[c];
    const o = off?.perClass[c];
    const row = `| ${c} | ${g.count} | ${fmtMs(g.p50)} | ${fmtMs(g.p90)} | ${fmtMs(g.p99)} | ${fmtMs(g.max)} |`;
    out.push(o ? `${row} ${fmtMs(o.p50)} | ${fmtMs(o.p99)} | ${(o.p99 / Math.max(1, g.p99)).toFixed(1)}× |` : row);
  }
  out.push('', '## Totals', '');
  out.push(`| figure | gate on |${off ? ' gate off |' : ''}`, `|---|---:|${off ? '---:|' : ''}`);
  const rows: [string, (r: SimulationResult) => string][] = [
    ['deferred volume (low gpu)', (r) => String(r.deferredVolume)],
    ['peak deferred store', (r) => String(r.peakDeferred)],
    ['peak gate backlog', (r) => String(r.peakBacklog)],
    ['peak in flight (inside the DAG)', (r) => String(r.peakInFlight)],
    ['peak in-flight bytes', (r) => `${(r.peakInFlightBytes / 1024).toFixed(0)} KiB`],
    ['mean bottleneck utilization', (r) => `${(r.meanUtilization * 100).toFixed(1)} %`],
    ['last item done at', (r) => fmtMs(r.completionMs)],
  ];
  for (const [name, f] of rows) out.push(`| ${name} | ${f(gate)} |${off ? ` ${f(off)} |` : ''}`);
  out.push('', '## Bottleneck utilization over time (bucket average; peaks of in-flight, backlog, deferred)', '');
  out.push('```');
  out.push(`${'t'.padStart(6)}  ${'gate on'.padEnd(27)} ${'in-DAG'.padStart(6)} ${'backlog'.padStart(7)} ${'defer'.padStart(6)}${off ? `   ${'gate off'.padEnd(27)} ${'in-DAG'.padStart(6)}` : ''}`);
  const n = Math.max(gate.utilization.length, off?.utilization.length ?? 0);
  for (let i = 0; i < n; i++) {
    const g = gate.utilization[i];
    const o = off?.utilization[i];
    const at = (g ?? o)!.atMs;
    const left = g ? `${bar(g.utilization)} ${(g.utilization * 100).toFixed(0).padStart(3)}% ${String(g.inFlight).padStart(6)} ${String(g.backlog).padStart(7)} ${String(g.deferred).padStart(6)}` : ''.padEnd(50);
    const right = o ? `   ${bar(o.utilization)} ${(o.utilization * 100).toFixed(0).padStart(3)}% ${String(o.inFlight).padStart(6)}` : '';
    out.push(`${clockOf(at).padStart(6)}  ${left}${off ? right : ''}`);
  }
  out.push('```');
  return out.join('\n');
}
