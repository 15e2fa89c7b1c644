// Everything the core benchmark knows about Quarry's API, in one place, so the bench follows the
// runtime's redesign by changing this file only (the peers' side stays untouched):
// * `startQuarry`: the core DAG on one backend, as a `PipelineTarget` for the closed loop;
// * `serveCoreOperators`: the DAG's no-op operators as a gRPC server (run in the operator process);
// * `openKafkaProducer`: Quarry's Kafka bus as a plain producer, for the fat-message baseline.
import { createEmbeddedBus, createKafkaBus, type BusMessage, type TriggerBus } from '../../framework/bus/index.ts';
import { createMemoryItemLedger, createRedisItemLedger, type ItemLedger } from '../../framework/item-ledger/index.ts';
import { serveOperators } from '../../framework/operator-sdk/index.ts';
import { startRuntime } from '../../framework/runtime/index.ts';
import { createMemorySideCache, createRedisSideCache, type SideCache } from '../../framework/side-cache/index.ts';
import type { PipelineTarget } from './closed-loop.ts';
import { coreDag, coreOperators } from './core-dag.ts';

export type QuarryBackend = 'embedded' | 'kafka-memory' | 'kafka-redis' | 'kafka-redis-chained';

export interface QuarryOptions {
  backend: QuarryBackend;
  redis: string;
  brokers: readonly string[];
  /** Unique per run: names the DAG (so topics and groups), the Redis namespaces and the Kafka client. */
  runId: string;
  concurrency: number;
  /** Operators served by another process (`host:port`); without them, served from this process. */
  endpoints?: readonly string[];
}

/** Figures only Quarry has, gathered since the last call. */
export interface QuarryFigures {
  /** Trigger messages produced to node topics, their encoded bytes and key bytes. */
  bus: { messages: number; valueBytes: number; keyBytes: number };
  sideCacheAfter: { bytes: number; tuples: number };
}

export interface QuarryPeer extends PipelineTarget {
  /** Resolves once no item is in flight (the work a phase left behind is part of its cost). */
  settle(): Promise<void>;
  figures(): Promise<QuarryFigures>;
  /** Topic prefixes this run created, to delete at the end. */
  topicPrefixes: string[];
  close(): Promise<void>;
}

export async function startQuarry(o: QuarryOptions): Promise<QuarryPeer> {
  // Short names, as a deployment's are (`image-ingest`, `quarry`): every Redis key and trigger carries them.
  const dag = `core-${o.runId.slice(-6)}-${{ embedded: 'em', 'kafka-memory': 'km', 'kafka-redis': 'kr', 'kafka-redis-chained': 'kc' }[o.backend]}`;
  const tally = { messages: 0, valueBytes: 0, keyBytes: 0 };
  const nodeTopics = new Set<string>();
  const bus = counted(o.backend === 'embedded' ? createEmbeddedBus() : createKafkaBus({ brokers: [...o.brokers], clientId: dag }), nodeTopics, tally);
  const redisState = o.backend === 'kafka-redis' || o.backend === 'kafka-redis-chained';
  const sideCache: SideCache = redisState ? createRedisSideCache({ redis: o.redis, namespace: dag }) : createMemorySideCache();
  // The ledger keeps its tuples in the side-cache of the same namespace (one Redis, one script per item).
  const ledger: ItemLedger = redisState ? createRedisItemLedger({ redis: o.redis, namespace: dag, retentionMs: 120_000 }) : createMemoryItemLedger({ sideCache });
  let terminal: (key: string, state: string) => void = () => {};
  const rt = await startRuntime({
    dags: [coreDag(dag, o.concurrency)],
    ...(o.endpoints ? { endpoints: o.endpoints } : { operators: coreOperators() }),
    bus, sideCache, ledger,
    ...(o.backend === 'kafka-redis-chained' ? { chain: true } : {}),
    onTerminal: (r) => terminal(r.itemKey, r.state),
  });
  for (const node of rt.plans.get(dag)!.nodes) nodeTopics.add(node.topic);
  return {
    topicPrefixes: o.backend === 'embedded' ? [] : [`quarry.${dag}.`],
    onTerminal: (fn) => {
      terminal = fn;
    },
    async submit(items) {
      const res = await rt.submit(items.map((it) => ({ dag, itemKey: it.key, source: { size: String(it.bytes) } })));
      const bad = res.filter((r) => r.status !== 'accepted');
      if (bad.length > 0) throw new Error(`Quarry refused ${bad.length} of ${items.length} item(s): ${JSON.stringify(bad[0])}`);
    },
    settle: () => rt.idle(60_000),
    async figures() {
      const s = await rt.sideCache.stats();
      const out = { bus: { ...tally }, sideCacheAfter: { bytes: s.bytes, tuples: s.tuples } };
      Object.assign(tally, { messages: 0, valueBytes: 0, keyBytes: 0 });
      return out;
    },
    async close() {
      await rt.close();
      await bus.close();
      await sideCache.close();
      await ledger.close();
    },
  };
}

export async function serveCoreOperators(capacity: number): Promise<{ address: string; close(): Promise<void> }> {
  return serveOperators(coreOperators(), { port: 0, capacity });
}

export interface PlainProducer {
  ensureTopics(topics: readonly string[]): Promise<void>;
  produce(topic: string, messages: readonly { key: string; value: Uint8Array }[]): Promise<void>;
  close(): Promise<void>;
}

export function openKafkaProducer(brokers: readonly string[], clientId: string): PlainProducer {
  return createKafkaBus({ brokers: [...brokers], clientId });
}

const enc = new TextEncoder();

/** The bus, counting what is produced once it is durable (a rejected, retried produce counts once). */
function counted(inner: TriggerBus, nodeTopics: ReadonlySet<string>, tally: QuarryFigures['bus']): TriggerBus {
  const count = (topic: string, messages: readonly BusMessage[]): void => {
    if (!nodeTopics.has(topic)) return;
    for (const m of messages) {
      tally.messages++;
      tally.valueBytes += m.value.length;
      tally.keyBytes += enc.encode(m.key).length + Object.entries(m.headers ?? {}).reduce((n, [k, v]) => n + enc.encode(k).length + enc.encode(v).length, 0);
    }
  };
  return {
    ensureTopics: (topics, partitions) => inner.ensureTopics(topics, partitions),
    subscribe: (options) => inner.subscribe(options),
    lag: (groupId, topics) => inner.lag(groupId, topics),
    read: (topic, options) => inner.read(topic, options),
    close: () => inner.close(),
    async produce(topic, messages) {
      await inner.produce(topic, messages);
      count(topic, messages);
    },
    async produceMany(batches) {
      await inner.produceMany(batches);
      for (const b of batches) count(b.topic, b.messages);
    },
  };
}
