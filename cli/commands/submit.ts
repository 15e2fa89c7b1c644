// `quarry submit`: put items into a DAG (Kafka + Redis deployment).
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { compileDag } from '../../framework/dag/index.ts';
import { ConfigError } from '../../framework/errors/index.ts';
import type { NewItem } from '../../framework/admission/index.ts';
import { assignMessageId, createIngress } from '../../framework/miner/index.ts';
import { openBackends } from '../backends.ts';
import { parseBackendConfig, type RawBackendOptions } from '../config.ts';
import { openGate } from '../gate.ts';
import { loadDags } from './miner.ts';

const PRIORITIES = ['high', 'normal', 'low'] as const;

/** Parse `--source k=v` pairs and JSON lines of `{ itemKey?, source, priority?, tenant? }`. */
export function parseItems(dag: string, opts: { source?: string[]; key?: string; items?: string; priority?: string; tenant?: string }): NewItem[] {
  const problems = [];
  const priority = (opts.priority ?? 'normal') as NewItem['priority'];
  if (!PRIORITIES.includes(priority as (typeof PRIORITIES)[number])) problems.push({ field: 'priority', expected: 'high, normal or low', received: opts.priority });
  const items: NewItem[] = [];
  if (opts.source?.length) {
    const source: Record<string, string> = {};
    for (const kv of opts.source) {
      const i = kv.indexOf('=');
      if (i <= 0) problems.push({ field: 'source', expected: 'key=value', received: kv });
      else source[kv.slice(0, i)] = kv.slice(i + 1);
    }
    items.push({ dag, itemKey: opts.key ?? Object.values(source)[0] ?? '', source, priority, tenant: opts.tenant ?? 'default' });
  }
  if (opts.items) {
    readFileSync(opts.items, 'utf8').split(/\r?\n/).forEach((line, n) => {
      if (!line.trim()) return;
      try {
        const o = JSON.parse(line) as { itemKey?: string; source: Record<string, string>; priority?: NewItem['priority']; tenant?: string };
        if (!o.source || typeof o.source !== 'object') throw new Error('no `source` object');
        items.push({ dag, itemKey: o.itemKey ?? Object.values(o.source)[0] ?? '', source: o.source, priority: o.priority ?? priority, tenant: o.tenant ?? opts.tenant ?? 'default' });
      } catch (err) {
        problems.push({ field: `items line ${n + 1}`, expected: 'a JSON object with a `source` object', received: (err as Error).message });
      }
    });
  }
  if (items.length === 0 && problems.length === 0) problems.push({ field: 'source', expected: 'at least one item (--source k=v or --items file.jsonl)', received: undefined });
  if (problems.length > 0) throw new ConfigError(problems, 'submit options');
  return items;
}

export function registerSubmitCommand(program: Command): void {
  program
    .command('submit')
    .description('submit items to a DAG on Kafka + Redis')
    .argument('<dag>', 'DAG name')
    .option('--source <k=v...>', 'source record fields of one item')
    .option('--key <key>', 'the item key (default: the first source value)')
    .option('--items <file>', 'JSON lines of { itemKey?, source, priority?, tenant? }')
    .option('--priority <p>', 'high | normal | low', 'normal')
    .option('--tenant <t>', 'tenant', 'default')
    .option('--dags <files...>', 'DAG files (default: the built-in ones)')
    .option('--kafka <brokers>', 'Kafka brokers (env QUARRY_KAFKA_BROKERS)')
    .option('--redis <url>', 'Redis URL (env QUARRY_REDIS_URL)')
    .option('--namespace <ns>', 'Redis key namespace', 'quarry')
    .option('--gate', 'enter through the gate (its durable backlogs; run `quarry gate run`)')
    .action(async (dag: string, opts: RawBackendOptions & { source?: string[]; key?: string; items?: string; priority?: string; tenant?: string; dags?: string[]; gate?: boolean }) => {
      const items = parseItems(dag, opts);
      const config = parseBackendConfig(opts);
      if (config.kafkaBrokers.length === 0 || !config.redisUrl) throw new Error('submit needs --kafka and --redis (for the embedded default use `quarry run`)');
      const backends = openBackends(config, 'quarry-submit');
      try {
        const plans = new Map((await loadDags(opts.dags ?? [])).map((d) => [d.name, compileDag(d, { namespace: config.namespace })]));
        if (!plans.has(dag)) throw new ConfigError([{ field: 'dag', expected: `one of ${[...plans.keys()].join(', ')}`, received: dag }], 'submit options');
        const gate = opts.gate ? await openGate(config, { consume: false }) : undefined;
        const withIds = items.map((i) => assignMessageId(i, Date.now(), 0));
        const res = await (gate?.admission ?? createIngress({ plans, bus: backends.bus, ledger: backends.ledger })).submit(withIds);
        await gate?.close();
        for (const r of res) process.stdout.write(`${JSON.stringify(r)}\n`);
        // The gate's intake is full: nothing was written, and the caller is told when to come back (EX_TEMPFAIL).
        const later = res.find((r) => r.status === 'rejected' && r.retryAfterMs !== undefined);
        if (later && later.status === 'rejected') {
          process.stderr.write(`quarry submit: ${later.reason}; nothing was submitted, retry in ${Math.ceil((later.retryAfterMs ?? 0) / 1000)} s\n`);
          process.exitCode = 75;
        }
      } finally {
        await backends.close();
      }
    });
}
