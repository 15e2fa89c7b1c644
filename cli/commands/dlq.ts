// `quarry dlq list|replay`: read a DAG's dead letters, and replay them through the gate (from the
// failed node when the letter's fields can be rebuilt, else from the entry; see framework/miner/replay.ts).
import type { Command } from 'commander';
import { createKafkaBus, type TriggerBus } from '../../framework/bus/index.ts';
import { compileDag } from '../../framework/dag/index.ts';
import { replayLetters } from '../../framework/miner/index.ts';
import { decodeDeadLetter, type DeadLetter } from '../../framework/wire/index.ts';
import { openBackends } from '../backends.ts';
import { parseBackendConfig, type RawBackendOptions } from '../config.ts';
import { openGate } from '../gate.ts';
import { loadDags } from './miner.ts';

export async function listDeadLetters(bus: TriggerBus, namespace: string, dag: string, options: { limit?: number; quarantine?: boolean } = {}): Promise<DeadLetter[]> {
  const topic = `${namespace}.${dag}.${options.quarantine ? 'quarantine' : 'dlq'}`;
  return (await bus.read(topic, { limit: options.limit ?? 1000 })).map((m) => decodeDeadLetter(m.value));
}

interface DlqOptions extends RawBackendOptions {
  quarantine?: boolean;
  dryRun?: boolean;
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
  common(dlq.command('replay').description('replay dead letters through the gate: from the failed node when their fields can be rebuilt, else from the entry; a letter already replayed is not replayed again'))
    .option('--redis <url>', 'Redis of the deployment (env QUARRY_REDIS_URL)')
    .option('--dags <files...>', 'DAG files (default: the built-in ones)')
    .option('--dry-run', 'print what each letter would do; submit nothing')
    .action(async (dag: string, opts: DlqOptions) => {
      const config = parseBackendConfig(opts);
      if (config.kafkaBrokers.length === 0 || !config.redisUrl) throw new Error('dlq replay needs --kafka and --redis');
      const backends = openBackends(config, 'quarry-dlq');
      const gate = opts.dryRun ? undefined : await openGate(config, { consume: false });
      try {
        const plans = new Map((await loadDags(opts.dags ?? [])).map((d) => [d.name, compileDag(d, { namespace: config.namespace })]));
        const letters = await listDeadLetters(backends.bus, config.namespace, dag, { limit: Number(opts.limit), quarantine: opts.quarantine ?? false });
        const sink = gate?.admission ?? { submit: () => Promise.reject(new Error('a dry run submits nothing')) };
        const lines = await replayLetters(letters, { plans, blobs: backends.blobs, ledger: backends.ledger, sink }, { dryRun: opts.dryRun ?? false });
        for (const line of lines) process.stdout.write(`${JSON.stringify(line)}\n`);
        const count = (s: string) => lines.filter((l) => l.status === s).length;
        process.stderr.write(`${opts.dryRun ? 'would replay' : 'replayed'} ${count(opts.dryRun ? 'would-replay' : 'replayed')} (${lines.filter((l) => l.from === 'node' && (l.status === 'replayed' || l.status === 'would-replay')).length} from the failed node), already replayed ${count('already-replayed')}, refused ${count('refused')}, not replayable ${count('not-replayable')}\n`);
      } finally {
        await gate?.close();
        await backends.close();
      }
    });
}
