// One Prometheus registry per process, via the OpenTelemetry SDK's exporter: served on its own
// port (`startMetricsServer`), or mounted by another server of the process (`startMetrics().handle`).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { metrics } from '@opentelemetry/api';
import { instrumentsNow } from './metrics.ts';

export interface Metrics {
  /** The current exposition text (what a scrape returns), read in process. */
  scrape(): Promise<string>;
  /** Answer an HTTP request with the exposition text (mount it at /metrics). */
  handle(req: IncomingMessage, res: ServerResponse): void;
  close(): Promise<void>;
}

export interface MetricsServer extends Metrics {
  readonly url: string;
}

/** Make this process's metrics readable: registers the global meter provider (replacing one before). */
export function startMetrics(): Metrics {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({ readers: [exporter] });
  metrics.disable();
  metrics.setGlobalMeterProvider(provider);
  // Make the instruments (and the observed node gauges) on the new provider now, not on first use.
  instrumentsNow();
  const serializer = new PrometheusSerializer();
  return {
    async scrape() {
      const { resourceMetrics } = await exporter.collect();
      return serializer.serialize(resourceMetrics);
    },
    handle: (req, res) => exporter.getMetricsRequestHandler(req, res),
    close: () => provider.shutdown(),
  };
}

/** `port: 0` takes any free port; `url` says which. */
export async function startMetricsServer(options: { host?: string; port: number }): Promise<MetricsServer> {
  const host = options.host ?? '127.0.0.1';
  const m = startMetrics();
  const server = createServer((req, res) => {
    if (new URL(req.url ?? '/', 'http://x').pathname === '/metrics') m.handle(req, res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    ...m,
    url: `http://${host}:${port}/metrics`,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await m.close();
    },
  };
}
