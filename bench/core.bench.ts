// The core benchmark: a 6-node DAG of no-op operators (a → {b, c} → d → e → f, served over real
// gRPC on loopback) on Kafka + Redis, with ~1 KB and ~100 KB tuples. Peers in the same run: the
// same DAG on the embedded adapters, and a "fat message" Kafka baseline (see
// internal/fat-baseline.ts). Writes bench/results/core.json and bench/results/core.md.
//   npx tsx bench/core.bench.ts [--items 2000] [--items-large 500] [--window 256]
//     [--concurrency 32] [--probe-items 30] [--filter kafka|embedded|fat|1kb|100kb]
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { mkdir, writeFile } from 'node:fs/promises';
import { createKafkaBus } from '../framework/bus/index.ts';
import { createRedisItemLedger, type ItemRecord } from '../framework/item-ledger/index.ts';
import { startEmbeddedRuntime } from '../framework/runtime/index.ts';
import { createMemorySideCache, createRedisSideCache, type SideCache } from '../framework/side-cache/index.ts';
import { createEmbeddedBus } from '../framework/bus/index.ts';
import { createMemoryItemLedger, type ItemLedger } from '../framework/item-ledger/index.ts';
import { commandLine, flag, numberFlag } from './internal/args.ts';
import { coreDag, coreOperators } from './internal/core-dag.ts';
import { countingBus } from './internal/counting-bus.ts';
import { timeProduce } from './internal/fat-baseline.ts';
import { deleteTopicsWithPrefix } from './internal/kafka-cleanup.ts';
import { machineInfo } from './internal/machine.ts';
import { runCorePhase, summarizePhases, type PhaseRaw } from './internal/run-core-pipeline.ts';
import { formatCoreMarkdown, type BackendName, type CoreScenario, type FatScenario } from './internal/core-report.ts';

const REDIS = process.env.QUARRY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6390';
const BROKERS = (process.env.QUARRY_TEST_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const ITEMS = numberFlag('items', 2000);
const ITEMS_LARGE = numberFlag('items-large', Math.max(1, Math.round(ITEMS / 4)));
const WINDOW = numberFlag('window', 256);
const CONCURRENCY = numberFlag('concurrency', 32);
const FILTER = flag('filter') ?? '';
const PROBE_ITEMS = numberFlag('probe-items', 30);
const SIZES = [
  { label: '1kb', bytes: 1024, items: ITEMS },
  { label: '100kb', bytes: 100 * 1024, items: ITEMS_LARGE },
] as const;
const wanted = (name: string): boolean => FILTER === '' || name.includes(FILTER) || new RegExp(FILTER).test(name);

const round2 = (x: number): number => Math.round(x * 100) / 100;
const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const dagName = `bench-core-${runId}`;

interface Backend {
  name: BackendName;
  phase(size: (typeof SIZES)[number], items: number, window: number, keyPrefix: string): Promise<PhaseRaw>;
  close(): Promise<void>;
}

async function startBackend(name: BackendName): Promise<Backend> {
  const listeners = new Set<(r: ItemRecord) => void>();
  const terminals = { listen(fn: (r: ItemRecord) => void) { listeners.add(fn); return () => listeners.delete(fn); } };
  const bus = countingBus(name !== 'embedded' ? createKafkaBus({ brokers: BROKERS, clientId: `bench-core-${runId}-${name}` }) : createEmbeddedBus());
  const sideCache: SideCache = name === 'kafka' ? createRedisSideCache({ redis: REDIS, namespace: `bench-core-${runId}` }) : createMemorySideCache();
  const ledger: ItemLedger = name === 'kafka' ? createRedisItemLedger({ redis: REDIS, namespace: `bench-core-ledger-${runId}`, retentionMs: 120_000 }) : createMemoryItemLedger();
  const setupStart = Date.now();
  // Each backend its own DAG name: the two Kafka backends must not share topics or groups.
  const dag = `${dagName}-${name === 'kafka-memory' ? 'km' : name === 'kafka' ? 'kr' : 'em'}`;
  const rt = await startEmbeddedRuntime({
    dags: [coreDag(dag, CONCURRENCY)], operators: coreOperators(), bus, sideCache, ledger,
    onTerminal: (r) => { for (const fn of listeners) fn(r); },
  });
  const phase: Backend['phase'] = (size, items, window, keyPrefix) =>
    runCorePhase({ rt, bus, dag, items, tupleBytes: size.bytes, window, terminals, keyPrefix });
  const close = async () => {
    await rt.close();
    await bus.close();
    await sideCache.close();
    await ledger.close();
  };
  try {
    // Warm up: consumer groups joined, gRPC channels open, JIT warm; not measured.
    await phase(SIZES[0], 64, WINDOW, 'warm-');
  } catch (err) {
    await close();
    throw err;
  }
  console.error(`[core] ${name}: ready in ${Date.now() - setupStart} ms`);
  return { name, phase, close };
}

/**
 * The backends run in one process, interleaved A B C C B A with half the items per phase, so a
 * neighbour's load on a shared machine (drift) weighs on all alike.
 */
async function runCore(backends: readonly Backend[]): Promise<CoreScenario[]> {
  const out: CoreScenario[] = [];
  for (const size of SIZES) {
    const here = backends.filter((b) => wanted(`${b.name}-${size.label}`));
    if (here.length === 0) continue;
    const raws = new Map<string, PhaseRaw[]>(here.map((b) => [b.name, []]));
    const order = [...here, ...[...here].reverse()];
    const half = [Math.ceil(size.items / 2), Math.floor(size.items / 2)];
    for (const [i, b] of order.entries()) {
      const round = i < here.length ? 0 : 1;
      const items = half[round]!;
      if (items > 0) raws.get(b.name)!.push(await b.phase(size, items, WINDOW, `${size.label}-r${round}-`));
    }
    for (const b of here) {
      // Unloaded latency: one item at a time, so the figure is the path's cost, not queueing.
      const probe = summarizePhases([await b.phase(size, PROBE_ITEMS, 1, `${size.label}-probe-`)]);
      const result = summarizePhases(raws.get(b.name)!);
      console.error(`[core] ${b.name}-${size.label}: ${result.itemsPerSec} items/s, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms (unloaded ${probe.latencyMs.p50}/${probe.latencyMs.p99} ms), ${result.kafka.triggerBytesPerHop} B/hop, side-cache peak ${result.sideCache.peakBytes} B, after ${result.sideCache.afterBytes} B`);
      out.push({ name: `${b.name}-${size.label}`, backend: b.name, size: size.label, tupleBytes: size.bytes, result, probe });
    }
  }
  return out;
}

async function runFat(size: (typeof SIZES)[number], measured: CoreScenario | undefined): Promise<FatScenario> {
  // Use the hop count and trigger size the real Kafka run measured; without it, the DAG's shape
  // (7 edges into node topics) and a typical trigger size.
  const hops = measured?.result.kafka.hopsPerItem ?? 7;
  const triggerBytes = Math.round(measured?.result.kafka.triggerBytesPerHop ?? 260);
  // The tuple a fat trigger would carry: the payload (JSON string) plus the small fields.
  const tupleBytes = size.bytes + 2 + 64;
  const bus = createKafkaBus({ brokers: BROKERS, clientId: `bench-core-fat-${runId}` });
  try {
    const messages = Math.round(size.items * hops);
    const reference = await timeProduce(bus, `bench-core-${runId}.ref-${size.label}`, { messages, bytes: triggerBytes, hopsPerItem: hops });
    const fat = await timeProduce(bus, `bench-core-${runId}.fat-${size.label}`, { messages, bytes: triggerBytes + tupleBytes, hopsPerItem: hops });
    console.error(`[core] fat-${size.label}: ref ${reference.messagesPerSec} msg/s (${reference.mbPerSec} MB/s), fat ${fat.messagesPerSec} msg/s (${fat.mbPerSec} MB/s)`);
    return { name: `fat-${size.label}`, size: size.label, hopsPerItem: hops, items: size.items, reference, fat };
  } finally {
    await bus.close();
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const date = new Date().toISOString();
  const loadBefore = loadavg()[0]!;
  const backends: Backend[] = [];
  let core: CoreScenario[];
  try {
    for (const name of ['embedded', 'kafka-memory', 'kafka'] as const) {
      if (SIZES.some((s) => wanted(`${name}-${s.label}`))) backends.push(await startBackend(name));
    }
    core = await runCore(backends);
  } finally {
    for (const b of backends) await b.close();
  }
  const fat: FatScenario[] = [];
  for (const size of SIZES) {
    if (wanted(`fat-${size.label}`)) fat.push(await runFat(size, core.find((c) => c.name === `kafka-${size.label}`)));
  }
  try {
    await deleteTopicsWithPrefix(BROKERS, [`quarry.${dagName}-`, `bench-core-${runId}.`]);
  } catch (err) {
    console.error(`[core] could not delete this run's topics: ${String(err)}`);
  }
  const report = {
    command: commandLine('bench/core.bench.ts'),
    date,
    machine: machineInfo(),
    durationMs: Date.now() - started,
    loadAverage1m: { before: round2(loadBefore), after: round2(loadavg()[0]!) },
    config: { items: ITEMS, itemsLarge: ITEMS_LARGE, probeItems: PROBE_ITEMS, window: WINDOW, concurrency: CONCURRENCY, filter: FILTER, redis: REDIS, brokers: BROKERS, dagPrefix: dagName },
    core,
    fat,
  };
  await mkdir(new URL('./results/', import.meta.url), { recursive: true });
  await writeFile(new URL('./results/core.json', import.meta.url), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(new URL('./results/core.md', import.meta.url), formatCoreMarkdown(report));
  console.error(`[core] done in ${Math.round(report.durationMs / 1000)} s: bench/results/core.{json,md}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
