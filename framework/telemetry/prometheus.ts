// One Prometheus endpoint per process, via the OpenTelemetry SDK's exporter.
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { metrics } from '@opentelemetry/api';

export interface MetricsServer {
  readonly url: string;
  /** The current exposition text (what a scrape returns). */
  scrape(): Promise<string>;
  close(): Promise<void>;
}

export async function startMetricsServer(options: { host?: string; port: number }): Promise<MetricsServer> {
  const host = options.host ?? '127.0.0.1';
  const exporter = new PrometheusExporter({ host, port: options.port, preventServerStart: false });
  await exporter.startServer();
  const provider = new MeterProvider({ readers: [exporter] });
  metrics.setGlobalMeterProvider(provider);
  const url = `http://${host}:${options.port}/metrics`;
  return {
    url,
    async scrape() {
      const res = await fetch(url);
      return res.text();
    },
    async close() {
      await provider.shutdown();
    },
  };
}
