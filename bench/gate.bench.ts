// Gate on vs. gate off, same run: a real bounded worker pool hit by a 3× burst (real time),
// then a simulated day (fake clock). Writes bench/results/gate.json and gate.md.
//   npx tsx bench/gate.bench.ts [--burst-seconds 4] [--no-sim]
import { execSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import hdr from 'hdr-histogram-js';
import {
  createGate, createGatePolicy, createLmdbBacklog, createLmdbDeferredStore, type GateItem, type Priority, type ResourceClass,
} from '../flow-control/index.ts';
import { createWorkerPool } from '../flow-control/testing-worker-pool.ts';
import { defaultCapacity } from '../flow-control/simulate/capacity-model.ts';
import { formatSimulationReport } from '../flow-control/simulate/report.ts';
import { runSimulation, type SimulationResult } from '../flow-control/simulate/run-simulation.ts';
import { defaultTraceOptions, diurnalTrace } from '../flow-control/simulate/trace.ts';

const arg = (name: string, dflt: number) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : dflt; };
const BURST_S = arg('burst-seconds', 4);
const CONCURRENCY = 4;
const SERVICE_MS = 10; // 400 cpu items/s
const CAP = (CONCURRENCY * 1000) / SERVICE_MS;
const TUPLE_BYTES = 100 * 1024; // DESIGN §2: ~100 KB tuple per item in flight (side-cache)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface LiveResult {
  mode: 'gate on' | 'gate off';
  high: { p50: number; p99: number }; normal: { p50: number; p99: number }; low: { p50: number; p99: number }; lowGpu: { p50: number; p99: number };
  completionMs: number; items: number; peakInFlight: number; peakSideCacheBytes: number; peakGateBacklog: number;
  utilization: number[]; meanUtilizationDuringLoad: number;
}

async function live(mode: 'gate on' | 'gate off'): Promise<LiveResult> {
  const dir = mkdtempSync(join(tmpdir(), 'quarry-gate-bench-'));
  const hist = { high: h(), normal: h(), low: h(), lowGpu: h() };
  let doneCount = 0; let lastDone = 0;
  const pool = createWorkerPool({ concurrency: CONCURRENCY, serviceMs: SERVICE_MS, gpuCost: 2, queueLimit: 64, onDone: (it, at) => {
    const k = it.priority === 'low' && it.resource === 'gpu' ? 'lowGpu' : it.priority;
    hist[k].recordValue(Math.max(1, at - it.enqueuedMs)); doneCount++; lastDone = at;
  } });
  const gate = mode === 'gate on' ? createGate({
    backlog: createLmdbBacklog({ path: join(dir, 'b') }), deferred: createLmdbDeferredStore({ path: join(dir, 'd') }),
    admit: async (items) => pool.enqueue(items), signals: async () => pool.signals(),
    policy: createGatePolicy({ tickMs: 20, deferral: { maxDrainPerSec: CAP } }), statsIntervalMs: 500,
  }) : undefined;
  await gate?.start();
  let n = 0;
  const item = (priority: Priority, tenant: string, resource: ResourceClass = 'cpu'): GateItem =>
    ({ id: `b${n++}`, dag: 'bench', itemKey: `k${n}`, priority, tenant, resource, source: { url: `https://example.test/${n}` }, enqueuedMs: Date.now() });
  const submit = async (items: GateItem[]) => { if (gate) { const r = await gate.submit(items); if (!('accepted' in r)) throw new Error('try-later in bench'); } else pool.enqueue(items); };

  const start = Date.now();
  const util: number[] = [];
  let peakInFlight = 0; let peakBacklog = 0;
  let uSum = 0; let uN = 0;
  const readUtil = pool.utilizationReader();
  const sampler = setInterval(() => {
    util.push(readUtil());
    peakInFlight = Math.max(peakInFlight, pool.inFlight);
    const st = gate?.stats();
    if (st) peakBacklog = Math.max(peakBacklog, st.backlog.high + st.backlog.normal + st.backlog.low + st.deferred);
  }, 250);
  const mix: [Priority, ResourceClass][] = [['normal', 'cpu'], ['normal', 'cpu'], ['low', 'cpu'], ['low', 'gpu']];
  const ticks = (BURST_S + 2) * 40;
  for (let t = 0; t < ticks; t++) {
    const batch = [item('high', 'steady')]; // 40/s = 10% of capacity, all the time
    if (t >= 40 && t < 40 + BURST_S * 40) for (let k = 0; k < (3 * CAP) / 40; k++) batch.push(item(...[mix[k % 4]![0], 'burst', mix[k % 4]![1]] as [Priority, string, ResourceClass]));
    else if (t % 2 === 0) batch.push(item('normal', 'steady'));
    await submit(batch);
    await sleep(25);
  }
  while (doneCount < n && Date.now() - start < 300_000) await sleep(20);
  clearInterval(sampler);
  await gate?.stop();
  rmSync(dir, { recursive: true, force: true });
  const loadSamples = util.slice(4, 4 + BURST_S * 4 + 8);
  for (const u of loadSamples) { uSum += u; uN++; }
  const pct = (x: hdr.Histogram) => ({ p50: x.getValueAtPercentile(50), p99: x.getValueAtPercentile(99) });
  return { mode, high: pct(hist.high), normal: pct(hist.normal), low: pct(hist.low), lowGpu: pct(hist.lowGpu), completionMs: lastDone - start, items: n,
    peakInFlight, peakSideCacheBytes: peakInFlight * TUPLE_BYTES, peakGateBacklog: peakBacklog, utilization: util, meanUtilizationDuringLoad: uSum / Math.max(1, uN) };
}
function h() { return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000, numberOfSignificantValueDigits: 2 }); }

const liveOn = await live('gate on');
const liveOff = await live('gate off');
let sim: { on: SimulationResult; off: SimulationResult } | undefined;
if (!process.argv.includes('--no-sim')) {
  const gateCfg = { tickMs: 1000, deferral: { windows: [{ cron: '0 1 * * *', durationMs: 5 * 3_600_000 }] } };
  const startMs = Date.UTC(2026, 0, 5);
  const on = await runSimulation({ arrivals: diurnalTrace(defaultTraceOptions), gate: gateCfg, capacity: defaultCapacity, startMs });
  const off = await runSimulation({ arrivals: diurnalTrace(defaultTraceOptions), gate: 'off', capacity: defaultCapacity, startMs });
  sim = { on, off };
}

const command = `npx tsx bench/gate.bench.ts${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`;
const machine = { nproc: Number(execSync('nproc').toString().trim()), cpu: cpus()[0]?.model ?? 'unknown', ramGiB: Math.round(totalmem() / 2 ** 30) };
const date = new Date().toISOString();
await mkdir(new URL('./results/', import.meta.url), { recursive: true });
await writeFile(new URL('./results/gate.json', import.meta.url), `${JSON.stringify({ command, date, machine,
  live: { concurrency: CONCURRENCY, serviceMs: SERVICE_MS, capacityPerSec: CAP, burstSeconds: BURST_S, burstFactor: 3, results: [liveOn, liveOff] },
  simulation: sim ? { on: { ...sim.on }, off: { ...sim.off } } : undefined }, null, 2)}\n`);

const ms = (v: number) => `${v.toLocaleString('en-US')} ms`;
const x = (a: number, b: number) => `${(a / Math.max(1, b)).toFixed(1)}×`;
const spark = (u: number[]) => u.map((v) => ' ▁▂▃▄▅▆▇█'[Math.min(8, Math.round(v * 8))]).join('');
const md = [
  '## Flow-control gate', '',
  `Command: \`${command}\`  `,
  `Machine: ${machine.nproc} cores, ${machine.cpu}, ${machine.ramGiB} GiB RAM. Date: ${date}.  `,
  `Live run: a real worker pool (${CONCURRENCY} × ${SERVICE_MS} ms = ${CAP} cpu items/s; gpu items cost 2×) hit by a ${BURST_S} s burst of 3× its capacity (normal/low/low-gpu from tenant "burst") while tenant "steady" sends high at 10% of capacity. Gate on: embedded durable stores (LMDB), 20 ms tick. Gate off: every item goes straight into the pool's queue.`, '',
  '| figure | gate on | gate off | off / on |', '|---|---:|---:|---:|',
  `| high p50 | ${ms(liveOn.high.p50)} | ${ms(liveOff.high.p50)} | ${x(liveOff.high.p50, liveOn.high.p50)} |`,
  `| high p99 | ${ms(liveOn.high.p99)} | ${ms(liveOff.high.p99)} | ${x(liveOff.high.p99, liveOn.high.p99)} |`,
  `| normal p99 | ${ms(liveOn.normal.p99)} | ${ms(liveOff.normal.p99)} | ${x(liveOff.normal.p99, liveOn.normal.p99)} |`,
  `| low p99 | ${ms(liveOn.low.p99)} | ${ms(liveOff.low.p99)} | ${x(liveOff.low.p99, liveOn.low.p99)} |`,
  `| low gpu p99 (deferred) | ${ms(liveOn.lowGpu.p99)} | ${ms(liveOff.lowGpu.p99)} | ${x(liveOff.lowGpu.p99, liveOn.lowGpu.p99)} |`,
  `| total completion time | ${ms(liveOn.completionMs)} | ${ms(liveOff.completionMs)} | ${x(liveOff.completionMs, liveOn.completionMs)} |`,
  `| mean bottleneck utilization under load | ${(liveOn.meanUtilizationDuringLoad * 100).toFixed(0)} % | ${(liveOff.meanUtilizationDuringLoad * 100).toFixed(0)} % | |`,
  `| peak items in flight inside the DAG | ${liveOn.peakInFlight} | ${liveOff.peakInFlight} | ${x(liveOff.peakInFlight, liveOn.peakInFlight)} |`,
  `| peak side-cache bytes (in flight × 100 KB tuple) | ${(liveOn.peakSideCacheBytes / 2 ** 20).toFixed(1)} MiB | ${(liveOff.peakSideCacheBytes / 2 ** 20).toFixed(1)} MiB | ${x(liveOff.peakSideCacheBytes, liveOn.peakSideCacheBytes)} |`,
  `| peak gate backlog + deferred (durable, ~0.3 KB/item) | ${liveOn.peakGateBacklog} | — | |`,
  '', 'Bottleneck utilization every 250 ms (▁ idle … █ busy):', '', '```',
  `gate on : ${spark(liveOn.utilization)}`, `gate off: ${spark(liveOff.utilization)}`, '```', '',
  ...(sim ? ['### Simulated day (fake clock, `quarry gate simulate` defaults)', '', formatSimulationReport(sim.on, sim.off, 'Simulated day').split('\n').slice(2).join('\n')] : []),
].join('\n');
await writeFile(new URL('./results/gate.md', import.meta.url), `${md}\n`);
process.stdout.write(`${md}\n`);
