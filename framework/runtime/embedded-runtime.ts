// Run DAGs end to end in one process on the embedded adapters (or any adapters passed in), with
// operators over real gRPC: served on loopback from this process, or remote endpoints. It is the
// embedded default of `quarry run` and the test kit's `startEmbeddedRuntime`.
import { setTimeout as sleep } from 'node:timers/promises';
import { createMemoryBlobStore, type BlobStore } from '../blob-store/index.ts';
import { createEmbeddedBus, type TriggerBus } from '../bus/index.ts';
import { compileDag, type DagPlan, type DagSpec } from '../dag/index.ts';
import { createMemoryItemLedger, type ItemLedger, type ItemRecord } from '../item-ledger/index.ts';
import { createIngress, createMiner, type ItemSink, type Miner, type NewItem } from '../miner/index.ts';
import type { OperatorClient } from '../operator-client/index.ts';
import { serveOperators, type OperatorDefinition, type OperatorServer } from '../operator-sdk/index.ts';
import { createMemorySideCache, type SideCache } from '../side-cache/index.ts';
import { discoverOperators } from './operator-directory.ts';

export interface EmbeddedRuntime {
  plans: Map<string, DagPlan>;
  bus: TriggerBus;
  sideCache: SideCache;
  blobs: BlobStore;
  ledger: ItemLedger;
  ingress: ItemSink;
  miner: Miner;
  terminal: ItemRecord[];
  clients: ReadonlyMap<string, OperatorClient>;
  submit(items: readonly NewItem[]): ReturnType<ItemSink['submit']>;
  /** Resolves when no item of any DAG is in flight (or rejects after `timeoutMs`). */
  idle(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface EmbeddedRuntimeOptions {
  dags: readonly DagSpec[];
  /** Operators served from this process on a loopback port. */
  operators?: readonly OperatorDefinition[];
  /** Operators already running elsewhere: `host:port` endpoints (each serving any subset). */
  endpoints?: readonly string[];
  /** Called once per item that reaches its terminal state. */
  onTerminal?: (record: ItemRecord) => void;
  /** Adapters to use instead of the in-memory ones (e.g. real Redis/Kafka in scenario tests). */
  bus?: TriggerBus;
  sideCache?: SideCache;
  blobs?: BlobStore;
  ledger?: ItemLedger;
  /** Put a gate or anything else in front of the ingress for children and deferred edges. */
  admission?: (ingress: ItemSink) => ItemSink;
  dedupeWindowMs?: number;
  /** Prefix of topics and consumer groups (default `quarry`). */
  namespace?: string;
  /** Something in front of the runtime (a gate) still holds items: `idle` waits for it too. */
  busy?: () => boolean | Promise<boolean>;
  now?: () => number;
}

export async function startEmbeddedRuntime(options: EmbeddedRuntimeOptions): Promise<EmbeddedRuntime> {
  const now = options.now ?? Date.now;
  const server: OperatorServer | undefined = options.operators?.length ? await serveOperators(options.operators, { port: 0, capacity: 64 }) : undefined;
  const endpoints = [...(server ? [server.address] : []), ...(options.endpoints ?? [])];
  const directory = await discoverOperators(endpoints, { now });
  const descriptions = directory.descriptions;
  const plans = new Map(options.dags.map((d) => [d.name, compileDag(d, { operators: descriptions, ...(options.namespace ? { namespace: options.namespace } : {}) })]));
  const bus = options.bus ?? createEmbeddedBus();
  const sideCache = options.sideCache ?? createMemorySideCache();
  const blobs = options.blobs ?? createMemoryBlobStore();
  const ledger = options.ledger ?? createMemoryItemLedger({ now });
  const ingress = createIngress({ plans, bus, sideCache, ledger, now, dedupeWindowMs: options.dedupeWindowMs ?? 0 });
  const admission = options.admission ? options.admission(ingress) : ingress;
  const terminal: ItemRecord[] = [];
  const miner = createMiner({
    hosts: [...plans.values()].map((plan) => ({ plan })),
    operators: (name) => directory.client(name).echo,
    descriptions,
    bus,
    sideCache,
    blobs,
    ledger,
    admission,
    ingress,
    now,
    onTerminal: (r) => {
      terminal.push(r);
      options.onTerminal?.(r);
    },
  });
  await miner.start();
  return {
    plans,
    bus,
    sideCache,
    blobs,
    ledger,
    ingress,
    miner,
    terminal,
    clients: directory.clients(),
    submit: (items) => admission.submit(items),
    async idle(timeoutMs = 60_000) {
      const until = Date.now() + timeoutMs;
      let quiet = 0;
      while (Date.now() < until) {
        let inFlight = 0;
        for (const name of plans.keys()) inFlight += (await ledger.counts(name))['in-flight'];
        const held = options.busy ? await options.busy() : false;
        quiet = inFlight === 0 && !held ? quiet + 1 : 0;
        if (quiet >= 3) return;
        await sleep(50);
      }
      const stuck = (await Promise.all([...plans.keys()].map((d) => ledger.inFlight(d, 5)))).flat();
      throw new Error(`items still in flight after ${timeoutMs} ms: ${stuck.map((r) => `${r.dag}/${r.itemKey} (${r.events.at(-1)?.node ?? 'entry'}: ${r.events.at(-1)?.status ?? 'waiting'})`).join(', ')}`);
    },
    async close() {
      await miner.stop();
      directory.close();
      await server?.close();
      if (!options.bus) await bus.close();
    },
  };
}
