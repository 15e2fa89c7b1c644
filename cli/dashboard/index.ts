/**
 * The SRE dashboard: per-DAG item states from the ledger, per-operator outcomes, latency,
 * timeouts, load and the bottleneck from the miners' Prometheus text, the gate's figures, and
 * item traces. `quarry top` shows the same node figures in a terminal.
 *
 *   const d = await startDashboard({ ledger, dags: ['page-ingest'], metricsUrls: ['http://127.0.0.1:9464/metrics'], port: 8080 });
 */
export { startDashboard, type Dashboard, type DashboardOptions } from './dashboard-server.ts';
export { createStateCollector, urlSource, type DashboardState, type MetricsSource, type NodeRow, type StateCollector } from './dashboard-state.ts';
export { parsePrometheusText, histogramQuantile } from './prometheus-text.ts';
export { formatTop } from './top-view.ts';
