// `quarry run`: the whole pipeline in one command on the embedded default. The built-in
// operators the DAGs name run as local gRPC child processes; others come from --operators.
import type { Command } from 'commander';
import { compileDag } from '../../framework/dag/index.ts';
import { startRuntime } from '../../framework/runtime/index.ts';
import { openBackends } from '../backends.ts';
import { endedTopic } from '../item-records.ts';
import { BUILT_IN_OPERATORS } from '../built-in-operators.ts';
import { addClientChannelFlags, clientSecurity, remoteSecurity, type ChannelFlags } from '../channel-flags.ts';
import { parseBackendConfig, parsePositiveInt, type RawBackendOptions } from '../config.ts';
import { openGate } from '../gate.ts';
import { spawnOperatorProcesses } from '../operator-processes.ts';
import { loadDags } from './miner.ts';
import { parseItems } from './submit.ts';

interface RunOptions extends RawBackendOptions, ChannelFlags {
  dag?: string;
  source?: string[];
  key?: string;
  items?: string;
  priority?: string;
  tenant?: string;
  operators?: string;
  allowPrivate?: string[];
  timeout?: string;
}

export function registerRunCommand(program: Command): void {
  const command = program
    .command('run')
    .description('run DAGs end to end in one command (embedded bus and state; operators as child processes)')
    .argument('[dag-files...]', 'DAG files (default: the built-in image-ingestion DAGs)')
    .option('--dag <name>', 'the DAG the items enter (default: the first DAG)')
    .option('--source <k=v...>', 'source record fields of one item')
    .option('--key <key>', 'the item key')
    .option('--items <file>', 'JSON lines of { itemKey?, source, priority?, tenant? }')
    .option('--priority <p>', 'high | normal | low', 'normal')
    .option('--tenant <t>', 'tenant', 'default')
    .option('--operators <endpoints>', 'extra operator services, host:port,…')
    .option('--allow-private <cidr...>', 'private ranges the spiders may reach')
    .option('--timeout <seconds>', 'give up waiting after this long', '600')
    .option('--data <dir>', 'where embedded state lives', '.quarry');
  // Towards --operators; the operator processes `run` starts are reached in plaintext on loopback.
  addClientChannelFlags(command)
    .action(async (files: string[], opts: RunOptions) => {
      const config = parseBackendConfig(opts);
      const security = clientSecurity(opts);
      const dags = await loadDags(files);
      const entry = opts.dag ?? dags[0]!.name;
      const items = parseItems(entry, opts);
      const needed = [...new Set(dags.flatMap((d) => compileDag(d).nodes.map((n) => n.operator)))].filter((n) => (BUILT_IN_OPERATORS as readonly string[]).includes(n));
      const procs = needed.length > 0 ? await spawnOperatorProcesses([needed], ['--relations', config.relations, '--index', config.index, ...(opts.allowPrivate?.length ? ['--allow-private', ...opts.allowPrivate] : [])]) : undefined;
      const backends = openBackends(config, 'quarry-run');
      try {
        const gate = await openGate(config, { consume: true });
        const rt = await startRuntime({
          dags,
          endpoints: [...(procs?.endpoints ?? []), ...(opts.operators ? opts.operators.split(',') : [])],
          ...backends,
          namespace: config.namespace,
          ...(config.kafkaBrokers.length > 0 ? { endedTopic: endedTopic(config.namespace) } : {}),
          admission: gate.admission,
          operatorSecurity: remoteSecurity(security, procs?.endpoints ?? []),
        });
        try {
          const submitted = await rt.submit(items);
          for (const r of submitted) if (r.status !== 'accepted') process.stderr.write(`${JSON.stringify(r)}\n`);
          await rt.idle(parsePositiveInt('timeout', opts.timeout, 600) * 1000);
          for (const r of rt.terminal) process.stdout.write(`${JSON.stringify({ dag: r.dag, itemKey: r.itemKey, state: r.state, ...(r.reason ? { reason: r.reason } : {}), ...(r.kept ? { kept: r.kept } : {}) })}\n`);
        } finally {
          await rt.close();
          await gate.close();
        }
      } finally {
        await backends.close();
        await procs?.close();
      }
    });
}
