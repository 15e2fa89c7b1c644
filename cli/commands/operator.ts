// `quarry operator <name…>`: serve built-in operators as a gRPC service, over TLS (mTLS) with a
// bearer token when given them.
import type { Command } from 'commander';
import { serveOperators } from '../../framework/operator-sdk/index.ts';
import { serverCredentials } from '../../framework/wire/index.ts';
import { BUILT_IN_OPERATORS, createBuiltInOperators } from '../built-in-operators.ts';
import { addServerChannelFlags, serverSecurity, type ChannelFlags } from '../channel-flags.ts';
import { parseBackendConfig, parsePositiveInt } from '../config.ts';
import { exitWithParent, stopOnSignal } from '../stop-on-signal.ts';

interface OperatorCliOptions extends ChannelFlags {
  port: string;
  host: string;
  capacity?: string;
  allowPrivate?: string[];
  relations?: string;
  index?: string;
  data: string;
  parentPid?: string;
  hostConcurrency?: string;
  hostDelay?: string;
  hostLimits?: string;
  fetchBudget?: string;
}

export function registerOperatorCommand(program: Command): void {
  const command = program
    .command('operator')
    .description(`serve built-in operators over gRPC (${BUILT_IN_OPERATORS.join(', ')})`)
    .argument('<names...>', 'operators to serve')
    .option('--port <port>', 'port (0 = any free one)', '0')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--capacity <n>', 'items in flight (over all calls) before RESOURCE_EXHAUSTED; batches offered are at most this big (default 256)')
    .option('--allow-private <cidr...>', 'private ranges the spiders may reach')
    .option('--relations <store>', 'relation store for the relation writers')
    .option('--index <store>', 'index store for the index builder')
    .option('--data <dir>', 'where embedded state lives', '.quarry')
    .option('--host-concurrency <n>', 'spiders: requests in flight to one host at once (default 2)')
    .option('--host-delay <ms>', 'spiders: least time between requests to one host without a Crawl-delay (default 1000)')
    .option('--host-limits <redis-url>', 'spiders: keep the per-host limits in this Redis, shared with every spider process given it (default: per process)')
    .option('--fetch-budget <ms>', 'spiders: the longest one page or image may take to arrive (default 15000)')
    .option('--parent-pid <pid>', 'exit when this process is gone (set by `quarry run` and `crawl --isolate`)');
  addServerChannelFlags(command)
    .action(async (names: string[], opts: OperatorCliOptions) => {
      const security = serverSecurity(opts);
      serverCredentials(security); // a bad certificate file fails before the operators load
      const unknown = names.filter((n) => !(BUILT_IN_OPERATORS as readonly string[]).includes(n));
      if (unknown.length > 0) throw new Error(`unknown operator(s) ${unknown.join(', ')}; built-in: ${BUILT_IN_OPERATORS.join(', ')}`);
      const config = parseBackendConfig(opts);
      const politeness = {
        ...(opts.hostConcurrency !== undefined ? { hostConcurrency: Math.max(1, parsePositiveInt('host-concurrency', opts.hostConcurrency, 2)) } : {}),
        ...(opts.hostDelay !== undefined ? { hostDelayMs: parsePositiveInt('host-delay', opts.hostDelay, 1_000) } : {}),
      };
      const fetchBudget = opts.fetchBudget === undefined ? {} : { fetchBudgetMs: Math.max(1, parsePositiveInt('fetch-budget', opts.fetchBudget, 15_000)) };
      // A relation writer started while Cassandra is down backs off instead of failing to start.
      const built = await createBuiltInOperators({ relations: config.relations, index: config.index, allowPrivate: opts.allowPrivate ?? [], politeness, ...fetchBudget, ...(opts.hostLimits !== undefined ? { hostLimits: opts.hostLimits } : {}), lazyRelations: true }, names);
      const capacity = opts.capacity === undefined ? {} : { capacity: parsePositiveInt('capacity', opts.capacity, 256) };
      const server = await serveOperators(built.operators, { host: opts.host, port: parsePositiveInt('port', opts.port, 0), ...capacity, ...security }).catch(async (err: unknown) => {
        await built.close();
        throw err;
      });
      process.stdout.write(`${JSON.stringify({ listening: server.address, operators: names, tls: server.tls, token: Boolean(security.token) })}\n`);
      const close = async () => {
        await server.close();
        await built.close();
      };
      stopOnSignal(close);
      if (opts.parentPid) exitWithParent(parsePositiveInt('parent-pid', opts.parentPid, 0), close);
    });
}
