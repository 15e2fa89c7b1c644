// `quarry dashboard`: the live operations page for SREs.
import type { Command } from 'commander';
import { startDashboard } from '../dashboard/index.ts';
import { openBackends } from '../backends.ts';
import { parseBackendConfig, parsePositiveInt, type RawBackendOptions } from '../config.ts';
import { loadDags } from './miner.ts';
import { stopOnSignal } from '../stop-on-signal.ts';

export function registerDashboardCommand(program: Command): void {
  program
    .command('dashboard')
    .description('serve the live operations page: items per DAG, operators per node, the gate, item traces')
    .option('--metrics <urls>', 'Prometheus endpoints of miners and gates, comma-separated', '')
    .option('--redis <url>', 'Redis of the deployment (env QUARRY_REDIS_URL)')
    .option('--namespace <ns>', 'deployment namespace', 'quarry')
    .option('--dags <files...>', 'DAG files (default: the built-in ones)')
    .option('--port <port>', 'port to serve on', '8080')
    .action(async (opts: RawBackendOptions & { metrics: string; dags?: string[]; port: string }) => {
      const config = parseBackendConfig(opts);
      if (!config.redisUrl) throw new Error('the dashboard reads the item ledger: it needs --redis (or QUARRY_REDIS_URL)');
      const backends = openBackends({ ...config, kafkaBrokers: [] }, 'quarry-dashboard');
      const dags = (await loadDags(opts.dags ?? [])).map((d) => d.name);
      const d = await startDashboard({ ledger: backends.ledger, dags, metricsUrls: opts.metrics.split(',').filter(Boolean), port: parsePositiveInt('port', opts.port, 8080) });
      process.stdout.write(`${JSON.stringify({ dashboard: d.url })}\n`);
      stopOnSignal(async () => {
        await d.close();
        await backends.close();
      });
    });
}
