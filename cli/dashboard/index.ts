/**
 * The SRE dashboard: per-DAG item states from the ledger, per-operator outcomes, latency and
 * timeouts from the miners' Prometheus endpoints, the gate's figures, and item traces.
 *
 *   const d = await startDashboard({ ledger, dags: ['page-ingest'], metricsUrls: ['http://127.0.0.1:9464/metrics'], port: 8080 });
 */
export { startDashboard, type Dashboard, type DashboardOptions } from './dashboard-server.ts';
export { collectDashboardState, type DashboardState, type NodeRow } from './dashboard-state.ts';
export { parsePrometheusText, histogramQuantile } from './prometheus-text.ts';
