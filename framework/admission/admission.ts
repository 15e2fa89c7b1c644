// The admission port: how items enter the DAGs. The runtime owns the ingress (which opens an
// item and produces its entry trigger); whatever stands in front of it — the flow-control gate,
// or nothing — implements `Admission`. The runtime hands it the ingress and its backpressure
// signals when it starts, and sends every new item (sources, fan-out children, deferred edges)
// through it. No component binds these late: the runtime passes values.

export type Priority = 'high' | 'normal' | 'low';
export const PRIORITIES: readonly Priority[] = ['high', 'normal', 'low'];
export type ResourceClass = 'cpu' | 'gpu';

/** An item that wants to enter a DAG. Adding an attribute to items touches this type only. */
export interface NewItem {
  dag: string;
  itemKey: string;
  source: Record<string, string>;
  priority?: Priority;
  tenant?: string;
  resource?: ResourceClass;
  traceparent?: string;
  parentId?: string;
  /** Fixed message id (admitted by a gate, re-driven, replayed); created at the source when absent. */
  messageId?: string;
  /** The item's first message id when this is a replay (its effects' idempotency key). */
  originId?: string;
  deadlineMs?: number;
  /** When the item first reached the system (its ingest latency starts here). */
  enqueuedMs?: number;
  /** Start at this node with these tuple fields (base64) instead of at the entry: a dead letter's replay. */
  resume?: Resume;
}

export interface Resume {
  node: string;
  fields: Record<string, string>;
}

export type SubmitResult =
  | { itemKey: string; messageId: string; status: 'accepted' | 'duplicate' }
  | { itemKey: string; status: 'rejected'; reason: string; retryAfterMs?: number };

/** Anything that takes new items: the ingress itself, or the gate in front of it. */
export interface ItemSink {
  submit(items: readonly NewItem[]): Promise<SubmitResult[]>;
}

/** Backpressure figures the runtime reports; an admission policy reads them. */
export interface AdmissionSignals {
  /** Consumer lag (items waiting) per `dag/node`. */
  lagByNode: Record<string, number>;
  /** Items admitted into the DAGs and not yet ended. */
  inFlight: number;
  /** Items the DAGs can work on at once (sum of operator node concurrency), 0 if unknown. */
  capacity: number;
  /** Items each operator node (`dag/node`) works on at once, over every miner that hosts it. */
  capacityByNode?: Record<string, number>;
  /** Items the miners hold for each node now (being worked on): they count in its lag until their batch is committed. */
  inHandByNode?: Record<string, number>;
  /** Cumulative RESOURCE_EXHAUSTED answers from operators (a counter). */
  resourceExhausted: number;
  /** Cumulative operator timeouts (a counter). */
  timeouts: number;
  /** Utilisation of the busiest operator node, 0..1. */
  utilization: number;
}

export const NO_SIGNALS: AdmissionSignals = { lagByNode: {}, inFlight: 0, capacity: 0, resourceExhausted: 0, timeouts: 0, utilization: 0 };

/** What the runtime gives an admission when it starts. */
export interface AdmissionTarget {
  /** Opens admitted items (durably: when it resolves, they are in their DAG). */
  ingress: ItemSink;
  signals(): Promise<AdmissionSignals>;
}

/** The port the flow-control gate implements. */
export interface Admission extends ItemSink {
  start(target: AdmissionTarget): Promise<void>;
  /** Items accepted and not yet admitted (so a runtime knows it is not idle). */
  pending(): Promise<number>;
  stop(): Promise<void>;
}

/** No gate: every item is admitted at once. */
export function admitAll(): Admission {
  let target: AdmissionTarget | undefined;
  return {
    async start(t) {
      target = t;
    },
    async submit(items) {
      if (!target) throw new Error('admission used before the runtime started it');
      return target.ingress.submit(items);
    },
    pending: async () => 0,
    async stop() {},
  };
}
