// System and business metrics, through the OpenTelemetry API: whoever composes the process
// decides where they go (Prometheus endpoint, OTLP, nowhere). Names follow Prometheus style.
// The API's meters do not follow a provider registered later, so the instruments are made on
// first use and made again whenever the global provider changes.
import { metrics, type Attributes, type MeterProvider } from '@opentelemetry/api';

function makeInstruments() {
  const meter = metrics.getMeter('quarry');
  return {
    opStatus: meter.createCounter('quarry_op_status', { description: 'Operator node outcomes by status (OK, FILTERED, RETRY, FAIL, TIMEOUT, DLQ, QUARANTINE, DUPLICATE, REDRIVE)' }),
    opLatency: meter.createHistogram('quarry_op_latency_ms', { description: 'Operator call latency', unit: 'ms' }),
    itemsEnded: meter.createCounter('quarry_items_ended', { description: 'Items that reached a terminal state, by state' }),
    ingestLatency: meter.createHistogram('quarry_ingest_latency_ms', { description: 'Source-to-terminal latency of completed items, by priority', unit: 'ms' }),
    submitted: meter.createCounter('quarry_items_submitted', { description: 'Items entering a DAG' }),
    triggerBytes: meter.createHistogram('quarry_trigger_bytes', { description: 'Encoded trigger message size per hop', unit: 'By' }),
    inFlight: meter.createUpDownCounter('quarry_node_in_flight', { description: 'Operator calls in flight per node' }),
  };
}

let provider: MeterProvider | undefined;
let instruments: ReturnType<typeof makeInstruments> | undefined;

function get(): ReturnType<typeof makeInstruments> {
  const current = metrics.getMeterProvider();
  if (!instruments || current !== provider) {
    provider = current;
    instruments = makeInstruments();
  }
  return instruments;
}

export const telemetry = {
  opStatus(dag: string, node: string, status: string): void {
    get().opStatus.add(1, { dag, node, status });
  },
  opLatency(dag: string, node: string, ms: number): void {
    get().opLatency.record(ms, { dag, node });
  },
  itemEnded(dag: string, state: string, priority: string, latencyMs: number): void {
    get().itemsEnded.add(1, { dag, state });
    if (state === 'completed') get().ingestLatency.record(latencyMs, { dag, priority });
  },
  submitted(dag: string, priority: string, n = 1): void {
    get().submitted.add(n, { dag, priority });
  },
  triggerBytes(dag: string, node: string, bytes: number): void {
    get().triggerBytes.record(bytes, { dag, node } satisfies Attributes);
  },
  inFlight(dag: string, node: string, delta: number): void {
    get().inFlight.add(delta, { dag, node });
  },
};
