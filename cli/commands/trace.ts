// `quarry trace <url or key>`: why was this item (not) ingested? Its end state and full reason,
// where it ended, its trace id, and its history with the time each node took — from the journal
// of the embedded runs in `--data` (default .quarry), or from a deployment's Redis ledger
// (`--redis`); with `--kafka`, what the ledger has forgotten is read from `<namespace>.ended`.
import type { Command } from 'commander';
import type { ItemRecord } from '../../framework/item-ledger/index.ts';
import { parseBackendConfig, type RawBackendOptions } from '../config.ts';
import { findRecords, type FoundRecord } from '../item-records.ts';
import { loadDags } from './miner.ts';

const ms = (n: number): string => `${Math.round(n)} ms`;

function traceLines(r: ItemRecord, note?: string): string[] {
  const iso = (t: number) => new Date(t).toISOString();
  const perNode = new Map<string, number>();
  for (const e of r.events) if (e.tookMs !== undefined) perNode.set(e.node, (perNode.get(e.node) ?? 0) + e.tookMs);
  const event = (e: ItemRecord['events'][number]): string => {
    const status = `${e.status}${e.attempt ? ` (attempt ${e.attempt + 1})` : ''}`;
    const took = e.tookMs === undefined ? '-' : ms(e.tookMs);
    return `    ${`+${ms(e.atMs - r.createdMs)}`.padEnd(11)} ${e.node.padEnd(14)} ${status.padEnd(20)} ${took.padStart(9)}${e.code ? `  ${e.code}` : ''}${e.detail ? `: ${e.detail}` : ''}`;
  };
  return [
    `${r.dag} ${r.itemKey}`,
    `  state     ${r.state}${r.reason ? ` — ${r.reason}` : ''}${r.node ? ` (at ${r.node})` : ''}${note ? ` — ${note}` : ''}`,
    `  message   ${r.messageId}${r.parentId ? ` (child of ${r.parentId})` : ''}`,
    `  trace id  ${r.traceId ?? '-'}`,
    `  entered   ${iso(r.createdMs)}${r.endedMs ? `, ended ${iso(r.endedMs)} (${r.endedMs - r.createdMs} ms)` : ''}`,
    ...(r.events.length > 0 ? ['  history', `    ${'since entry'.padEnd(11)} ${'node'.padEnd(14)} ${'status'.padEnd(20)} ${'took'.padStart(9)}`, ...r.events.map(event)] : ['  history   none yet']),
    ...(perNode.size > 0 ? [`  per node  ${[...perNode].map(([node, t]) => `${node} ${ms(t)}`).join(', ')}`] : []),
  ];
}

export function formatTrace(r: ItemRecord): string {
  return traceLines(r).join('\n');
}

/** A record with the source that answered for it. */
export function formatFound(f: FoundRecord): string {
  const lines = traceLines(f.record, f.note);
  lines.splice(2, 0, `  source    ${f.source}`);
  return lines.join('\n');
}

/** The key as typed, and as a URL normalises it (`http://h` is keyed `http://h/`). */
export function keyVariants(key: string): string[] {
  try {
    const href = new URL(key).href;
    return href === key ? [key] : [key, href];
  } catch {
    return [key];
  }
}

export function registerTraceCommand(program: Command): void {
  program
    .command('trace')
    .description('why was this item (not) ingested: end state, reason, where it ended, trace id, node history with timings')
    .argument('<url-or-key>', 'the item key, e.g. a page or image URL')
    .option('--dag <name>', 'only this DAG (default: every DAG that knows the key)')
    .option('--dags <files...>', 'DAG files (default: the built-in ones)')
    .option('--data <dir>', 'data directory of the embedded runs, whose journals are read (default .quarry; env QUARRY_DATA_DIR)')
    .option('--redis <url>', 'Redis of the deployment, instead of the journals (env QUARRY_REDIS_URL)')
    .option('--kafka <brokers>', 'Kafka of the deployment: an item the ledger has forgotten is read from `<namespace>.ended` (env QUARRY_KAFKA_BROKERS)')
    .option('--namespace <ns>', 'deployment namespace', 'quarry')
    .option('--json', 'print the records as JSON, each with the source that answered')
    .action(async (key: string, opts: RawBackendOptions & { dag?: string; dags?: string[]; json?: boolean }) => {
      const config = parseBackendConfig(opts);
      const dags = opts.dag ? [opts.dag] : (await loadDags(opts.dags ?? [])).map((d) => d.name);
      const { found, searched } = await findRecords(config, dags, keyVariants(key));
      if (found.length === 0) throw new Error(`no item with key \`${key}\` in ${dags.join(', ')}: searched ${searched.join(', then ')}; it never entered, or its record expired`);
      process.stdout.write(`${opts.json ? JSON.stringify(found.map((f) => ({ ...f.record, source: f.source, ...(f.note ? { note: f.note } : {}) })), null, 2) : found.map(formatFound).join('\n\n')}\n`);
    });
}
