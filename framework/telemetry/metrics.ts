// System and business metrics, through the OpenTelemetry API: whoever composes the process
// decides where they go (Prometheus endpoint, OTLP, nowhere). Names follow Prometheus style.
import { metrics, type Attributes } from '@opentelemetry/api';

const meter = metrics.getMeter('quarry');

const opStatus = meter.createCounter('quarry_op_status', { description: 'Operator node outcomes by status (OK, FILTERED, RETRY, FAIL, TIMEOUT, DLQ, QUARANTINE, DUPLICATE)' });
const opLatency = meter.createHistogram('quarry_op_latency_ms', { description: 'Operator call latency', unit: 'ms' });
const itemsEnded = meter.createCounter('quarry_items_ended', { description: 'Items that reached a terminal state, by state' });
const ingestLatency = meter.createHistogram('quarry_ingest_latency_ms', { description: 'Source-to-terminal latency of items, by priority', unit: 'ms' });
const submitted = meter.createCounter('quarry_items_submitted', { description: 'Items entering a DAG' });
const triggerBytes = meter.createHistogram('quarry_trigger_bytes', { description: 'Encoded trigger message size per hop', unit: 'By' });
const inFlightGauge = meter.createUpDownCounter('quarry_node_in_flight', { description: 'Operator calls in flight per node' });

export const telemetry = {
  opStatus(dag: string, node: string, status: string): void {
    opStatus.add(1, { dag, node, status });
  },
  opLatency(dag: string, node: string, ms: number): void {
    opLatency.record(ms, { dag, node });
  },
  itemEnded(dag: string, state: string, priority: string, latencyMs: number): void {
    itemsEnded.add(1, { dag, state });
    if (state === 'completed') ingestLatency.record(latencyMs, { dag, priority });
  },
  submitted(dag: string, priority: string, n = 1): void {
    submitted.add(n, { dag, priority });
  },
  triggerBytes(dag: string, node: string, bytes: number): void {
    triggerBytes.record(bytes, { dag, node } satisfies Attributes);
  },
  inFlight(dag: string, node: string, delta: number): void {
    inFlightGauge.add(delta, { dag, node });
  },
};
