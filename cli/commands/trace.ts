// `quarry trace <key>`: why was this item (not) ingested? Its end state and reason, where it
// ended, its trace id, and the history of every node it went through.
import type { Command } from 'commander';
import type { ItemRecord } from '../../framework/item-ledger/index.ts';
import { openBackends } from '../backends.ts';
import { parseBackendConfig, type RawBackendOptions } from '../config.ts';
import { loadDags } from './miner.ts';

export function formatTrace(r: ItemRecord): string {
  const iso = (ms: number) => new Date(ms).toISOString();
  const lines = [
    `${r.dag} ${r.itemKey}`,
    `  state     ${r.state}${r.reason ? ` — ${r.reason}` : ''}${r.node ? ` (at ${r.node})` : ''}`,
    `  message   ${r.messageId}${r.parentId ? ` (child of ${r.parentId})` : ''}`,
    `  trace id  ${r.traceId ?? '-'}`,
    `  entered   ${iso(r.createdMs)}${r.endedMs ? `, ended ${iso(r.endedMs)} (${r.endedMs - r.createdMs} ms)` : ''}`,
    ...r.events.map((e) => `    ${iso(e.atMs)}  ${e.node.padEnd(12)} ${e.status}${e.attempt ? ` (attempt ${e.attempt + 1})` : ''}${e.code ? ` ${e.code}` : ''}${e.detail ? `: ${e.detail}` : ''}`),
  ];
  return lines.join('\n');
}

export function registerTraceCommand(program: Command): void {
  program
    .command('trace')
    .description('why was this item (not) ingested: end state, reason, node history, trace id')
    .argument('<item-key>', 'the item key, e.g. a page or image URL')
    .option('--dag <name>', 'only this DAG (default: every DAG that knows the key)')
    .option('--dags <files...>', 'DAG files (default: the built-in ones)')
    .option('--redis <url>', 'Redis of the deployment (env QUARRY_REDIS_URL)')
    .option('--namespace <ns>', 'deployment namespace', 'quarry')
    .option('--json', 'print the records as JSON')
    .action(async (key: string, opts: RawBackendOptions & { dag?: string; dags?: string[]; json?: boolean }) => {
      const config = parseBackendConfig(opts);
      if (!config.redisUrl) throw new Error('trace reads the item ledger: it needs --redis (or QUARRY_REDIS_URL)');
      const backends = openBackends({ ...config, kafkaBrokers: [] }, 'quarry-trace');
      try {
        const dags = opts.dag ? [opts.dag] : (await loadDags(opts.dags ?? [])).map((d) => d.name);
        const found = (await Promise.all(dags.map((d) => backends.ledger.findByKey(d, key)))).filter((r): r is ItemRecord => r !== null);
        if (found.length === 0) throw new Error(`no item with key \`${key}\` in ${dags.join(', ')} (namespace ${config.namespace}); it never entered, or its record expired`);
        process.stdout.write(`${opts.json ? JSON.stringify(found, null, 2) : found.map(formatTrace).join('\n\n')}\n`);
      } finally {
        await backends.close();
      }
    });
}
