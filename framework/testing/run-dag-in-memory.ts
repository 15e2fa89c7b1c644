// Run DAGs end to end in one process on the embedded adapters, with operators served over real
// gRPC on loopback: the test kit for pipeline authors and the framework's own scenarios.
import { setTimeout as sleep } from 'node:timers/promises';
import { createMemoryBlobStore, type BlobStore } from '../blob-store/index.ts';
import { createEmbeddedBus, type TriggerBus } from '../bus/index.ts';
import { compileDag, type DagPlan, type DagSpec } from '../dag/index.ts';
import { createMemoryItemLedger, type ItemLedger, type ItemRecord } from '../item-ledger/index.ts';
import { createIngress, createMiner, type ItemSink, type Miner, type NewItem } from '../miner/index.ts';
import { createOperatorClient, type OperatorClient } from '../operator-client/index.ts';
import { serveOperators, type OperatorDefinition, type OperatorServer } from '../operator-sdk/index.ts';
import { createMemorySideCache, type SideCache } from '../side-cache/index.ts';
import type { OperatorDescription } from '../wire/index.ts';

export interface InMemoryRuntime {
  plans: Map<string, DagPlan>;
  bus: TriggerBus;
  sideCache: SideCache;
  blobs: BlobStore;
  ledger: ItemLedger;
  ingress: ItemSink;
  miner: Miner;
  terminal: ItemRecord[];
  submit(items: readonly NewItem[]): ReturnType<ItemSink['submit']>;
  /** Resolves when no item of any DAG is in flight (or rejects after `timeoutMs`). */
  idle(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface InMemoryRuntimeOptions {
  dags: readonly DagSpec[];
  operators: readonly OperatorDefinition[];
  /** Adapters to use instead of the in-memory ones (e.g. real Redis/Kafka in scenario tests). */
  bus?: TriggerBus;
  sideCache?: SideCache;
  blobs?: BlobStore;
  ledger?: ItemLedger;
  /** Put a gate or anything else in front of the ingress for children and deferred edges. */
  admission?: (ingress: ItemSink) => ItemSink;
  dedupeWindowMs?: number;
  now?: () => number;
}

export async function startInMemoryRuntime(options: InMemoryRuntimeOptions): Promise<InMemoryRuntime> {
  const now = options.now ?? Date.now;
  const server: OperatorServer = await serveOperators(options.operators, { port: 0, capacity: 64 });
  const clients = new Map<string, OperatorClient>();
  const client = createOperatorClient({ endpoints: [server.address], now });
  const descriptions = new Map<string, OperatorDescription>((await client.describe()).map((d) => [d.name, d]));
  const plans = new Map(options.dags.map((d) => [d.name, compileDag(d, { operators: descriptions })]));
  const bus = options.bus ?? createEmbeddedBus();
  const sideCache = options.sideCache ?? createMemorySideCache();
  const blobs = options.blobs ?? createMemoryBlobStore();
  const ledger = options.ledger ?? createMemoryItemLedger({ now });
  const ingress = createIngress({ plans, bus, sideCache, ledger, now, dedupeWindowMs: options.dedupeWindowMs ?? 0 });
  const admission = options.admission ? options.admission(ingress) : ingress;
  const terminal: ItemRecord[] = [];
  const miner = createMiner({
    hosts: [...plans.values()].map((plan) => ({ plan })),
    operators: (name) => {
      if (!clients.has(name)) clients.set(name, client);
      return client.echo;
    },
    descriptions,
    bus,
    sideCache,
    blobs,
    ledger,
    admission,
    ingress,
    now,
    onTerminal: (r) => terminal.push(r),
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
    submit: (items) => admission.submit(items),
    async idle(timeoutMs = 60_000) {
      const until = Date.now() + timeoutMs;
      let quiet = 0;
      while (Date.now() < until) {
        let inFlight = 0;
        for (const name of plans.keys()) inFlight += (await ledger.counts(name))['in-flight'];
        quiet = inFlight === 0 ? quiet + 1 : 0;
        if (quiet >= 3) return;
        await sleep(50);
      }
      const stuck = (await Promise.all([...plans.keys()].map((d) => ledger.inFlight(d, 5)))).flat();
      throw new Error(`items still in flight after ${timeoutMs} ms: ${stuck.map((r) => `${r.dag}/${r.itemKey} (${r.events.at(-1)?.node ?? 'entry'}: ${r.events.at(-1)?.status ?? 'waiting'})`).join(', ')}`);
    },
    async close() {
      await miner.stop();
      client.close();
      await server.close();
      if (!options.bus) await bus.close();
    },
  };
}
