// `quarry dlq list|replay`: read a DAG's dead letters, and re-inject them at the node they died at.
import type { Command } from 'commander';
import { createKafkaBus, type TriggerBus } from '../../framework/bus/index.ts';
import { compileDag } from '../../framework/dag/index.ts';
import { createIngress, type ItemSink } from '../../framework/miner/index.ts';
import { decodeDeadLetter, type DeadLetter } from '../../framework/wire/index.ts';
import { imageIngestionDags } from '../../dags/index.ts';
import { openBackends } from '../backends.ts';
import { parseBackendConfig } from '../config.ts';

export async function listDeadLetters(bus: TriggerBus, dag: string, options: { limit?: number; quarantine?: boolean } = {}): Promise<DeadLetter[]> {
  const topic = `quarry.${dag}.${options.quarantine ? 'quarantine' : 'dlq'}`;
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
    const [r] = await ingress.submit([{ dag: t.dag, itemKey: t.itemKey, source: t.source, priority: t.priority, tenant: t.tenant, traceparent: t.traceparent, parentId: t.messageId }]);
    if (r?.status === 'accepted') replayed += 1;
    else skipped += 1;
  }
  return { replayed, skipped };
}

export function registerDlqCommand(program: Command): void {
  const dlq = program.command('dlq').description('dead letters: list and replay');
  const brokers = () => (process.env.QUARRY_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
  dlq
    .command('list')
    .argument('<dag>', 'DAG name')
    .option('--quarantine', 'the quarantine topic instead')
    .option('--limit <n>', 'at most this many', '100')
    .action(async (dag: string, opts: { quarantine?: boolean; limit: string }) => {
      const bus = createKafkaBus({ brokers: brokers(), clientId: 'quarry-dlq' });
      try {
        for (const l of await listDeadLetters(bus, dag, { limit: Number(opts.limit), quarantine: opts.quarantine ?? false })) {
          process.stdout.write(`${JSON.stringify({ itemKey: l.trigger?.itemKey, node: l.node, attempts: l.attempts, errorCode: l.errorCode, lastError: l.lastError, traceId: l.traceId, at: new Date(Number(l.atMs)).toISOString(), quarantined: l.quarantined })}\n`);
        }
      } finally {
        await bus.close();
      }
    });
  dlq
    .command('replay')
    .argument('<dag>', 'DAG name')
    .option('--quarantine', 'replay quarantined messages (careful: they crashed operators)')
    .option('--redis <url>', 'Redis of the deployment (env QUARRY_REDIS_URL)')
    .action(async (dag: string, opts: { quarantine?: boolean; redis?: string }) => {
      const backends = openBackends(parseBackendConfig({ kafka: brokers().join(','), ...(opts.redis ? { redis: opts.redis } : {}) }), 'quarry-dlq');
      try {
        const plans = new Map(imageIngestionDags.map((d) => [d.name, compileDag(d)]));
        const ingress = createIngress({ plans, bus: backends.bus, sideCache: backends.sideCache, ledger: backends.ledger });
        const r = await replayDeadLetters(ingress, await listDeadLetters(backends.bus, dag, { quarantine: opts.quarantine ?? false }));
        process.stdout.write(`replayed ${r.replayed}, skipped ${r.skipped}\n`);
      } finally {
        await backends.close();
      }
    });
}
