// Trace export for a process, configured the standard way: by the OTEL_* environment variables
// (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL,
// OTEL_TRACES_EXPORTER, OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER, OTEL_BSP_*),
// read by the OpenTelemetry Node SDK itself. Metrics stay on the Prometheus endpoint.
import { propagation } from '@opentelemetry/api';
import { core, NodeSDK } from '@opentelemetry/sdk-node';

export interface Tracing {
  /** Whether spans leave the process (an exporter is configured). */
  readonly exporting: boolean;
  /** Export what is still buffered, then stop. */
  shutdown(): Promise<void>;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Whether the environment asks for trace export. Unlike the SDK's own default (OTLP to
 * localhost:4318 always), a Quarry process exports only when told where to, so a laptop run
 * does not log connection errors for a collector nobody started.
 */
export function traceExportRequested(env: Env): boolean {
  if (/^true$/i.test(env.OTEL_SDK_DISABLED ?? '')) return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (exporters.includes('none')) return false;
  return exporters.length > 0 || Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/** The service name unless the environment names one (OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES). */
function fallbackServiceName(env: Env, name: string): string | undefined {
  if (env.OTEL_SERVICE_NAME) return undefined;
  if (/(^|,)\s*service\.name\s*=/.test(env.OTEL_RESOURCE_ATTRIBUTES ?? '')) return undefined;
  return name;
}

let running: Tracing | undefined;

/**
 * Start tracing for this process: registers the W3C trace-context (and baggage) propagator
 * always, so trace context passes through even when nothing is exported, and starts the SDK's
 * batch exporter when the environment configures one. Idempotent: a second call returns the first.
 *
 *   const tracing = startTracing({ serviceName: 'quarry-miner' });
 *   … await tracing.shutdown();
 */
export function startTracing(options: { serviceName: string }): Tracing {
  if (running) return running;
  // The SDK reads process.env itself; the decision reads the same.
  const env: Env = process.env;
  if (!traceExportRequested(env)) {
    if (!/none/.test(env.OTEL_PROPAGATORS ?? '')) {
      propagation.setGlobalPropagator(new core.CompositePropagator({ propagators: [new core.W3CTraceContextPropagator(), new core.W3CBaggagePropagator()] }));
    }
    const idle: Tracing = { exporting: false, shutdown: async () => {} };
    running = idle;
    return idle;
  }
  const serviceName = fallbackServiceName(env, options.serviceName);
  // Empty metric readers and log processors: metrics go to Prometheus, and no log is exported.
  const sdk = new NodeSDK({ ...(serviceName ? { serviceName } : {}), metricReaders: [], logRecordProcessors: [], instrumentations: [] });
  sdk.start();
  let stopped: Promise<void> | undefined;
  const started: Tracing = {
    exporting: true,
    shutdown: () =>
      (stopped ??= sdk.shutdown().catch((err: unknown) => {
        process.stderr.write(`quarry: trace export: ${(err as Error).message}\n`);
      })),
  };
  running = started;
  return started;
}
