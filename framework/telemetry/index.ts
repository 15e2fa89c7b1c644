/**
 * Telemetry: metrics through the OpenTelemetry API (`telemetry.opStatus(dag, node, 'OK')`), a
 * Prometheus endpoint for a process (`await startMetricsServer({ port: 9464 })`), per-node load
 * and the bottleneck (`observeNodes(figures)`, `findBottleneck(loads)`), and trace export
 * configured by the OTEL_* environment (`startTracing({ serviceName: 'quarry-miner' })`).
 */
export { telemetry, LATENCY_TARGET_MS } from './metrics.ts';
export { startMetrics, startMetricsServer, type Metrics, type MetricsServer } from './prometheus.ts';
export { observeNodes, nodeLoadNow, callsInFlight, type NodeFigures } from './node-tally.ts';
export { findBottleneck, SATURATED, type Bottleneck, type NodeLoad } from './bottleneck.ts';
export { createLoadWindow, loadsBetween, type NodeCounters } from './load.ts';
export { startTracing, traceExportRequested, type Tracing } from './tracing.ts';
