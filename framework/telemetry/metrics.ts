// System and business metrics, through the OpenTelemetry API: whoever composes the process
// decides where they go (Prometheus endpoint, OTLP, nowhere). Names follow Prometheus style.
// The API's meters do not follow a provider registered later, so the instruments are made on
// first use and made again whenever the global provider changes.
import { metrics, type Attributes, type MeterProvider } from '@opentelemetry/api';
import { nodeLoadNow, tally } from './node-tally.ts';

/**
 * How long an item may take from its source to completion before it counts as late, by priority.
 * Each is a bucket boundary of `quarry_ingest_latency_ms`, so PromQL can check it from the histogram too.
 */
export const LATENCY_TARGET_MS: Readonly<Record<string, number>> = { high: 60_000, normal: 600_000, low: 86_400_000 };

const OP_BUCKETS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 20_000, 30_000, 60_000];
const INGEST_BUCKETS_MS = [50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000];

function makeInstruments() {
  const meter = metrics.getMeter('quarry');
  const made = {
    opStatus: meter.createCounter('quarry_op_status', { description: 'Operator node outcomes by status (OK, FILTERED, RETRY, FAIL, TIMEOUT, DLQ, QUARANTINE, DUPLICATE, REDRIVE; STRANDED: a quiet item\'s trigger produced again)' }),
    opLatency: meter.createHistogram('quarry_op_latency_ms', { description: 'Operator call latency (its sum is the node\'s busy time)', unit: 'ms', advice: { explicitBucketBoundaries: OP_BUCKETS_MS } }),
    itemsEnded: meter.createCounter('quarry_items_ended', { description: 'Items that reached a terminal state, by state' }),
    ingestLatency: meter.createHistogram('quarry_ingest_latency_ms', { description: 'Source-to-terminal latency of completed items, by priority', unit: 'ms', advice: { explicitBucketBoundaries: INGEST_BUCKETS_MS } }),
    late: meter.createCounter('quarry_items_late', { description: 'Completed items that took longer than their priority\'s latency target (high 1 min, normal 10 min, low 24 h)' }),
    submitted: meter.createCounter('quarry_items_submitted', { description: 'Items entering a DAG' }),
    triggerBytes: meter.createHistogram('quarry_trigger_bytes', { description: 'Encoded trigger message size per hop', unit: 'By' }),
    inFlight: meter.createUpDownCounter('quarry_node_in_flight', { description: 'Operator calls in flight per node' }),
    shadowItems: meter.createCounter('quarry_shadow_items', { description: 'Items a node\'s shadow operator was asked about, by result (agree, disagree, failed, skipped)' }),
    shadowFields: meter.createCounter('quarry_shadow_fields', { description: 'Output fields of shadowed items, by whether the shadow\'s value agreed with the primary\'s (result agree or disagree)' }),
  };
  const capacity = meter.createObservableGauge('quarry_node_capacity', { description: 'Operator calls a node may have in flight at once in this process' });
  const lag = meter.createObservableGauge('quarry_node_lag', { description: 'Triggers waiting for a node (consumer lag of its group)' });
  const utilisation = meter.createObservableGauge('quarry_node_utilization', { description: 'Busy time ÷ capacity of a node over the last 15 s (0..1)' });
  const growth = meter.createObservableGauge('quarry_node_lag_growth_per_second', { description: 'Change of a node\'s consumer lag per second over the last 15 s' });
  const bottleneck = meter.createObservableGauge('quarry_bottleneck', { description: '1 for the node that limits throughput now (as this process sees it), 0 for the others' });
  meter.addBatchObservableCallback((r) => {
    const view = nodeLoadNow();
    for (const n of view.nodes) {
      const at = { dag: n.dag, node: n.node };
      r.observe(capacity, n.capacity, at);
      r.observe(lag, n.lag, at);
      if (n.utilisation !== undefined) r.observe(utilisation, n.utilisation, at);
      r.observe(growth, n.lagGrowthPerSec, at);
      r.observe(bottleneck, view.bottleneck?.dag === n.dag && view.bottleneck.node === n.node ? 1 : 0, at);
    }
  }, [capacity, lag, utilisation, growth, bottleneck]);
  return made;
}

let provider: MeterProvider | undefined;
let instruments: ReturnType<typeof makeInstruments> | undefined;

/** The instruments of the current global meter provider (made again when it changed). */
export function instrumentsNow(): ReturnType<typeof makeInstruments> {
  const current = metrics.getMeterProvider();
  if (!instruments || current !== provider) {
    provider = current;
    instruments = makeInstruments();
  }
  return instruments;
}
const get = instrumentsNow;

export const telemetry = {
  opStatus(dag: string, node: string, status: string): void {
    get().opStatus.add(1, { dag, node, status });
  },
  opLatency(dag: string, node: string, ms: number): void {
    get().opLatency.record(ms, { dag, node });
    tally.busy(dag, node, ms);
  },
  itemEnded(dag: string, state: string, priority: string, latencyMs: number): void {
    get().itemsEnded.add(1, { dag, state });
    if (state !== 'completed') return;
    get().ingestLatency.record(latencyMs, { dag, priority });
    // 0 for an item on time: the series exists from the first completion, so ratios are defined.
    get().late.add(latencyMs > (LATENCY_TARGET_MS[priority] ?? LATENCY_TARGET_MS.normal!) ? 1 : 0, { dag, priority });
  },
  submitted(dag: string, priority: string, n = 1): void {
    get().submitted.add(n, { dag, priority });
  },
  triggerBytes(dag: string, node: string, bytes: number): void {
    get().triggerBytes.record(bytes, { dag, node } satisfies Attributes);
  },
  /** One shadowed item: its result, and per output field whether the shadow agreed (when it answered OK). */
  shadowCompared(dag: string, node: string, shadow: string, result: 'agree' | 'disagree' | 'failed' | 'skipped', fields: Readonly<Record<string, boolean>> = {}, n = 1): void {
    const i = get();
    i.shadowItems.add(n, { dag, node, shadow, result });
    for (const [field, same] of Object.entries(fields)) i.shadowFields.add(n, { dag, node, shadow, field, result: same ? 'agree' : 'disagree' });
  },
  inFlight(dag: string, node: string, delta: number): void {
    get().inFlight.add(delta, { dag, node });
    tally.inFlight(dag, node, delta);
  },
};
