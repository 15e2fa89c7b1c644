// Put the flow-control gate in front of a runtime's ingress: entries, fan-out children and
// deferred edges all pass through it. Backlogs are durable (Kafka, or LMDB when embedded);
// deferred gpu work waits in Redis (or LMDB). Backpressure signals come from the runtime.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { TriggerBus } from '../framework/bus/index.ts';
import type { DagPlan } from '../framework/dag/index.ts';
import type { ItemLedger } from '../framework/item-ledger/index.ts';
import { nodeGroup, type ItemSink, type NewItem, type SubmitResult } from '../framework/miner/index.ts';
import type { OperatorClient } from '../framework/operator-client/index.ts';
import type { EmbeddedRuntime } from '../framework/runtime/index.ts';
import {
  createGate, createGatePolicy, createKafkaBacklog, createLmdbBacklog, createLmdbDeferredStore, createRedisDeferredStore,
  type AdmissionSignals, type Backlog, type DeferredStore, type Gate, type GateConfigInput, type GateItem,
} from '../flow-control/index.ts';
import type { BackendConfig } from './config.ts';

export interface GateWiring {
  gate: Gate;
  /** Wrap an ingress: what goes in waits in the gate's backlogs until admitted. */
  attach(ingress: ItemSink): ItemSink;
  /** Items accepted by the gate and not yet admitted (this process's view). */
  pending(): number;
  close(): Promise<void>;
}

/** Where the gate's durable stores live, shared by the gate, its clients and `quarry gate stats`. */
export const gateStores = {
  lmdbBacklog: (dataDir: string) => join(dataDir, 'gate', 'backlog'),
  lmdbDeferred: (dataDir: string) => join(dataDir, 'gate', 'deferred'),
  kafka: (namespace: string) => ({ topicPrefix: `quarry.gate.${namespace}`, groupId: `quarry.gate.${namespace}` }),
};

const EMPTY: AdmissionSignals = { lagByNode: {}, inFlight: 0, capacity: 0, resourceExhausted: 0, timeouts: 0, utilization: 0 };

export async function createGateWiring(options: { config: BackendConfig; gate?: GateConfigInput; signals: () => Promise<AdmissionSignals> }): Promise<GateWiring> {
  const { config } = options;
  const backlog: Backlog = config.kafkaBrokers.length > 0
    ? await createKafkaBacklog({ brokers: config.kafkaBrokers, ...gateStores.kafka(config.namespace) })
    : createLmdbBacklog({ path: gateStores.lmdbBacklog(config.dataDir) });
  const deferred: DeferredStore = config.redisUrl ? createRedisDeferredStore({ url: config.redisUrl, name: config.namespace }) : createLmdbDeferredStore({ path: gateStores.lmdbDeferred(config.dataDir) });
  let ingress: ItemSink | undefined;
  let accepted = 0;
  let admitted = 0;
  const gate = createGate({
    backlog,
    deferred,
    policy: createGatePolicy(options.gate ?? {}),
    signals: options.signals,
    async admit(items: GateItem[]) {
      if (!ingress) throw new Error('the gate admitted items before an ingress was attached');
      const results = await ingress.submit(items.map(toNewItem));
      for (const r of results) if (r.status === 'rejected') process.stderr.write(`quarry gate: ${r.itemKey} rejected at the ingress: ${r.reason}\n`);
      admitted += items.length;
    },
    onError: (err) => process.stderr.write(`quarry gate: ${(err as Error).message}\n`),
  });
  return {
    gate,
    pending: () => accepted - admitted,
    attach(target) {
      ingress = target;
      return {
        async submit(items: readonly NewItem[]): Promise<SubmitResult[]> {
          const res = await gate.submit(items.map((i) => ({ ...toGateItem(i), id: i.messageId ?? randomUUID() })));
          if ('rejected' in res) return items.map((i) => ({ itemKey: i.itemKey, status: 'rejected' as const, reason: 'gate: try later', retryAfterMs: res.retryAfterMs }));
          accepted += items.length;
          return items.map((i) => ({ itemKey: i.itemKey, messageId: '', status: 'accepted' as const }));
        },
      };
    },
    async close() {
      await gate.stop();
      await backlog.close();
      await deferred.close();
    },
  };
}

function toGateItem(i: NewItem): Omit<GateItem, 'id' | 'enqueuedMs'> {
  return {
    dag: i.dag, itemKey: i.itemKey, priority: i.priority ?? 'normal', tenant: i.tenant ?? 'default', resource: i.resource ?? 'cpu', source: i.source,
    ...(i.traceparent ? { traceparent: i.traceparent } : {}), ...(i.parentId ? { parentId: i.parentId } : {}),
  };
}

function toNewItem(g: GateItem): NewItem {
  return {
    dag: g.dag, itemKey: g.itemKey, source: g.source, priority: g.priority, tenant: g.tenant, resource: g.resource,
    ...(g.traceparent ? { traceparent: g.traceparent } : {}), ...(g.parentId ? { parentId: g.parentId } : {}),
  };
}

export interface SignalSources {
  plans: ReadonlyMap<string, DagPlan>;
  bus: TriggerBus;
  ledger: ItemLedger;
  /** The local miner's node runners, when the gate runs beside a miner. */
  runners?: () => ReadonlyMap<string, { queue: { pending: number } }>;
  clients?: () => ReadonlyMap<string, OperatorClient>;
}

/**
 * Backpressure as the gate reads it: consumer lag per node and items in flight (from the bus and
 * the ledger, so a gate process sees every miner), plus operator saturation, RESOURCE_EXHAUSTED
 * answers and timeouts where a miner runs in this process. Cached briefly.
 */
export function collectSignals(get: () => SignalSources | undefined, cacheMs = 250): () => Promise<AdmissionSignals> {
  let last = EMPTY;
  let at = 0;
  return async () => {
    const src = get();
    if (!src || Date.now() - at < cacheMs) return last;
    at = Date.now();
    const lagByNode: Record<string, number> = {};
    let inFlight = 0;
    let capacity = 0;
    let utilization = 0;
    const runners = src.runners?.();
    for (const plan of src.plans.values()) {
      inFlight += (await src.ledger.counts(plan.name))['in-flight'];
      for (const node of plan.nodes) {
        const lag = await src.bus.lag(nodeGroup(node.topic), [node.topic]);
        lagByNode[`${plan.name}/${node.id}`] = lag.reduce((n, l) => n + l.lag, 0);
        if (node.kind !== 'operator') continue;
        capacity += node.concurrency;
        const runner = runners?.get(`${plan.name}/${node.id}`);
        if (runner) utilization = Math.max(utilization, runner.queue.pending / node.concurrency);
      }
    }
    let resourceExhausted = 0;
    let timeouts = 0;
    for (const c of src.clients?.().values() ?? []) {
      resourceExhausted += c.stats().resourceExhausted;
      timeouts += c.stats().timeouts;
    }
    last = { lagByNode, inFlight, capacity, resourceExhausted, timeouts, utilization: Math.min(1, utilization) };
    return last;
  };
}

export function runtimeSignals(getRuntime: () => EmbeddedRuntime | undefined): () => Promise<AdmissionSignals> {
  return collectSignals(() => {
    const rt = getRuntime();
    return rt && { plans: rt.plans, bus: rt.bus, ledger: rt.ledger, runners: () => rt.miner.runners(), clients: () => rt.clients };
  });
}

/**
 * For processes that only put items in (miners emitting children, `quarry submit`) while a
 * `quarry gate run` process admits them: items go straight to the gate's durable stores.
 */
export async function createGateClient(config: BackendConfig, options: { deferClasses?: readonly string[] } = {}): Promise<ItemSink & { close(): Promise<void> }> {
  if (config.kafkaBrokers.length === 0 || !config.redisUrl) throw new Error('a gate client needs --kafka and --redis (for the gate backlogs and deferred store)');
  const backlog = await createKafkaBacklog({ brokers: config.kafkaBrokers, ...gateStores.kafka(config.namespace), inspectOnly: true });
  const deferred = createRedisDeferredStore({ url: config.redisUrl, name: config.namespace });
  const deferClasses = new Set(options.deferClasses ?? ['low']);
  return {
    async submit(items) {
      const now = Date.now();
      const gateItems = items.map((i) => ({ ...toGateItem(i), id: i.messageId ?? randomUUID(), enqueuedMs: now }));
      const later = gateItems.filter((g) => g.resource === 'gpu' && deferClasses.has(g.priority));
      const rest = gateItems.filter((g) => !later.includes(g));
      if (rest.length > 0) await backlog.push(rest);
      if (later.length > 0) await deferred.put(later);
      return items.map((i) => ({ itemKey: i.itemKey, messageId: '', status: 'accepted' as const }));
    },
    async close() {
      await backlog.close();
      await deferred.close();
    },
  };
}
