// `quarry top`: which node limits throughput now, in a terminal that refreshes — per-node busy
// share, calls in flight, capacity, waiting triggers and their growth, outcomes and latency, read
// from the Prometheus endpoints of miners (or of `quarry crawl --dashboard`, at its /metrics).
import type { Command } from 'commander';
import { createStateCollector, formatTop, urlSource } from '../dashboard/index.ts';
import { parsePositiveInt } from '../config.ts';

export function registerTopCommand(program: Command): void {
  program
    .command('top')
    .description('per-node load and the bottleneck now, refreshed in the terminal, from miners\' Prometheus endpoints')
    .requiredOption('--metrics <urls>', 'Prometheus endpoints of miners, comma-separated (e.g. http://127.0.0.1:9464/metrics)')
    .option('--interval <seconds>', 'refresh every this many seconds', '2')
    .option('--iterations <n>', 'stop after this many screens (default: until Ctrl-C)')
    .action(async (opts: { metrics: string; interval: string; iterations?: string }) => {
      const urls = opts.metrics.split(',').filter(Boolean);
      const collector = createStateCollector({ dags: [], sources: urls.map(urlSource) });
      const everyMs = parsePositiveInt('interval', opts.interval, 2) * 1000;
      const limit = opts.iterations ? parsePositiveInt('iterations', opts.iterations, 1) : Infinity;
      const tty = process.stdout.isTTY;
      let stopped = false;
      const stop = () => {
        stopped = true;
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      for (let i = 0; i < limit && !stopped; i++) {
        const screen = formatTop(await collector.collect(), urls);
        // On a terminal, redraw in place; piped, print one screen after another.
        process.stdout.write(tty ? `\x1b[H\x1b[2J${screen}\n` : `${screen}\n\n`);
        if (i + 1 < limit) await new Promise((r) => setTimeout(r, everyMs));
      }
    });
}
