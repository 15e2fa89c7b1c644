// The core benchmark's result shapes and its Markdown section.
import { describeMachine, type MachineInfo } from './machine.ts';
import type { ProduceRun } from './fat-baseline.ts';
import type { PhaseResult } from './run-core-pipeline.ts';

export interface CoreScenario {
  name: string;
  backend: BackendName;
  size: string;
  tupleBytes: number;
  result: PhaseResult;
  /** The same path with one item in flight: latency without queueing. */
  probe: PhaseResult;
}

export interface FatScenario {
  name: string;
  size: string;
  hopsPerItem: number;
  items: number;
  reference: ProduceRun;
  fat: ProduceRun;
}

export interface CoreReport {
  command: string;
  date: string;
  machine: MachineInfo;
  durationMs: number;
  /** The machine is shared: its 1-minute load average before and after, to read the figures by. */
  loadAverage1m: { before: number; after: number };
  config: { items: number; itemsLarge: number; probeItems: number; window: number; concurrency: number; filter: string };
  core: CoreScenario[];
  fat: FatScenario[];
}

const n = (x: number, digits = 0): string => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ratio = (x: number | undefined, y: number | undefined): string => (x === undefined || y === undefined || y === 0 ? '—' : `${n(x / y, 2)}×`);
const bytes = (b: number): string => (b >= 2 ** 20 ? `${n(b / 2 ** 20, 1)} MiB` : b >= 1024 ? `${n(b / 1024, 1)} KiB` : `${n(b)} B`);

export type BackendName = 'kafka' | 'kafka-memory' | 'embedded';
export const BACKEND_LABEL: Record<BackendName, string> = {
  kafka: 'Kafka + Redis',
  'kafka-memory': 'Kafka bus, in-memory side-cache + ledger',
  embedded: 'embedded',
};

/** One column per backend; every peer also gets a ratio column against Kafka + Redis. */
function coreTable(size: string, runs: readonly CoreScenario[]): string[] {
  const base = runs.find((r) => r.backend === 'kafka');
  const order: BackendName[] = ['kafka', 'kafka-memory', 'embedded'];
  const peers = runs.filter((r) => r !== base).sort((x, y) => order.indexOf(x.backend) - order.indexOf(y.backend));
  const cols = [...(base ? [base] : []), ...peers];
  const row = (label: string, pick: 'result' | 'probe', f: (r: PhaseResult) => string, v?: (r: PhaseResult) => number): string => {
    const cells = cols.map((c) => {
      const text = f(c[pick]);
      if (c === base || !base) return text;
      return `${text} | ${v ? ratio(v(c[pick]), v(base[pick])) : ''}`;
    });
    return `| ${label} | ${cells.join(' | ')} |`;
  };
  const head = cols.map((c) => (c === base || !base ? BACKEND_LABEL[c.backend] : `${BACKEND_LABEL[c.backend]} | ÷ Kafka + Redis`));
  const ms = (x: number): string => `${n(x)} ms`;
  return [
    `| ${size} tuples | ${head.join(' | ')} |`,
    `|---|${head.map((h) => h.split(' | ').map(() => '---:').join('|')).join('|')}|`,
    row('items', 'result', (r) => `${n(r.completed)} / ${n(r.items)} completed${Object.keys(r.notCompleted).length ? ` (${JSON.stringify(r.notCompleted)})` : ''}`),
    row('items/s end to end', 'result', (r) => n(r.itemsPerSec), (r) => r.itemsPerSec),
    row('latency p50 (submit → terminal)', 'result', (r) => ms(r.latencyMs.p50), (r) => r.latencyMs.p50),
    row('latency p99', 'result', (r) => ms(r.latencyMs.p99), (r) => r.latencyMs.p99),
    row('latency p50, unloaded (1 item in flight)', 'probe', (r) => ms(r.latencyMs.p50), (r) => r.latencyMs.p50),
    row('latency p99, unloaded', 'probe', (r) => ms(r.latencyMs.p99), (r) => r.latencyMs.p99),
    row('trigger messages per item (hops)', 'result', (r) => n(r.kafka.hopsPerItem, 1)),
    row('trigger bytes per hop (encoded protobuf)', 'result', (r) => `${n(r.kafka.triggerBytesPerHop)} B`),
    row('bus bytes per item (triggers + keys, all hops)', 'result', (r) => bytes(r.kafka.bytesPerItem)),
    row('side-cache peak (tuples)', 'result', (r) => `${bytes(r.sideCache.peakBytes)} (${n(r.sideCache.peakTuples)})`, (r) => r.sideCache.peakBytes),
    row('side-cache after the run (tuples)', 'result', (r) => `${bytes(r.sideCache.afterBytes)} (${n(r.sideCache.afterTuples)})`),
  ];
}

export function formatCoreMarkdown(r: CoreReport): string {
  const lines = [
    '## Core runtime (6-node no-op DAG)',
    '',
    `Command: \`${r.command}\`  `,
    `Machine: ${describeMachine(r.machine)}. Date: ${r.date}. Whole bench: ${n(r.durationMs / 1000)} s. 1-min load average ${r.loadAverage1m.before} before, ${r.loadAverage1m.after} after (other work shares the machine).  `,
    'DAG: a → {b, c} → d (join) → e → f, six no-op operators served over real gRPC on loopback from the bench process, one miner hosting every node. ' +
      '`a` writes a payload field of the tuple size (a JSON string); b…f each read the previous node\'s field and the payload and write a small field of their own, ' +
      'so the payload stays in the side-cache until f, its last reader, completes. ' +
      `Closed loop: at most ${r.config.window} items in flight, node concurrency ${r.config.concurrency}, batches of ≤ 64 triggers; 64 warm-up items per backend are not counted. ` +
      'The backends run in the same process, interleaved A B C C B A with half the items per phase, so drift from neighbours on a shared machine weighs on all alike. ' +
      `Unloaded latency: ${r.config.probeItems} further items submitted one at a time after the loaded phase. ` +
      'Kafka + Redis = KRaft single node and Redis on loopback (Kafka bus with acks=all, Redis side-cache, Redis item ledger); Kafka bus + in-memory side-cache and ledger = the same Kafka bus with the embedded state adapters, to tell the bus\'s share of the cost from Redis\'s; embedded = in-process bus, in-memory side-cache and ledger. ' +
      'Latency is the ledger\'s createdMs (at submit) to endedMs (terminal). Bytes per hop are what the miner and ingress hand to `produce` on node topics (the encoded trigger; keys separately), not Kafka\'s record framing. ' +
      'Side-cache bytes are field value bytes summed over the namespace (polled every ~100 ms).',
    '',
  ];
  for (const size of [...new Set(r.core.map((c) => c.size))]) {
    lines.push(...coreTable(size, r.core.filter((c) => c.size === size)), '');
  }
  if (r.fat.length > 0) {
    lines.push(
      '**Fat-message baseline** (Kafka produce path only). For each size, the same Kafka bus produces `items × hops` messages (hops and trigger size as measured above) ' +
        'twice, into fresh one-partition topics, 4 produces in flight, acks=all, 64 messages per produce or fewer where that would pass Kafka\'s 1 MB batch limit (' +
        r.fat.map((f) => `${f.size}: ${f.reference.messagesPerProduce} reference, ${f.fat.messagesPerProduce} fat`).join('; ') +
        '): once reference-sized (the measured trigger), once fat (trigger + the whole tuple, as if every trigger carried the payload). ' +
        'No consumer, operator or side-cache is involved, so this isolates what carrying the tuple in the message costs the bus; "items/s bound" = messages/s ÷ hops, the most the bus alone could carry.',
      '',
      '| size | hops/item | reference B/msg | fat B/msg | fat / reference bytes | reference msgs/s (MB/s) | fat msgs/s (MB/s) | reference / fat msgs/s | items/s bound: reference, fat |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...r.fat.map((f) =>
        `| ${f.size} | ${n(f.hopsPerItem, 1)} | ${n(f.reference.bytesPerMessage)} | ${n(f.fat.bytesPerMessage)} | ${ratio(f.fat.bytesPerMessage, f.reference.bytesPerMessage)} | ` +
          `${n(f.reference.messagesPerSec)} (${n(f.reference.mbPerSec, 1)}) | ${n(f.fat.messagesPerSec)} (${n(f.fat.mbPerSec, 1)}) | ${ratio(f.reference.messagesPerSec, f.fat.messagesPerSec)} | ${n(f.reference.itemsPerSecBound)}, ${n(f.fat.itemsPerSecBound)} |`),
      '',
    );
  }
  return `${lines.join('\n')}\n`;
}
