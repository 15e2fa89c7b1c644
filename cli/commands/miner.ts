// `quarry miner`: host DAG nodes against Kafka + Redis, calling operators at the given endpoints.
// Start more miners with the same nodes to share the work; kill one and the others take over.
import type { Command } from 'commander';
import { compileDag, dagOperators, loadDagFile, operatorUses, type DagSpec } from '../../framework/dag/index.ts';
import { DEFAULT_STRANDED_AFTER_MS, createIngress, createMiner } from '../../framework/miner/index.ts';
import { createRedisSignalBoard, discoverOperators, startSignalPublisher } from '../../framework/runtime/index.ts';
import { startMetricsServer } from '../../framework/telemetry/index.ts';
import { imageIngestionDags } from '../../dags/index.ts';
import { openBackends } from '../backends.ts';
import { addClientChannelFlags, clientSecurity, type ChannelFlags } from '../channel-flags.ts';
import { endedTopic } from '../item-records.ts';
import { parseBackendConfig, parsePositiveInt, type RawBackendOptions } from '../config.ts';
import { openGate } from '../gate.ts';
import { observeHostedNodes } from '../node-load.ts';
import { stopOnSignal } from '../stop-on-signal.ts';

export async function loadDags(files: readonly string[]): Promise<DagSpec[]> {
  return files.length > 0 ? Promise.all(files.map(loadDagFile)) : [...imageIngestionDags];
}

interface MinerCliOptions extends RawBackendOptions, ChannelFlags {
  operators: string;
  nodes?: string;
  id?: string;
  metricsPort?: string;
  dedupeWindow?: string;
  partitions?: string;
  strandedAfter?: string;
  gate?: boolean;
  chain?: boolean;
}

export function registerMinerCommand(program: Command): void {
  const command = program
    .command('miner')
    .description('run a miner: host DAG nodes, consuming triggers from Kafka, state in Redis')
    .argument('[dag-files...]', 'DAG files (default: the built-in image-ingestion DAGs)')
    .requiredOption('--operators <endpoints>', 'operator services, host:port,… (each Describes what it serves)')
    .option('--nodes <list>', 'only these nodes, as dag/node,… (default: every node)')
    .option('--kafka <brokers>', 'Kafka brokers (env QUARRY_KAFKA_BROKERS)')
    .option('--redis <url>', 'Redis URL (env QUARRY_REDIS_URL)')
    .option('--namespace <ns>', 'Redis key namespace', 'quarry')
    .option('--id <id>', 'miner id (leases, logs)')
    .option('--metrics-port <port>', 'serve Prometheus metrics on this port')
    .option('--dedupe-window <seconds>', 'skip child items whose key was seen this recently', '3600')
    .option('--partitions <n>', 'partitions of node topics created by this miner', '4')
    .option('--stranded-after <seconds>', 'produce again the triggers of items quiet this long whose open tokens nobody holds (0: never)', String(DEFAULT_STRANDED_AFTER_MS / 1000))
    .option('--chain', 'hand each successor trigger to its node in this process when it hosts it, instead of through Kafka')
    .option('--gate', 'send fan-out children and deferred edges through the gate (run `quarry gate run`)');
  addClientChannelFlags(command)
    .action(async (files: string[], opts: MinerCliOptions) => {
      const config = parseBackendConfig(opts);
      const security = clientSecurity(opts);
      if (config.kafkaBrokers.length === 0 || !config.redisUrl) throw new Error('a miner process needs --kafka and --redis (the embedded default is `quarry run`)');
      const metrics = opts.metricsPort ? await startMetricsServer({ port: parsePositiveInt('metrics-port', opts.metricsPort, 9464) }) : undefined;
      const backends = openBackends(config, opts.id ?? 'quarry-miner');
      const only = opts.nodes?.split(',');
      const specs = await loadDags(files);
      // Start once one instance of every operator the hosted nodes run (routing included) answers; the rest join later.
      const hosted = specs.map((d) => ({ ...d, nodes: d.nodes.filter((n) => !only || only.includes(`${d.name}/${n.id}`)) }));
      const required = [...new Set(hosted.flatMap(dagOperators))];
      const directory = await discoverOperators({ endpoints: opts.operators.split(','), required, requiredBy: operatorUses(hosted), security });
      const plans = new Map(specs.map((d) => [d.name, compileDag(d, { operators: directory.descriptions, namespace: config.namespace })]));
      const hosts = [...plans.values()]
        .map((plan) => ({ plan, nodes: only ? only.filter((n) => n.startsWith(`${plan.name}/`)).map((n) => n.slice(plan.name.length + 1)) : undefined }))
        .filter((h) => !h.nodes || h.nodes.length > 0);
      const dedupeWindowMs = parsePositiveInt('dedupe-window', opts.dedupeWindow, 3600) * 1000;
      const ingress = createIngress({ plans, bus: backends.bus, ledger: backends.ledger, dedupeWindowMs });
      const gate = opts.gate ? await openGate(config, { consume: false }) : undefined;
      const miner = createMiner({
        hosts, operators: (n) => directory.echo(n), descriptions: directory.descriptions, bus: backends.bus, blobs: backends.blobs, ledger: backends.ledger, sideCache: backends.sideCache,
        admission: gate?.admission ?? ingress, ingress, now: Date.now, dedupeWindowMs, blobTtlMs: 24 * 3600_000, endedTopic: endedTopic(config.namespace),
        partitions: parsePositiveInt('partitions', opts.partitions, 4), shadowLog: backends.shadowLog, ...(opts.id ? { minerId: opts.id } : {}),
        strandedAfterMs: parsePositiveInt('stranded-after', opts.strandedAfter, DEFAULT_STRANDED_AFTER_MS / 1000) * 1000,
        ...(opts.chain ? { chain: true } : {}),
      });
      await miner.start();
      // This miner's load, where every `quarry gate run` reads it (its deferral and window react to it).
      const board = createRedisSignalBoard({ redis: config.redisUrl, namespace: config.namespace });
      const signals = startSignalPublisher({ board, minerId: miner.id, plans, bus: backends.bus, runners: () => miner.runners(), clients: () => directory.clients(),
        onError: (err) => process.stderr.write(`quarry miner: signal board: ${(err as Error).message}\n`) });
      // Per-node load and the bottleneck on the metrics endpoint (quarry_node_lag — the lag just published —, quarry_node_utilization, quarry_bottleneck …).
      const stopObserving = metrics ? observeHostedNodes(plans.values(), backends.bus, (dag, node) => hosts.some((h) => h.plan.name === dag && (!h.nodes || h.nodes.includes(node))), (key) => signals.lagByNode().get(key)) : undefined;
      process.stdout.write(`${JSON.stringify({ miner: miner.id, hosting: hosts.map((h) => `${h.plan.name}/${h.nodes?.join('+') ?? '*'}`), metrics: metrics?.url })}\n`);
      stopOnSignal(async () => {
        stopObserving?.();
        await signals.stop();
        await board.close();
        await miner.stop();
        await gate?.close();
        directory.close();
        await backends.close();
        await metrics?.close();
      });
    });
}
