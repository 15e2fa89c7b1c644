// Gate on vs. gate off, same run: a real bounded worker pool hit by a 3× burst (real time),
// then a simulated day (fake clock). Writes bench/results/gate.json and gate.md.
//   npx tsx bench/gate.bench.ts [--burst-seconds 4] [--no-sim]
import { execSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import hdr from 'hdr-histogram-js';
import { randomUUID } from 'node:crypto';
import {
  createGate, createGatePolicy, createKafkaBacklog, createLmdbBacklog, createLmdbDeferredStore, createRedisDeferredStore,
  createWorkerPool, defaultCapacity, defaultTraceOptions, diurnalTrace, formatSimulationReport, runSimulation,
  type Backlog, type DeferredStore, type GateItem, type Priority, type ResourceClass, type SimulationResult,
} from '../flow-control/index.ts';

const kafkaBrokers = () => (process.env.QUARRY_TEST_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const redisUrl = () => process.env.QUARRY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6390';
const requireServers = async () => {
  const { createConnection } = await import('node:net');
  const reach = (host: string, port: number) => new Promise<boolean>((res) => {
    const s = createConnection({ host, port, timeout: 2_000 });
    s.once('connect', () => { s.destroy(); res(true); }); s.once('error', () => res(false)); s.once('timeout', () => { s.destroy(); res(false); });
  });
  const [kh, kp] = kafkaBrokers()[0]!.split(':');
  const r = new URL(redisUrl());
  if (!(await reach(kh!, Number(kp))) || !(await reach(r.hostname, Number(r.port || 6379)))) throw new Error(`Kafka (${kafkaBrokers().join(',')}) or Redis (${redisUrl()}) not reachable`);
};

const arg = (name: string, dflt: number) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : dflt; };
const BURST_S = arg('burst-seconds', 4);
const CONCURRENCY = 4;
const SERVICE_MS = 10; // 400 cpu items/s
const CAP = (CONCURRENCY * 1000) / SERVICE_MS;
const TUPLE_BYTES = 100 * 1024; // DESIGN §2: ~100 KB tuple per item in flight (side-cache)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Mode = 'gate on (LMDB)' | 'gate on (Kafka + Redis)' | 'gate off';
interface LiveResult {
  mode: Mode;
  high: { p50: number; p99: number }; normal: { p50: number; p99: number }; low: { p50: number; p99: number }; lowGpu: { p50: number; p99: number };
  completionMs: number; items: number; peakInFlight: number; peakSideCacheBytes: number; peakGateBacklog: number;
  utilization: number[]; meanUtilizationDuringLoad: number;
}

async function stores(mode: Mode, dir: string): Promise<{ backlog: Backlog; deferred: DeferredStore } | undefined> {
  if (mode === 'gate off') return undefined;
  if (mode === 'gate on (LMDB)') return { backlog: createLmdbBacklog({ path: join(dir, 'b') }), deferred: createLmdbDeferredStore({ path: join(dir, 'd') }) };
  const run = `quarry-bench-gate-${randomUUID().slice(0, 8)}`;
  return { backlog: await createKafkaBacklog({ brokers: kafkaBrokers(), topicPrefix: run, groupId: `${run}-g` }), deferred: createRedisDeferredStore({ url: redisUrl(), name: run }) };
}

async function live(mode: Mode): Promise<LiveResult> {
  const dir = mkdtempSync(join(tmpdir(), 'quarry-gate-bench-'));
  const hist = { high: h(), normal: h(), low: h(), lowGpu: h() };
  let doneCount = 0; let lastDone = 0;
  const pool = createWorkerPool({ concurrency: CONCURRENCY, serviceMs: SERVICE_MS, gpuCost: 2, queueLimit: 64, onDone: (it, at) => {
    const k = it.priority === 'low' && it.resource === 'gpu' ? 'lowGpu' : it.priority;
    hist[k].recordValue(Math.max(1, at - it.enqueuedMs)); doneCount++; lastDone = at;
  } });
  const st0 = await stores(mode, dir);
  const gate = st0 ? createGate({
    ...st0,
    admit: async (items) => pool.enqueue(items), signals: async () => pool.signals(),
    policy: createGatePolicy({ tickMs: 20, deferral: { maxDrainPerSec: CAP } }), statsIntervalMs: 500,
  }) : undefined;
  await gate?.start();
  if (gate && mode.includes('Kafka')) { // let the consumer group join before the clock starts
    await gate.submit([{ id: 'warmup', dag: 'bench', itemKey: 'w', priority: 'high', tenant: 'w', resource: 'cpu', source: {} }]);
    while (doneCount < 1) await sleep(20);
    doneCount = 0; for (const x of Object.values(hist)) x.reset();
  }
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
  await st0?.backlog.close(); await st0?.deferred.close();
  rmSync(dir, { recursive: true, force: true });
  const loadSamples = util.slice(4, 4 + BURST_S * 4 + 8);
  for (const u of loadSamples) { uSum += u; uN++; }
  const pct = (x: hdr.Histogram) => ({ p50: x.getValueAtPercentile(50), p99: x.getValueAtPercentile(99) });
  return { mode, high: pct(hist.high), normal: pct(hist.normal), low: pct(hist.low), lowGpu: pct(hist.lowGpu), completionMs: lastDone - start, items: n,
    peakInFlight, peakSideCacheBytes: peakInFlight * TUPLE_BYTES, peakGateBacklog: peakBacklog, utilization: util, meanUtilizationDuringLoad: uSum / Math.max(1, uN) };
}
function h() { return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000, numberOfSignificantValueDigits: 2 }); }

const liveOn = await live('gate on (LMDB)');
const liveOff = await live('gate off');
let liveKafka: LiveResult | undefined;
let kafkaNote = '';
try { await requireServers(); liveKafka = await live('gate on (Kafka + Redis)'); } catch (e) { kafkaNote = `Kafka + Redis run not done: ${(e as Error).message}`; }
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
  live: { concurrency: CONCURRENCY, serviceMs: SERVICE_MS, capacityPerSec: CAP, burstSeconds: BURST_S, burstFactor: 3, results: [liveOn, liveOff, ...(liveKafka ? [liveKafka] : [])] },
  simulation: sim ? { on: { ...sim.on }, off: { ...sim.off } } : undefined }, null, 2)}\n`);

function table(): string[] {
  const rows: [string, (r: LiveResult) => number, (v: number) => string, boolean][] = [
    ['high p50', (r) => r.high.p50, (v) => ms(v), true],
    ['high p99', (r) => r.high.p99, (v) => ms(v), true],
    ['normal p99', (r) => r.normal.p99, (v) => ms(v), true],
    ['low p99', (r) => r.low.p99, (v) => ms(v), true],
    ['low gpu p99 (deferred edge)', (r) => r.lowGpu.p99, (v) => ms(v), true],
    ['total completion time', (r) => r.completionMs, (v) => ms(v), true],
    ['mean bottleneck utilization under load', (r) => r.meanUtilizationDuringLoad, (v) => `${(v * 100).toFixed(0)} %`, false],
    ['peak items in flight inside the DAG', (r) => r.peakInFlight, String, true],
    ['peak side-cache bytes (in flight × 100 KB tuple)', (r) => r.peakSideCacheBytes, (v) => `${(v / 2 ** 20).toFixed(1)} MiB`, true],
    ['peak gate backlog + deferred (durable)', (r) => r.peakGateBacklog, String, false],
  ];
  const k = liveKafka;
  return [
    `| figure | gate on (LMDB) | gate off | off / on |${k ? ' gate on (Kafka + Redis) |' : ''}`, `|---|---:|---:|---:|${k ? '---:|' : ''}`,
    ...rows.map(([name, f, fmt, ratio]) => `| ${name} | ${fmt(f(liveOn))} | ${liveOff.mode === 'gate off' && name.startsWith('peak gate') ? '—' : fmt(f(liveOff))} | ${ratio ? x(f(liveOff), f(liveOn)) : ''} |${k ? ` ${fmt(f(k))} |` : ''}`),
  ];
}
const ms = (v: number) => `${v.toLocaleString('en-US')} ms`;
const x = (a: number, b: number) => `${(a / Math.max(1, b)).toFixed(1)}×`;
const spark = (u: number[]) => u.map((v) => ' ▁▂▃▄▅▆▇█'[Math.min(8, Math.round(v * 8))]).join('');
const md = [
  '## Flow-control gate', '',
  `Command: \`${command}\`  `,
  `Machine: ${machine.nproc} cores, ${machine.cpu}, ${machine.ramGiB} GiB RAM. Date: ${date}.  `,
  `Live run: a real worker pool (${CONCURRENCY} × ${SERVICE_MS} ms = ${CAP} cpu items/s; gpu items cost 2×) hit by a ${BURST_S} s burst of 3× its capacity (normal/low/low-gpu from tenant "burst") while tenant "steady" sends high at 10% of capacity. Gate on: embedded durable stores (LMDB), 20 ms tick. Gate off: every item goes straight into the pool's queue.`, '',
  ...table(),
  '', 'Bottleneck utilization every 250 ms (▁ idle … █ busy):', '', '```',
  `gate on (LMDB)  : ${spark(liveOn.utilization)}`, `gate off        : ${spark(liveOff.utilization)}`,
  ...(liveKafka ? [`gate on (Kafka) : ${spark(liveKafka.utilization)}`] : []), '```', '',
  ...(kafkaNote ? [kafkaNote, ''] : []),
  ...(sim ? ['### Simulated day (fake clock, `quarry gate simulate` defaults)', '', formatSimulationReport(sim.on, sim.off, 'Simulated day').split('\n').slice(2).map((l) => l.replace(/^## /, '#### ')).join('\n')] : []),
].join('\n');
await writeFile(new URL('./results/gate.md', import.meta.url), `${md}\n`);
process.stdout.write(`${md}\n`);
