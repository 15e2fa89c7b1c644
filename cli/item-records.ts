// Where an item's record is read from, for `quarry trace` and `quarry relations refused`: the
// journals of the embedded runs in the data directory, or a deployment's Redis item ledger, and —
// for what the ledger has forgotten (Redis lost its data, or the retention passed) — the
// `<namespace>.ended` topic in Kafka, where miners publish every ended item's record.
import { createKafkaBus } from '../framework/bus/index.ts';
import { errorMessage } from '../framework/errors/index.ts';
import { createRedisItemLedger, readRunJournals, type ItemRecord, type JournalHit, type RunJournals } from '../framework/item-ledger/index.ts';
import { createRedisClient, redactRedisUrl } from '../framework/redis/index.ts';
import { journalDir } from './backends.ts';
import type { BackendConfig } from './config.ts';

export interface FoundRecord {
  record: ItemRecord;
  /** Which source answered. */
  source: string;
  /** What the source adds about the state (an interrupted run). */
  note?: string;
}

export const endedTopic = (namespace: string): string => `${namespace}.ended`;

export function describeRun(hit: JournalHit): Pick<FoundRecord, 'source' | 'note'> {
  const source = `journal ${hit.run.path} (the run started ${new Date(hit.run.startedMs).toISOString()}${hit.run.running ? ', still running' : ''})`;
  return hit.record.state === 'in-flight' && !hit.run.running ? { source, note: 'its run stopped before the item ended' } : { source };
}

/** Open the journals of the embedded runs, or say (as `searched`) why there are none. */
export function openJournals(config: BackendConfig): { journals?: RunJournals; searched: string } {
  const dir = journalDir(config.dataDir);
  try {
    const journals = readRunJournals(dir);
    return { journals, searched: `the journals of ${journals.runs.length} run(s) in ${dir}` };
  } catch (err) {
    if ((err as { code?: string }).code !== 'JOURNAL_MISSING') throw err;
    return { searched: `${(err as Error).message}` };
  }
}

/** The latest record of each (DAG, key) on the ended topic, for the pairs asked (all when `wanted` is omitted). */
export async function readEndedTopic(config: BackendConfig, wanted?: ReadonlySet<string>): Promise<Map<string, ItemRecord>> {
  const bus = createKafkaBus({ brokers: config.kafkaBrokers, clientId: 'quarry-records' });
  try {
    const latest = new Map<string, ItemRecord>();
    for (const m of await bus.read(endedTopic(config.namespace))) {
      if (wanted && !wanted.has(m.key)) continue;
      latest.set(m.key, JSON.parse(new TextDecoder().decode(m.value)) as ItemRecord);
    }
    return latest;
  } finally {
    await bus.close();
  }
}

/** The first of `keys` the Redis ledger knows, per DAG. A Redis that does not answer fails at once (no reconnecting). */
async function fromRedisLedger(url: string, namespace: string, dags: readonly string[], keys: readonly string[]): Promise<Map<string, ItemRecord>> {
  const redis = createRedisClient(url, { maxRetriesPerRequest: 1, noReconnect: true });
  redis.on('error', () => {}); // the lookup's own rejection says what went wrong
  const ledger = createRedisItemLedger({ redis, namespace });
  const found = new Map<string, ItemRecord>();
  try {
    for (const dag of dags) {
      for (const key of keys) {
        const record = await ledger.findByKey(dag, key);
        if (record) {
          found.set(dag, record);
          break;
        }
      }
    }
    return found;
  } finally {
    await ledger.close();
    redis.disconnect();
  }
}

/**
 * Every record of these keys (a URL as typed and as normalised) in these DAGs, one per DAG: from
 * the ledger or journal, else from the ended topic. `searched` says where it looked.
 */
export async function findRecords(config: BackendConfig, dags: readonly string[], keys: readonly string[]): Promise<{ found: FoundRecord[]; searched: string[] }> {
  const byDag = new Map<string, FoundRecord>();
  const searched: string[] = [];
  let unread = false;
  if (config.redisUrl) {
    const source = `item ledger redis(${redactRedisUrl(config.redisUrl)}), namespace ${config.namespace}`;
    try {
      for (const [dag, record] of await fromRedisLedger(config.redisUrl, config.namespace, dags, keys)) byDag.set(dag, { record, source });
      searched.push(`the ${source}`);
    } catch (err) {
      // Redis lost altogether: what ended is still on the ended topic, when there is one to read.
      const why = `the ${source} cannot be read: ${errorMessage(err)}`;
      if (config.kafkaBrokers.length === 0) throw new Error(`${why} (with --kafka, the records of ended items are read from \`${endedTopic(config.namespace)}\`)`, { cause: err });
      searched.push(why);
      unread = true;
    }
  } else {
    const { journals, searched: where } = openJournals(config);
    searched.push(where);
    try {
      for (const dag of dags) {
        const hit = keys.map((k) => journals?.findByKey(dag, k)).find((h) => h);
        if (hit) byDag.set(dag, { record: hit.record, ...describeRun(hit) });
      }
    } finally {
      await journals?.close();
    }
  }
  const missing = dags.filter((d) => !byDag.has(d));
  if (missing.length > 0 && config.kafkaBrokers.length > 0) {
    const topic = endedTopic(config.namespace);
    const wanted = new Set(missing.flatMap((d) => keys.map((k) => `${d}|${k}`)));
    const ended = await readEndedTopic(config, wanted);
    for (const dag of missing) {
      const record = keys.map((k) => ended.get(`${dag}|${k}`)).find((r) => r);
      if (record) byDag.set(dag, { record, source: `Kafka topic ${topic} on ${config.kafkaBrokers.join(',')} (${unread ? 'the ledger could not be read' : 'the ledger no longer knows the item'})` });
    }
    searched.push(`Kafka topic ${topic}`);
  }
  return { found: dags.flatMap((d) => (byDag.has(d) ? [byDag.get(d)!] : [])), searched };
}
