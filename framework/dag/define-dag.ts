// The DAG API: a pipeline author builds a DAG by pure calls; building it runs nothing.
// Node ids are explicit and stable: they name topics, offsets and idempotency markers.

export type ResourceClass = 'cpu' | 'gpu';
export type PriorityClass = 'high' | 'normal' | 'low';

export interface RetryPolicy {
  /** Deliveries in all, the first included. */
  maxAttempts: number;
  /** First delay; doubles each attempt up to `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
}

interface NodeCommon {
  id: string;
  /** Predecessors; a node with several is a join (fires once when all are done). */
  after?: readonly string[];
  description?: string;
}

/** A node whose work is a remote operator call. */
export interface OperatorNodeSpec extends NodeCommon {
  kind?: 'operator';
  operator: string;
  reads: readonly string[];
  writes?: readonly string[];
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Concurrent operator calls per miner for this node. */
  concurrency?: number;
  resource?: ResourceClass;
  /** DAGs this node's operator may emit children into (fan-out). */
  fanOut?: readonly string[];
  /** Routing: the operator (by name) that answers the items this one declines. */
  fallback?: string;
  /** A share (0 < share ≤ 1, default 1) of the items also goes to this operator; its answers are compared, never used. */
  shadow?: { operator: string; share?: number };
  /** Tenant → operator name: a tenant's items are served by its own pool (e.g. `{ vip: 'ocr-vip' }`). */
  pools?: Readonly<Record<string, string>>;
}

/** A node that ends items that fail a predicate over fields, with a reason. */
export interface FilterNodeSpec extends NodeCommon {
  kind: 'filter';
  reads: readonly string[];
  /** Keep the item when it returns true. Runs in the miner: keep it pure and cheap. */
  keep: (fields: Readonly<Record<string, unknown>>) => boolean;
  reason: string;
}

/**
 * A deferred edge: the item continues in another DAG (typically gpu work), through the gate's
 * durable deferred store, so this DAG never blocks on it. `fields` are handed over as the
 * child's source record; blob fields hand over ownership of their blob.
 */
export interface DeferNodeSpec extends NodeCommon {
  kind: 'defer';
  dag: string;
  fields: readonly string[];
  priority?: PriorityClass;
  resource?: ResourceClass;
}

export type NodeSpec = OperatorNodeSpec | FilterNodeSpec | DeferNodeSpec;

export interface DagSpec {
  readonly name: string;
  readonly version: number;
  readonly description: string;
  /** The node every item starts at. */
  readonly entry: string;
  /** Fields of the source record, written to the tuple when an item enters. */
  readonly source: readonly string[];
  /** Fields that hold blob references (their bytes live in the blob store). */
  readonly blobs: readonly string[];
  /** Fields recorded with the item when it completes (the DAG's result). */
  readonly keep: readonly string[];
  readonly nodes: readonly NodeSpec[];
  readonly defaults: { timeoutMs: number; retry: RetryPolicy; concurrency: number };
}

export interface DagOptions {
  name: string;
  version?: number;
  description?: string;
  entry?: string;
  source?: readonly string[];
  blobs?: readonly string[];
  keep?: readonly string[];
  defaults?: Partial<{ timeoutMs: number; retry: Partial<RetryPolicy>; concurrency: number }>;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 4, backoffMs: 1_000, maxBackoffMs: 60_000 };

/**
 * Build a DAG. `nodes` run in the order of their `after` edges; the first node is the entry
 * unless `entry` names another.
 *
 *   export default defineDag({ name: 'greet', source: ['name'] }, [
 *     { id: 'hello', operator: 'hello', reads: ['name'], writes: ['greeting'] },
 *     { id: 'shout', operator: 'upper', after: ['hello'], reads: ['greeting'], writes: ['loud'] },
 *   ]);
 */
export function defineDag(options: DagOptions, nodes: readonly NodeSpec[]): DagSpec {
  const d = options.defaults ?? {};
  return deepFreeze({
    name: options.name,
    version: options.version ?? 1,
    description: options.description ?? '',
    entry: options.entry ?? nodes[0]?.id ?? '',
    source: [...(options.source ?? [])],
    blobs: [...(options.blobs ?? [])],
    keep: [...(options.keep ?? [])],
    nodes: nodes.map((n) => ({ ...n })),
    defaults: {
      timeoutMs: d.timeoutMs ?? 30_000,
      retry: { ...DEFAULT_RETRY, ...d.retry },
      concurrency: d.concurrency ?? 8,
    },
  });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) if (typeof v !== 'function') deepFreeze(v);
  }
  return value;
}
