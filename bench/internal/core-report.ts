// The core bench's report: its JSON shape and its Markdown section of bench/RESULTS.md.
import type { ProduceRun } from './fat-baseline.ts';
import { describeMachine, type MachineInfo } from './machine.ts';
import type { Ratio, ScenarioRaw, ScenarioSummary } from './core-summary.ts';
import { PEERS } from './scenarios.ts';

export interface Background {
  seconds: number;
  redisCommandsPerSec: number;
  redisCpuMsPerSec: number;
  kafkaCpuMsPerSec: number | undefined;
  idlePeersCpuMsPerSec: number;
  machineBusyCores: number;
}

export interface CoreReport {
  command: string;
  date: string;
  machine: MachineInfo;
  durationMs: number;
  /** The machine is shared: its 1-minute load average before, during (sampled after every phase) and after. */
  loadAverage1m: { before: number; during: { mean: number; max: number; samples: number }; after: number };
  /** Measured before the first phase with every peer up and idle. */
  background: Background | undefined;
  config: Record<string, unknown> & { items: number; itemsLarge: number; reps: number; warmup: number; cpuProf: string | false; probeItems: number; window: number; concurrency: number; operatorCapacity: number };
  scenarios: ScenarioSummary[];
  ratios: Ratio[];
  fat: { name: string; size: string; runs: NonNullable<ScenarioRaw['fat']> }[];
  raw: unknown[];
}

const n = (x: number | undefined, digits = 0): string =>
  x === undefined || Number.isNaN(x) ? '—' : x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ms = (x: number | undefined): string => (x === undefined ? '—' : `${n(x, x < 10 ? 1 : 0)} ms`);
const times = (x: number | undefined): string => (x === undefined ? '—' : `${n(x, 2)}×`);
const bytes = (b: number): string => (b >= 2 ** 20 ? `${n(b / 2 ** 20, 1)} MiB` : b >= 1024 ? `${n(b / 1024, 1)} KiB` : `${n(b)} B`);
const label = (peer: string): string => PEERS.find((p) => p.name === peer)?.label ?? peer;
const top = (xs: [string, number][] | undefined): string => (xs ? xs.map(([k, v]) => `${k} ${n(v, 2)}`).join(', ') : '—');

function table(size: string, cols: readonly ScenarioSummary[]): string[] {
  const row = (name: string, f: (s: ScenarioSummary) => string): string => `| ${name} | ${cols.map(f).join(' | ')} |`;
  const cpu = (s: ScenarioSummary, k: 'main' | 'operator' | 'redis' | 'kafka' | 'total'): string => n(s.cpuMsPerItem[k], 3);
  return [
    `| ${size} tuples | ${cols.map((c) => label(c.peer)).join(' | ')} |`,
    `|---|${cols.map(() => '---:').join('|')}|`,
    row('items completed', (s) => `${n(s.ends.completed ?? 0)} / ${n(s.items)}${Object.keys(s.ends).some((k) => k !== 'completed') ? ` ${JSON.stringify(s.ends)}` : ''}`),
    row('**items/s** (per repetition)', (s) => `**${n(s.itemsPerSec)}** (${s.itemsPerSecByRep.map((x) => n(x)).join(', ')})`),
    row('latency p50 / p99, loaded', (s) => `${ms(s.latencyMs.p50)} / ${ms(s.latencyMs.p99)}`),
    row('latency p50 / p99, unloaded (1 in flight)', (s) => `${ms(s.unloadedLatencyMs.p50)} / ${ms(s.unloadedLatencyMs.p99)}`),
    row('CPU ms/item: main Node process', (s) => cpu(s, 'main')),
    row('CPU ms/item: operator process', (s) => cpu(s, 'operator')),
    row('CPU ms/item: Redis server', (s) => cpu(s, 'redis')),
    row('CPU ms/item: Kafka JVM', (s) => cpu(s, 'kafka')),
    row('**CPU ms/item, total**', (s) => `**${cpu(s, 'total')}**`),
    row('event-loop utilisation, main process', (s) => n(s.eventLoopUtilization, 2)),
    row('**Redis round trips/item** (client)', (s) => `**${n(s.redisClient?.roundTripsPerItem, 2)}**`),
    row('Redis commands/item (client)', (s) => n(s.redisClient?.commandsPerItem, 2)),
    row('Redis commands/item (server, incl. inside scripts)', (s) => n(s.redisServer?.commandsPerItem, 2)),
    row('Lua script calls/item (server)', (s) => n(s.redisServer?.scriptCallsPerItem, 2)),
    row('top client commands/item', (s) => top(s.redisClient?.topCommandsPerItem)),
    row('**Echo calls/item** (at the operator server)', (s) => (s.echoCallsPerItem === undefined ? '—' : `**${n(s.echoCallsPerItem, 2)}**`)),
    row('trigger messages/item, bytes/message', (s) => (s.quarry ? `${n(s.quarry.hopsPerItem, 1)}, ${n(s.quarry.triggerBytesPerHop)} B` : '—')),
    row('side-cache after the run', (s) => (s.quarry?.sideCacheAfter ? `${bytes(s.quarry.sideCacheAfter.bytes)} (${s.quarry.sideCacheAfter.tuples} tuples)` : '—')),
    row('other work on the machine (cores), load 1m', (s) => `${n(s.machine.othersCores, 2)}, ${n(s.machine.load1.mean, 1)}`),
  ];
}

function ratioTable(rs: readonly Ratio[]): string[] {
  return [
    '| Quarry ÷ BullMQ | items/s (pooled) | items/s, paired per repetition: median [min–max] | p50 / p99 loaded | p50 / p99 unloaded | CPU/item, main process | CPU/item, total | Redis round trips/item |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rs.map((r) =>
      `| ${r.quarry} | **${times(r.itemsPerSec)}** | ${times(r.itemsPerSecPaired.median)} [${times(r.itemsPerSecPaired.min)}–${times(r.itemsPerSecPaired.max)}] | ${times(r.latencyP50)} / ${times(r.latencyP99)} | ` +
        `${times(r.unloadedP50)} / ${times(r.unloadedP99)} | ${times(r.cpuMainPerItem)} | ${times(r.cpuTotalPerItem)} | ${times(r.redisRoundTripsPerItem)} |`),
  ];
}

/** Issue #8's targets, read off this run (never asserted in tests: they are measurements). */
function targetTable(r: CoreReport): string[] {
  const ratio = (q: string) => r.ratios.find((x) => x.quarry === q)?.itemsPerSec;
  const sc = (name: string) => r.scenarios.find((s) => s.name === name);
  const rows: [string, number | undefined, (x: number) => boolean, (x: number) => string][] = [
    ['Kafka + Redis, 1 KB: ≥ 0.7× BullMQ items/s', ratio('quarry-kafka-redis-1kb'), (x) => x >= 0.7, times],
    ['Kafka + Redis, 100 KB: ≥ 2× BullMQ items/s', ratio('quarry-kafka-redis-100kb'), (x) => x >= 2, times],
    ['Kafka + Redis chained, 1 KB: ≥ 0.7× BullMQ items/s', ratio('quarry-kafka-redis-chained-1kb'), (x) => x >= 0.7, times],
    ['Kafka + Redis chained, 100 KB: ≥ 2× BullMQ items/s', ratio('quarry-kafka-redis-chained-100kb'), (x) => x >= 2, times],
    ['embedded, 1 KB: ≥ 2× BullMQ items/s', ratio('quarry-embedded-1kb'), (x) => x >= 2, times],
    ['Kafka + Redis, 1 KB: Redis round trips/item ≤ 1 per node (6)', sc('quarry-kafka-redis-1kb')?.redisClient?.roundTripsPerItem, (x) => x <= 6, (x) => n(x, 2)],
    ['Kafka + Redis, 100 KB: Redis round trips/item ≤ 1 per node (6)', sc('quarry-kafka-redis-100kb')?.redisClient?.roundTripsPerItem, (x) => x <= 6, (x) => n(x, 2)],
    ['Kafka + Redis, 1 KB: unloaded p99 no worse than before (≤ 90 ms)', sc('quarry-kafka-redis-1kb')?.unloadedLatencyMs.p99, (x) => x <= 90, ms],
    ['Kafka + Redis chained, 1 KB: unloaded p99 no worse than before (≤ 90 ms)', sc('quarry-kafka-redis-chained-1kb')?.unloadedLatencyMs.p99, (x) => x <= 90, ms],
  ];
  const measured = rows.filter(([, v]) => v !== undefined);
  if (measured.length === 0) return [];
  return [
    '| issue #8 target | this run | met |',
    '|---|---:|---|',
    ...measured.map(([name, v, ok, fmt]) => `| ${name} | ${fmt(v!)} | ${ok(v!) ? 'yes' : 'no'} |`),
    '',
  ];
}

function fatTable(fat: CoreReport['fat']): string[] {
  const pool = (runs: ProduceRun[]) => {
    const messages = runs.reduce((a, r) => a + r.messages, 0);
    const secs = runs.reduce((a, r) => a + r.elapsedMs, 0) / 1000;
    return { perSec: messages / secs, mbPerSec: (messages * runs[0]!.bytesPerMessage) / secs / 1e6, bytes: runs[0]!.bytesPerMessage, perProduce: runs[0]!.messagesPerProduce };
  };
  return [
    '| size | reference B/msg | fat B/msg | reference msgs/s (MB/s) | fat msgs/s (MB/s) | reference ÷ fat msgs/s | messages per produce: reference, fat |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...fat.map((f) => {
      const ref = pool(f.runs.map((r) => r.reference));
      const fa = pool(f.runs.map((r) => r.fat));
      return `| ${f.size} | ${n(ref.bytes)} | ${n(fa.bytes)} | ${n(ref.perSec)} (${n(ref.mbPerSec, 1)}) | ${n(fa.perSec)} (${n(fa.mbPerSec, 1)}) | ${times(ref.perSec / fa.perSec)} | ${ref.perProduce}, ${fa.perProduce} |`;
    }),
  ];
}

export function formatCoreMarkdown(r: CoreReport): string {
  const c = r.config;
  const l = r.loadAverage1m;
  const lines = [
    '## Core runtime against BullMQ and raw Redis Streams (6-stage no-op DAG)',
    '',
    `Command: \`${r.command}\`  `,
    `Machine: ${describeMachine(r.machine)}. Date: ${r.date}. Whole bench: ${n(r.durationMs / 1000)} s.  `,
    `Load: 1-min load average ${l.before} before, ${l.during.mean} on average during (max ${l.during.max}, ${l.during.samples} samples), ${l.after} after; ` +
      'the machine is shared with other engineers, so read the figures as ratios between peers of the same run, not as absolutes.  ',
    ...(r.background
      ? [`Background (${r.background.seconds} s with every peer up and idle, before the first phase): Redis ${n(r.background.redisCommandsPerSec)} commands/s and ${n(r.background.redisCpuMsPerSec)} ms CPU/s, ` +
          `Kafka JVM ${n(r.background.kafkaCpuMsPerSec)} ms CPU/s, the idle peers ${n(r.background.idlePeersCpuMsPerSec)} ms CPU/s, the machine ${n(r.background.machineBusyCores, 2)} cores busy.`]
      : []),
    '',
    ...(c.cpuProf ? [`**CPU profiling was on** (\`--cpu-prof\`, profiles in \`${String(c.cpuProf).replace(/^.*\/bench\//, 'bench/')}\`): sampling inflates CPU figures and lowers throughput; compare only runs with the same setting.`, ''] : []),
    ...METHOD(c),
    '',
  ];
  for (const size of [...new Set(r.scenarios.map((s) => s.size))]) {
    lines.push(...table(size, r.scenarios.filter((s) => s.size === size)), '');
  }
  if (r.ratios.length > 0) lines.push(...ratioTable(r.ratios), '');
  lines.push(...targetTable(r));
  if (r.fat.length > 0) {
    lines.push(
      '**Fat-message baseline** (Kafka produce path only, in its own process, interleaved with the others). Per phase it produces `items × hops` messages through Quarry\'s Kafka bus, twice, into one-partition topics ' +
        '(4 produces in flight, acks=all, ≤ 64 messages or ~900 KB per produce): reference-sized (the trigger size Quarry Kafka + Redis measured) and fat (trigger + the whole tuple). ' +
        'No consumer, operator or side-cache: it isolates what carrying the tuple in every message costs the bus.',
      '',
      ...fatTable(r.fat),
      '',
    );
  }
  return `${lines.join('\n')}\n`;
}

const METHOD = (c: CoreReport['config']): string[] => [
  '**What runs.** The DAG a → {b, c} → d (join) → e → f: `a` writes a payload of the tuple size, b…f each read the previous stage\'s field and the payload and write a small field of their own. ' +
    `Each peer runs in its own Node process, which is both its main process and the closed-loop driver: at most ${c.window} items in flight, submitted in batches of 16–64, ` +
    `${n(c.items)} items at 1 KB and ${n(c.itemsLarge)} at 100 KB per peer, split over ${c.reps} repetitions; in each repetition every peer runs its share in turn, the order reversed every other repetition, ` +
    `so drift from neighbours weighs on every peer alike. After each loaded phase, ${Math.max(1, Math.round(c.probeItems / c.reps))} items one at a time give the unloaded latency. ` +
    `Warm-up, not counted: ${c.warmup} items at 1 KB and ${Math.ceil(c.warmup / 10)} at 100 KB per peer.`,
  '',
  '* **Quarry Kafka + Redis**: the miner (with the driver) in one process, the six operators served over gRPC from a second process (`bench/internal/operator-process.ts`, as `quarry operator` would), ' +
    `KRaft single node (acks=all), Redis side-cache and item ledger; node concurrency ${c.concurrency}, operator server capacity ${c.operatorCapacity}. ` +
    '**Kafka + Redis, chained**: the same miner with `chain` on (`quarry miner --chain`): successor triggers go to their node in process, only the entry through Kafka. ' +
    '**Kafka bus, in-memory state**: the same with the embedded side-cache and ledger, to tell the bus\'s share from Redis\'s. **Embedded**: one process, in-process bus and state, operators as the embedded runtime serves them.',
  `* **BullMQ** (${'`bullmq`'} from package.json): one queue per stage and one worker each (concurrency ${c.concurrency}), in one process; every job \`removeOnComplete\`. A stage adds the next stage's job from its processor. Jobs carry the payload in their data, as BullMQ jobs do. ` +
    'Two shapes: the **chain of 6 queues** a → b → c → d → e → f (issue #8\'s definition, the idiomatic BullMQ pipeline, with no join: the reference of every Quarry ÷ BullMQ ratio), and the DAG\'s own shape with the join as a **flow**: ' +
    '`a` adds d as the FlowProducer parent of b and c, so BullMQ holds d until both completed and d reads their results with `getChildrenValues()` (BullMQ\'s own fan-in, atomic in its scripts).',
  '* **Raw Redis Streams, 6 hops** (1 KB): six streams in a chain (no join), one consumer group and one consumer each; a stage reads ≤ 64 entries (XREADGROUP BLOCK) and hands the batch on in one pipeline (XADD next, XACK, XDEL). The limit reference.',
  '',
  '**How each figure is measured.** Items/s: items ÷ (first submit → last terminal), pooled over repetitions. Latency: submit → terminal on the driver\'s clock (Quarry\'s `onTerminal`, BullMQ\'s `completed` of f, the Streams sink\'s ack). ' +
    'CPU per item: utime + stime of each process (all threads) from `/proc/<pid>/stat` over the phase (settling included), Redis from `INFO cpu`, the Kafka JVM from `/proc/<pid>/stat` of `.infra/run/kafka.pid`; ' +
    'Redis and Kafka are shared servers, so their figures include other clients. Total = the processes and servers the peer uses (— = not used). ' +
    '**Redis round trips** are counted in the client: the ioredis module of every peer process (BullMQ\'s connections included) is patched to count every write to a Redis socket, i.e. one per standalone command and one per pipeline/MULTI flush. ' +
    'Server commands are `total_commands_processed` from `INFO stats` (commands inside Lua scripts included) and script calls from `INFO commandstats`, server-wide. ' +
    '**Echo calls** are counted at the operator server (grpc-js server handlers, by method). Other work: machine busy CPU (`/proc/stat`) minus every measured process, in cores.',
];
