/**
 * Telemetry: metrics through the OpenTelemetry API (`telemetry.opStatus(dag, node, 'OK')`) and a
 * Prometheus endpoint for a process (`await startMetricsServer({ port: 9464 })`), and trace export
 * configured by the OTEL_* environment (`startTracing({ serviceName: 'quarry-miner' })`).
 */
export { telemetry } from './metrics.ts';
export { startMetricsServer, type MetricsServer } from './prometheus.ts';
export { startTracing, traceExportRequested, type Tracing } from './tracing.ts';
