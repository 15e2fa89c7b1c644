// Put the flow-control gate in front of a runtime's ingress: entries, fan-out children and
// deferred edges all pass through it. Backlogs are durable (Kafka, or LMDB when embedded);
// deferred gpu work waits in Redis (or LMDB). Backpressure signals come from the runtime.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { ItemSink, NewItem, SubmitResult } from '../framework/miner/index.ts';
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

const EMPTY: AdmissionSignals = { lagByNode: {}, inFlight: 0, capacity: 0, resourceExhausted: 0, timeouts: 0, utilization: 0 };

export async function createGateWiring(options: { config: BackendConfig; gate?: GateConfigInput; signals: () => Promise<AdmissionSignals> }): Promise<GateWiring> {
  const { config } = options;
  const backlog: Backlog = config.kafkaBrokers.length > 0
    ? await createKafkaBacklog({ brokers: config.kafkaBrokers, topicPrefix: `quarry.gate.${config.namespace}`, groupId: `quarry.gate.${config.namespace}` })
    : createLmdbBacklog({ path: join(config.dataDir, 'gate-backlog') });
  const deferred: DeferredStore = config.redisUrl ? createRedisDeferredStore({ url: config.redisUrl, name: config.namespace }) : createLmdbDeferredStore({ path: join(config.dataDir, 'gate-deferred') });
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

/** Backpressure as the gate reads it, measured from a running runtime (cached briefly). */
export function runtimeSignals(getRuntime: () => EmbeddedRuntime | undefined, cacheMs = 250): () => Promise<AdmissionSignals> {
  let last = EMPTY;
  let at = 0;
  return async () => {
    const rt = getRuntime();
    if (!rt || Date.now() - at < cacheMs) return last;
    at = Date.now();
    const lagByNode: Record<string, number> = {};
    let inFlight = 0;
    let capacity = 0;
    let utilization = 0;
    for (const plan of rt.plans.values()) {
      inFlight += (await rt.ledger.counts(plan.name))['in-flight'];
      for (const node of plan.nodes) {
        const lag = await rt.bus.lag(`quarry.${plan.name}.${node.id}`, [node.topic]);
        lagByNode[`${plan.name}/${node.id}`] = lag.reduce((n, l) => n + l.lag, 0);
        const runner = rt.miner.runners().get(`${plan.name}/${node.id}`);
        if (runner && node.kind === 'operator') {
          capacity += node.concurrency;
          utilization = Math.max(utilization, runner.queue.pending / node.concurrency);
        }
      }
    }
    let resourceExhausted = 0;
    let timeouts = 0;
    for (const c of rt.clients.values()) {
      resourceExhausted += c.stats().resourceExhausted;
      timeouts += c.stats().timeouts;
    }
    last = { lagByNode, inFlight, capacity, resourceExhausted, timeouts, utilization: Math.min(1, utilization) };
    return last;
  };
}
