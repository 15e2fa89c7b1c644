import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { stopOnSignal } from '../stop-on-signal.ts';
import { compileDag } from '../../framework/dag/index.ts';
import { ConfigError } from '../../framework/errors/index.ts';
import { createIngress } from '../../framework/miner/index.ts';
import { startMetricsServer } from '../../framework/telemetry/index.ts';
import { openBackends } from '../backends.ts';
import { parseBackendConfig, parsePositiveInt, type RawBackendOptions } from '../config.ts';
import { gateStores, openGate } from '../gate.ts';
import { createRedisSignalBoard, runtimeSignals } from '../../framework/runtime/index.ts';
import { loadDags } from './miner.ts';
import {
  createKafkaBacklog, createLmdbBacklog, createLmdbDeferredStore, createRedisDeferredStore, defaultCapacity, defaultTraceOptions,
  diurnalTrace, formatSimulationReport, parseGateConfig, PRIORITIES, readTraceFile, runSimulation,
  type Backlog, type DeferredStore, type GateConfigInput,
} from '../../flow-control/index.ts';

const num = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new ConfigError([{ field: name, expected: 'a number', received: v }], 'gate command');
  return n;
};

/** `quarry gate simulate` (what-if replay on a fake clock), `quarry gate stats` and `quarry gate run`. */
export function registerGateCommand(program: Command): void {
  const gate = program.command('gate').description('the flow-control gate: priorities, backpressure, off-peak deferral');

  gate.command('simulate')
    .description('replay an arrival trace against a gate configuration and a capacity model, in simulated time')
    .option('--trace <file.jsonl>', 'recorded trace: one {atMs, priority, tenant, resource, count} per line')
    .option('--config <file.json>', 'gate configuration (JSON; see flow-control gateConfigSchema)')
    .option('--seed <n>', 'seed of the generated trace', num('seed'), defaultTraceOptions.seed)
    .option('--hours <n>', 'length of the generated trace', num('hours'), 24)
    .option('--mean-rate <n>', 'mean arrivals/s of the generated trace', num('mean-rate'), defaultTraceOptions.meanPerSec)
    .option('--swing <n>', 'daily swing: peak = mean × (1 + swing)', num('swing'), defaultTraceOptions.swing)
    .option('--bursts <n>', 'bursts from one tenant', num('bursts'), defaultTraceOptions.bursts)
    .option('--burst-factor <n>', 'arrival rate during a burst, × mean', num('burst-factor'), defaultTraceOptions.burstFactor)
    .option('--burst-minutes <n>', 'length of each burst', num('burst-minutes'), defaultTraceOptions.burstMs / 60_000)
    .option('--concurrency <n>', 'bottleneck servers', num('concurrency'), defaultCapacity.concurrency)
    .option('--service-ms <n>', 'bottleneck service time of a cpu item', num('service-ms'), defaultCapacity.serviceMs)
    .option('--gpu-cost <n>', 'a gpu item costs this many cpu items', num('gpu-cost'), defaultCapacity.gpuCost)
    .option('--window <cron>', 'off-peak window start (UTC cron), added to the configuration', '0 1 * * *')
    .option('--window-hours <n>', 'off-peak window length', num('window-hours'), 5)
    .option('--no-window', 'no schedule window: deferred work drains on spare capacity only')
    .option('--tick-ms <n>', 'gate tick and model step in simulated ms', num('tick-ms'), 1000)
    .option('--bucket-minutes <n>', 'utilization table resolution', num('bucket-minutes'), 60)
    .option('--start <iso>', 'simulated start time (UTC)', '2026-01-05T00:00:00Z')
    .option('--no-compare', 'skip the "gate off" run')
    .option('--json <file>', 'also write the raw results as JSON')
    .action(async (o: Record<string, unknown>) => {
      const raw: GateConfigInput = o.config ? JSON.parse(readFileSync(String(o.config), 'utf8')) as GateConfigInput : {};
      const cfg = parseGateConfig({
        ...raw, tickMs: raw.tickMs ?? (o.tickMs as number),
        deferral: { ...raw.deferral, windows: raw.deferral?.windows ?? (o.window ? [{ cron: String(o.window), durationMs: (o.windowHours as number) * 3_600_000 }] : []) },
      });
      const startMs = Date.parse(String(o.start));
      if (Number.isNaN(startMs)) throw new ConfigError([{ field: 'start', expected: 'an ISO date', received: o.start }], 'gate simulate');
      const traceOpts = { ...defaultTraceOptions, seed: o.seed as number, durationMs: (o.hours as number) * 3_600_000, meanPerSec: o.meanRate as number,
        swing: o.swing as number, bursts: o.bursts as number, burstFactor: o.burstFactor as number, burstMs: (o.burstMinutes as number) * 60_000 };
      const arrivals = () => (o.trace ? readTraceFile(String(o.trace)) : diurnalTrace(traceOpts));
      const capacity = { ...defaultCapacity, concurrency: o.concurrency as number, serviceMs: o.serviceMs as number, gpuCost: o.gpuCost as number };
      const common = { capacity, startMs, stepMs: o.tickMs as number, bucketMs: (o.bucketMinutes as number) * 60_000 };
      const on = await runSimulation({ ...common, arrivals: arrivals(), gate: cfg });
      const off = o.compare === false ? undefined : await runSimulation({ ...common, arrivals: arrivals(), gate: 'off' });
      const source = o.trace ? `trace ${String(o.trace)}` : `generated trace (seed ${traceOpts.seed}, ${o.hours} h, mean ${traceOpts.meanPerSec}/s, swing ±${traceOpts.swing * 100}%, ${traceOpts.bursts} bursts ×${traceOpts.burstFactor})`;
      const cap = `capacity ${capacity.concurrency} × ${capacity.serviceMs} ms (${((capacity.concurrency * 1000) / capacity.serviceMs).toFixed(1)} cpu items/s; gpu × ${capacity.gpuCost})`;
      process.stdout.write(`${formatSimulationReport(on, off, `Gate simulation — ${source}; ${cap}`)}\n`);
      if (o.json) writeFileSync(String(o.json), JSON.stringify({ config: cfg, trace: o.trace ?? traceOpts, capacity, gateOn: on, gateOff: off }, null, 2));
    });

  gate.command('stats')
    .description('backlog per class, deferred count and oldest waiting age, read from the durable stores')
    .option('--data <dir>', 'where embedded state lives (LMDB stores under <dir>/gate)', '.quarry')
    .option('--kafka <brokers>', 'Kafka brokers (comma-separated): read the Kafka backlog instead')
    .option('--redis <url>', 'Redis deferred store URL')
    .option('--namespace <ns>', 'deployment namespace (Kafka topics, Redis keys)', 'quarry')
    .option('--json', 'print JSON')
    .action(async (o: Record<string, string | boolean | undefined>) => {
      const ns = String(o.namespace);
      const backlog: Backlog = o.kafka
        ? await createKafkaBacklog({ brokers: String(o.kafka).split(','), ...gateStores.kafka(ns), inspectOnly: true })
        : createLmdbBacklog({ path: gateStores.lmdbBacklog(String(o.data)) });
      const deferred: DeferredStore = o.redis
        ? createRedisDeferredStore({ url: String(o.redis), name: ns })
        : createLmdbDeferredStore({ path: gateStores.lmdbDeferred(String(o.data)) });
      try {
        const now = Date.now();
        const rows = await Promise.all(PRIORITIES.map(async (p) => ({
          class: p, backlog: await backlog.size(p), deferred: await deferred.size(p),
          oldestDeferredAgeMs: await deferred.oldestAgeMs(p, now),
          ...(o.kafka ? {} : { oldestBacklogAgeMs: await backlog.oldestAgeMs(p, now) }),
        })));
        if (o.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        else for (const r of rows) process.stdout.write(`${r.class.padEnd(7)} backlog ${String(r.backlog).padStart(9)}  deferred ${String(r.deferred).padStart(9)}  oldest deferred ${(r.oldestDeferredAgeMs / 1000).toFixed(1)} s\n`);
      } finally {
        await backlog.close();
        await deferred.close();
      }
    });

  gate.command('run')
    .description('run the gate for a Kafka + Redis deployment: admit items from its durable backlogs into the DAGs')
    .argument('[dag-files...]', 'DAG files (default: the built-in image-ingestion DAGs)')
    .option('--kafka <brokers>', 'Kafka brokers (env QUARRY_KAFKA_BROKERS)')
    .option('--redis <url>', 'Redis URL (env QUARRY_REDIS_URL)')
    .option('--namespace <ns>', 'deployment namespace (Kafka topics, Redis keys)', 'quarry')
    .option('--config <file.json>', 'gate configuration (JSON; see flow-control gateConfigSchema)')
    .option('--metrics-port <port>', 'serve Prometheus metrics (quarry_gate_*) on this port')
    .action(async (files: string[], o: RawBackendOptions & { config?: string; metricsPort?: string }) => {
      const config = parseBackendConfig(o);
      if (config.kafkaBrokers.length === 0 || !config.redisUrl) throw new Error('`quarry gate run` needs --kafka and --redis (the embedded gate runs inside `quarry crawl` and `quarry run`)');
      const metrics = o.metricsPort ? await startMetricsServer({ port: parsePositiveInt('metrics-port', o.metricsPort, 9465) }) : undefined;
      const backends = openBackends(config, 'quarry-gate');
      const plans = new Map((await loadDags(files)).map((d) => [d.name, compileDag(d, { namespace: config.namespace })]));
      const ingress = createIngress({ plans, bus: backends.bus, ledger: backends.ledger, dedupeWindowMs: 3_600_000 });
      const gate = await openGate(config, { consume: true, ...(o.config ? { gate: JSON.parse(readFileSync(o.config, 'utf8')) as GateConfigInput } : {}) });
      // This process hosts no node: utilisation, capacity, RESOURCE_EXHAUSTED and timeouts are the miners', from the signal board.
      const board = createRedisSignalBoard({ redis: config.redisUrl, namespace: config.namespace });
      const signals = runtimeSignals({ plans, bus: backends.bus, ledger: backends.ledger, board, onError: (err) => process.stderr.write(`quarry gate: signal board: ${(err as Error).message}\n`) });
      await gate.admission.start({ ingress, signals });
      process.stdout.write(`${JSON.stringify({ gate: config.namespace, dags: [...plans.keys()], metrics: metrics?.url })}\n`);
      stopOnSignal(async () => {
        await gate.close();
        await board.close();
        await backends.close();
        await metrics?.close();
      });
    });
}
