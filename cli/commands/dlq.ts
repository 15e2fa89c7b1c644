// `quarry dlq list|replay`: read a DAG's dead letters, and re-inject them as new items.
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { createKafkaBus, type TriggerBus } from '../../framework/bus/index.ts';
import { compileDag } from '../../framework/dag/index.ts';
import type { ItemSink } from '../../framework/admission/index.ts';
import { createIngress } from '../../framework/miner/index.ts';
import { decodeDeadLetter, type DeadLetter } from '../../framework/wire/index.ts';
import { openBackends } from '../backends.ts';
import { parseBackendConfig, type RawBackendOptions } from '../config.ts';
import { loadDags } from './miner.ts';

export async function listDeadLetters(bus: TriggerBus, namespace: string, dag: string, options: { limit?: number; quarantine?: boolean } = {}): Promise<DeadLetter[]> {
  const topic = `${namespace}.${dag}.${options.quarantine ? 'quarantine' : 'dlq'}`;
  return (await bus.read(topic, { limit: options.limit ?? 1000 })).map((m) => decodeDeadLetter(m.value));
}

/**
 * Re-inject dead letters: each becomes a new item from its source record (the dead one keeps its
 * recorded end; the new one names it as parent). Undecodable letters cannot be replayed.
 */
export async function replayDeadLetters(ingress: ItemSink, letters: readonly DeadLetter[]): Promise<{ replayed: number; skipped: number }> {
  let replayed = 0;
  let skipped = 0;
  for (const l of letters) {
    if (!l.trigger) {
      skipped += 1;
      continue;
    }
    const t = l.trigger;
    // A fresh id: the dead item's key may still be within the ingress's dedupe window.
    const [r] = await ingress.submit([{ dag: t.dag, itemKey: t.itemKey, source: t.source, priority: t.priority, tenant: t.tenant, traceparent: t.traceparent, parentId: t.messageId, messageId: randomUUID() }]);
    if (r?.status === 'accepted') replayed += 1;
    else skipped += 1;
  }
  return { replayed, skipped };
}

interface DlqOptions extends RawBackendOptions {
  quarantine?: boolean;
  limit: string;
  dags?: string[];
}

export function registerDlqCommand(program: Command): void {
  const dlq = program.command('dlq').description('dead letters: list and replay');
  const common = (c: Command) =>
    c
      .argument('<dag>', 'DAG name')
      .option('--quarantine', 'the quarantine topic instead of the dead-letter topic')
      .option('--limit <n>', 'at most this many', '1000')
      .option('--kafka <brokers>', 'Kafka brokers (env QUARRY_KAFKA_BROKERS)')
      .option('--namespace <ns>', 'deployment namespace (topic prefix, Redis keys)', 'quarry');
  common(dlq.command('list').description('print dead letters as JSON lines: node, attempts, error code, last error, trace id')).action(async (dag: string, opts: DlqOptions) => {
    const config = parseBackendConfig(opts);
    if (config.kafkaBrokers.length === 0) throw new Error('dlq list needs --kafka (or QUARRY_KAFKA_BROKERS)');
    const bus = createKafkaBus({ brokers: config.kafkaBrokers, clientId: 'quarry-dlq' });
    try {
      for (const l of await listDeadLetters(bus, config.namespace, dag, { limit: Number(opts.limit), quarantine: opts.quarantine ?? false })) {
        process.stdout.write(`${JSON.stringify({ itemKey: l.trigger?.itemKey, node: l.node, attempts: l.attempts, errorCode: l.errorCode, lastError: l.lastError, traceId: l.traceId, at: new Date(Number(l.atMs)).toISOString(), quarantined: l.quarantined })}\n`);
      }
    } finally {
      await bus.close();
    }
  });
  common(dlq.command('replay').description('re-inject dead letters as new items from their source records'))
    .option('--redis <url>', 'Redis of the deployment (env QUARRY_REDIS_URL)')
    .option('--dags <files...>', 'DAG files (default: the built-in ones)')
    .action(async (dag: string, opts: DlqOptions) => {
      const config = parseBackendConfig(opts);
      if (config.kafkaBrokers.length === 0 || !config.redisUrl) throw new Error('dlq replay needs --kafka and --redis');
      const backends = openBackends(config, 'quarry-dlq');
      try {
        const plans = new Map((await loadDags(opts.dags ?? [])).map((d) => [d.name, compileDag(d, { namespace: config.namespace })]));
        const ingress = createIngress({ plans, bus: backends.bus, ledger: backends.ledger });
        const r = await replayDeadLetters(ingress, await listDeadLetters(backends.bus, config.namespace, dag, { limit: Number(opts.limit), quarantine: opts.quarantine ?? false }));
        process.stdout.write(`replayed ${r.replayed}, skipped ${r.skipped}\n`);
      } finally {
        await backends.close();
      }
    });
}
