/**
 * Telemetry: metrics through the OpenTelemetry API (`telemetry.opStatus(dag, node, 'OK')`) and a
 * Prometheus endpoint for a process (`await startMetricsServer({ port: 9464 })`).
 */
export { telemetry } from './metrics.ts';
export { startMetricsServer, type MetricsServer } from './prometheus.ts';
