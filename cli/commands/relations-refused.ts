// `quarry relations refused`: every URL the crawl refused or dead-lettered, with its full reason,
// one JSON line each — the latest end of each URL, from the journals of the embedded runs in
// `--data` (default .quarry), or from a deployment's `<namespace>.ended` topic (`--kafka`).
// Ends that are the crawl working as meant (a page unchanged since its last crawl, a link to a
// content already known) are not refusals, as in the crawl's summary.
import type { Command } from 'commander';
import type { ItemRecord } from '../../framework/item-ledger/index.ts';
import { parseBackendConfig, type RawBackendOptions } from '../config.ts';
import { endedTopic, openJournals, readEndedTopic } from '../item-records.ts';

const INTENDED = /^(known-content|unchanged)$/;

export interface Refusal {
  dag: string;
  url: string;
  state: string;
  node?: string;
  reason: string;
  endedMs?: number;
}

export function refusalOf(r: ItemRecord): Refusal | undefined {
  if (r.state === 'completed' || r.state === 'in-flight') return undefined;
  const reason = r.reason ?? r.state;
  if (INTENDED.test(reason)) return undefined;
  return { dag: r.dag, url: r.itemKey, state: r.state, ...(r.node ? { node: r.node } : {}), reason, ...(r.endedMs ? { endedMs: r.endedMs } : {}) };
}

async function latestRecords(config: ReturnType<typeof parseBackendConfig>): Promise<ItemRecord[]> {
  if (config.kafkaBrokers.length > 0) return [...(await readEndedTopic(config)).values()];
  const { journals, searched } = openJournals(config);
  if (!journals) throw Object.assign(new Error(searched), { code: 'JOURNAL_MISSING' });
  try {
    return [...journals.latest()].map((h) => h.record);
  } finally {
    await journals.close();
  }
}

export function registerRefusedCommand(relations: Command): void {
  relations.command('refused')
    .description('the refused and dead-lettered URLs with their full reasons, one JSON line each (from the embedded runs\' journals, or a deployment\'s ended topic with --kafka)')
    .option('--data <dir>', 'data directory of the embedded runs (default .quarry; env QUARRY_DATA_DIR)')
    .option('--kafka <brokers>', `read a deployment's \`<namespace>.ended\` topic (e.g. ${endedTopic('quarry')}) instead of the journals`)
    .option('--namespace <ns>', 'deployment namespace', 'quarry')
    .option('--dag <name>', 'only this DAG')
    .action(async (opts: Pick<RawBackendOptions, 'data' | 'kafka' | 'namespace'> & { dag?: string }) => {
      const config = parseBackendConfig({ ...opts, redis: '' });
      const refused = (await latestRecords(config)).filter((r) => !opts.dag || r.dag === opts.dag).map(refusalOf).filter((r): r is Refusal => r !== undefined);
      refused.sort((a, b) => a.dag.localeCompare(b.dag) || a.url.localeCompare(b.url));
      for (const r of refused) process.stdout.write(`${JSON.stringify(r)}\n`);
    });
}
