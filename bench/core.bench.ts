// The core benchmark: the 6-stage DAG a → {b, c} → d → e → f with no-op stages, on Quarry's
// backends and on the peers a Node team would pick instead, measured in the same run:
// Quarry on Kafka + Redis (operators in their own process), on the Kafka bus with in-memory state,
// and embedded; BullMQ; raw Redis Streams over 6 hops (the limit reference); and the fat-message
// Kafka baseline. Each peer runs in a process of its own (internal/peer-main.ts); this process only
// schedules phases, interleaved over `--reps` repetitions (the order reversed every other one) so
// drift on a shared machine weighs on every peer alike, and measures every process from outside.
// Writes bench/results/core.json and bench/results/core.md.
//   npx tsx bench/core.bench.ts [--items 3000] [--items-large 750] [--reps 3] [--window 256]
//     [--concurrency 32] [--probe-items 30] [--operator-capacity 64] [--warmup 500] [--filter bullmq,quarry,1kb]
//     [--cpu-prof]   (profiles to bench/results/tmp/)
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { commandLine, flag, numberFlag } from './internal/args.ts';
import { formatCoreMarkdown, type Background, type CoreReport } from './internal/core-report.ts';
import { ratios, summarize, type PhaseSample, type ScenarioRaw } from './internal/core-summary.ts';
import { startChild, type Child } from './internal/ipc.ts';
import { machineInfo } from './internal/machine.ts';
import type { FatReply, PhaseReply } from './internal/peer-main.ts';
import { diffRedis, kafkaPid, load1, machineCpuMs, processCpuMs, redisSnapshot } from './internal/proc-stats.ts';
import { SIZE_BYTES, selectScenarios, type Scenario } from './internal/scenarios.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const REDIS = process.env.QUARRY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6390';
const BROKERS = (process.env.QUARRY_TEST_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const ITEMS = numberFlag('items', 3000);
const ITEMS_LARGE = numberFlag('items-large', Math.max(1, Math.round(ITEMS / 4)));
const REPS = numberFlag('reps', 3);
const WINDOW = numberFlag('window', 256);
const CONCURRENCY = numberFlag('concurrency', 32);
const PROBE_ITEMS = numberFlag('probe-items', 30);
const OPERATOR_CAPACITY = numberFlag('operator-capacity', 64);
const WARMUP = flag('warmup') === '0' ? 0 : numberFlag('warmup', 500);
const FILTER = flag('filter') ?? '';
const CPU_PROF = process.argv.includes('--cpu-prof');
const PROFILE_DIR = `${root}bench/results/tmp/cpu-prof-${new Date().toISOString().replace(/[:.]/g, '-')}`;
const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const DEFAULT_HOPS = 7;
const DEFAULT_TRIGGER_BYTES = 260;

const scenarios = selectScenarios(FILTER);
const itemsFor = (s: Scenario): number => Math.max(1, Math.round((s.size === '1kb' ? ITEMS : ITEMS_LARGE) / REPS));

async function measure<T>(child: Child, others: Record<string, number>, redis: Redis, rep: number, run: () => Promise<T>) {
  const kafka = kafkaPid(root);
  const pids = { main: child.pid, ...others, ...(kafka ? { kafka } : {}) };
  const cpu0 = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, processCpuMs(pid) ?? NaN]));
  const m0 = machineCpuMs();
  const r0 = await redisSnapshot(redis);
  const t0 = performance.now();
  const out = await run();
  const wallMs = performance.now() - t0;
  const r1 = await redisSnapshot(redis);
  const m1 = machineCpuMs();
  const cpuMs: PhaseSample['cpuMs'] = { main: NaN };
  for (const [k, pid] of Object.entries(pids)) (cpuMs as Record<string, number>)[k] = (processCpuMs(pid) ?? NaN) - cpu0[k]!;
  const redisServer = diffRedis(r0, r1);
  cpuMs.redis = redisServer.cpuMs;
  const ours = Object.values(cpuMs).reduce((a: number, b) => a + (b ?? 0), 0);
  const busyMs = m1.busy - m0.busy;
  return { out, sample: { rep, wallMs, cpuMs, redisServer, machine: { busyMs, othersMs: Math.max(0, busyMs - ours) }, load1: load1() } };
}

async function main(): Promise<void> {
  const started = Date.now();
  const date = new Date().toISOString();
  const loadBefore = load1();
  const redis = new Redis(REDIS, { maxRetriesPerRequest: 3 });
  const peers = new Map<string, { child: Child; others: Record<string, number> }>();
  const raws = new Map<string, ScenarioRaw>(scenarios.map((s) => [s.name, { name: s.name, peer: s.peer.name, size: s.size, bytes: SIZE_BYTES[s.size]!, uses: s.peer.uses, phases: [], probes: { latenciesMs: [], ends: {} } }]));
  const lastTrigger = new Map<string, { hops: number; bytes: number }>();
  let background: Background | undefined;
  try {
    // One at a time: starting several on 2 cores would make each one's warm-up slower, not shorter.
    for (const p of new Set(scenarios.map((s) => s.peer.name))) {
      const t = Date.now();
      const sizes = scenarios.filter((s) => s.peer.name === p).map((s) => s.size);
      const config = JSON.stringify({ redis: REDIS, brokers: BROKERS, runId, concurrency: CONCURRENCY, operatorCapacity: OPERATOR_CAPACITY, warmup: WARMUP, sizes });
      const child = await startChild(p, `${root}bench/internal/peer-main.ts`, [p, config], { cwd: root });
      peers.set(p, { child, others: await child.request<Record<string, number>>({ op: 'pids' }) });
      console.error(`[core] ${p}: ready in ${Date.now() - t} ms`);
    }
    background = await idleBackground(redis, [...peers.values()].flatMap((p) => [p.child.pid, ...Object.values(p.others)]));
    console.error(`[core] background, every peer idle: ${JSON.stringify(background)}`);
    if (CPU_PROF) for (const { child } of peers.values()) await child.request({ op: 'profile' });
    for (let rep = 0; rep < REPS; rep++) {
      const order = rep % 2 === 0 ? scenarios : [...scenarios].reverse();
      for (const s of order) {
        const { child, others } = peers.get(s.peer.name)!;
        const raw = raws.get(s.name)!;
        const items = itemsFor(s);
        const bytes = SIZE_BYTES[s.size]!;
        if (s.peer.name === 'fat-baseline') {
          const trig = lastTrigger.get(s.size) ?? { hops: DEFAULT_HOPS, bytes: DEFAULT_TRIGGER_BYTES };
          const req = { op: 'fat', label: s.size, messages: Math.round(items * trig.hops), triggerBytes: Math.round(trig.bytes), tupleBytes: bytes + 2 + 64, hops: trig.hops };
          const { out, sample } = await measure(child, others, redis, rep, () => child.request<FatReply>(req));
          raw.fat = [...(raw.fat ?? []), { ...out, cpuMs: sample.cpuMs, wallMs: sample.wallMs }];
          console.error(`[core] rep ${rep} ${s.name}: ref ${out.reference.messagesPerSec} msg/s, fat ${out.fat.messagesPerSec} msg/s`);
          continue;
        }
        const { out, sample } = await measure(child, others, redis, rep, () => child.request<PhaseReply>({ op: 'phase', bytes, items, window: WINDOW, keyPrefix: `${s.size}-r${rep}-` }));
        raw.phases.push({ ...sample, items: out.loop.items, ends: out.loop.ends, elapsedMs: out.loop.elapsedMs, latenciesMs: out.loop.latenciesMs, counters: out.counters, extras: out.extras, elu: out.elu });
        const bus = out.extras.quarry?.bus;
        if (s.peer.name === 'quarry-kafka-redis' && bus && bus.messages > 0) lastTrigger.set(s.size, { hops: bus.messages / items, bytes: bus.valueBytes / bus.messages });
        const probeItems = Math.max(1, Math.round(PROBE_ITEMS / REPS));
        const probe = await child.request<PhaseReply>({ op: 'phase', bytes, items: probeItems, window: 1, keyPrefix: `${s.size}-probe${rep}-` });
        raw.probes.latenciesMs.push(...probe.loop.latenciesMs);
        for (const [k, v] of Object.entries(probe.loop.ends)) raw.probes.ends[k] = (raw.probes.ends[k] ?? 0) + v;
        console.error(`[core] rep ${rep} ${s.name}: ${Math.round((items * 1000) / out.loop.elapsedMs)} items/s, main cpu ${(sample.cpuMs.main / items).toFixed(2)} ms/item, load ${sample.load1}`);
      }
    }
  } finally {
    for (const [p, { child }] of peers) await child.stop(CPU_PROF ? { profileDir: PROFILE_DIR } : {}).catch((err: unknown) => console.error(`[core] ${p}: ${String(err)}`));
    await redis.quit();
  }
  const all = [...raws.values()];
  const summaries = all.filter((s) => s.phases.length > 0).map(summarize);
  const report: CoreReport = {
    command: commandLine('bench/core.bench.ts'),
    date,
    machine: machineInfo(),
    durationMs: Date.now() - started,
    loadAverage1m: { before: loadBefore, during: duringLoad(all), after: load1() },
    background,
    config: { items: ITEMS, itemsLarge: ITEMS_LARGE, reps: REPS, warmup: WARMUP, probeItems: PROBE_ITEMS, window: WINDOW, concurrency: CONCURRENCY, operatorCapacity: OPERATOR_CAPACITY, filter: FILTER, cpuProf: CPU_PROF ? PROFILE_DIR : false, redis: REDIS, brokers: BROKERS, runId },
    scenarios: summaries,
    ratios: ratios(summaries),
    fat: all.filter((s) => s.fat).map((s) => ({ name: s.name, size: s.size, runs: s.fat! })),
    raw: all.map((s) => ({ ...s, phases: s.phases.map((p) => ({ ...p, latenciesMs: undefined })) })),
  };
  await mkdir(`${root}bench/results`, { recursive: true });
  await writeFile(`${root}bench/results/core.json`, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(`${root}bench/results/core.md`, formatCoreMarkdown(report));
  console.error(`[core] done in ${Math.round(report.durationMs / 1000)} s: bench/results/core.{json,md}${CPU_PROF ? `; CPU profiles in ${PROFILE_DIR}` : ''}`);
}

/**
 * What the shared servers and the machine do while every peer is up and none is measured: idle
 * peers' polling plus other engineers' work, the floor under the per-phase server figures.
 */
async function idleBackground(redis: Redis, ourPids: readonly number[]): Promise<Background> {
  const seconds = 3;
  const kafka = kafkaPid(root);
  const cpu = () => ourPids.reduce((a, pid) => a + (processCpuMs(pid) ?? 0), 0);
  const [r0, k0, m0, o0] = [await redisSnapshot(redis), kafka ? processCpuMs(kafka) : undefined, machineCpuMs(), cpu()];
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const [r1, k1, m1, o1] = [await redisSnapshot(redis), kafka ? processCpuMs(kafka) : undefined, machineCpuMs(), cpu()];
  const d = diffRedis(r0, r1);
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    seconds,
    redisCommandsPerSec: round(d.commands / seconds),
    redisCpuMsPerSec: round(d.cpuMs / seconds),
    kafkaCpuMsPerSec: k0 !== undefined && k1 !== undefined ? round((k1 - k0) / seconds) : undefined,
    idlePeersCpuMsPerSec: round((o1 - o0) / seconds),
    machineBusyCores: Math.round(((m1.busy - m0.busy) / (seconds * 1000)) * 100) / 100,
  };
}

function duringLoad(all: readonly ScenarioRaw[]): { mean: number; max: number; samples: number } {
  const xs = all.flatMap((s) => s.phases.map((p) => p.load1));
  return { mean: Math.round((xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)) * 100) / 100, max: Math.max(...xs), samples: xs.length };
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
