// Run DAGs end to end: the ingress, a miner hosting every node, and the operators — in this
// process (called in-process, no gRPC) or at remote endpoints. The adapters are the embedded
// ones (in-process bus, in-memory state) unless others are passed in (Kafka, Redis). Items enter
// through an admission — the flow-control gate, or `admitAll()` — which the runtime starts with
// its ingress and its backpressure signals.
import { setTimeout as sleep } from 'node:timers/promises';
import { admitAll, type Admission, type AdmissionSignals, type NewItem, type SubmitResult } from '../admission/index.ts';
import { createMemoryBlobStore, type BlobStore } from '../blob-store/index.ts';
import { createEmbeddedBus, type TriggerBus } from '../bus/index.ts';
import { compileDag, dagOperators, operatorUses, type DagPlan, type DagSpec } from '../dag/index.ts';
import { ConfigError } from '../errors/index.ts';
import { createMemoryItemLedger, type ItemLedger, type ItemRecord } from '../item-ledger/index.ts';
import { assignMessageId, createIngress, createMiner, type Ingress, type Miner } from '../miner/index.ts';
import type { ChannelSecurityOption } from '../operator-client/index.ts';
import type { OperatorDefinition } from '../operator-sdk/index.ts';
import { createMemoryShadowLog, type ShadowLog } from '../shadow-log/index.ts';
import { createMemorySideCache, type SideCache } from '../side-cache/index.ts';
import { discoverOperators, type OperatorDirectory } from './operator-directory.ts';
import { runtimeSignals } from './signals.ts';

export interface Runtime {
  plans: Map<string, DagPlan>;
  bus: TriggerBus;
  sideCache: SideCache;
  blobs: BlobStore;
  ledger: ItemLedger;
  ingress: Ingress;
  miner: Miner;
  directory: OperatorDirectory;
  /** What the nodes' shadows found (per field agreement, sampled disagreements). */
  shadowLog: ShadowLog;
  /** Every item that ended, in the order it ended (this process's view). */
  terminal: ItemRecord[];
  submit(items: readonly NewItem[]): Promise<SubmitResult[]>;
  /** Backpressure as an admission reads it (cached briefly). */
  signals(): Promise<AdmissionSignals>;
  /** Resolves when no item of any DAG is in flight and the admission holds none (or rejects after `timeoutMs`). */
  idle(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  dags: readonly DagSpec[];
  /** Operators defined in this process: called in-process, with the same contract as over gRPC. */
  operators?: readonly OperatorDefinition[];
  /** Operators running elsewhere: `host:port` endpoints (each serving any subset). */
  endpoints?: readonly string[];
  /** TLS and bearer token towards the endpoints (all, or per endpoint). Default: plaintext. */
  operatorSecurity?: ChannelSecurityOption;
  /** Called once per item that reaches its terminal state. */
  onTerminal?: (record: ItemRecord) => void;
  /** Adapters to use instead of the embedded ones. A ledger comes with the side-cache it keeps tuples in. */
  bus?: TriggerBus;
  sideCache?: SideCache;
  blobs?: BlobStore;
  ledger?: ItemLedger;
  /** Where shadow comparisons are recorded (default: in memory, `runtime.shadowLog`). */
  shadowLog?: ShadowLog;
  /** What stands in front of the ingress (the gate); default: every item admitted at once. */
  admission?: Admission;
  /** Children whose key was seen this recently are skipped (and identified by their key). */
  dedupeWindowMs?: number;
  /** Prefix of topics and consumer groups (default `quarry`). */
  namespace?: string;
  /** Publish every ended item's record to this topic (compacted on Kafka; the CLI names it `<namespace>.ended`). */
  endedTopic?: string;
  /** Items quiet this long with unheld open tokens get their triggers produced again (default 10 min; 0: never). */
  strandedAfterMs?: number;
  /** Hand successor triggers to their node in process instead of through the bus (see MinerOptions.chain). */
  chain?: boolean;
  now?: () => number;
}

export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  const now = options.now ?? Date.now;
  if (options.ledger && !options.sideCache) {
    throw new ConfigError([{ field: 'sideCache', expected: 'the side-cache the given ledger keeps its tuples in', received: undefined }], 'runtime options');
  }
  const required = [...new Set(options.dags.flatMap(dagOperators))];
  const directory = await discoverOperators({ endpoints: options.endpoints ?? [], local: options.operators ?? [], required, requiredBy: operatorUses(options.dags), now, ...(options.operatorSecurity ? { security: options.operatorSecurity } : {}) });
  const descriptions = directory.descriptions;
  const plans = new Map(options.dags.map((d) => [d.name, compileDag(d, { operators: descriptions, ...(options.namespace ? { namespace: options.namespace } : {}) })]));
  const bus = options.bus ?? createEmbeddedBus();
  const sideCache = options.sideCache ?? createMemorySideCache();
  const blobs = options.blobs ?? createMemoryBlobStore();
  const ledger = options.ledger ?? createMemoryItemLedger({ sideCache, now });
  const dedupeWindowMs = options.dedupeWindowMs ?? 0;
  const ingress = createIngress({ plans, bus, ledger, now, dedupeWindowMs });
  const admission = options.admission ?? admitAll();
  const terminal: ItemRecord[] = [];
  const shadowLog = options.shadowLog ?? createMemoryShadowLog();
  const miner = createMiner({
    hosts: [...plans.values()].map((plan) => ({ plan })),
    operators: (name) => directory.echo(name),
    descriptions,
    bus,
    blobs,
    ledger,
    sideCache,
    admission,
    ingress,
    now,
    dedupeWindowMs,
    blobTtlMs: 24 * 3600_000,
    shadowLog,
    ...(options.endedTopic ? { endedTopic: options.endedTopic } : {}),
    ...(options.strandedAfterMs !== undefined ? { strandedAfterMs: options.strandedAfterMs } : {}),
    ...(options.chain ? { chain: true } : {}),
    onTerminal: (r) => {
      terminal.push(r);
      options.onTerminal?.(r);
    },
  });
  await miner.start();
  const signals = runtimeSignals({ plans, bus, ledger, runners: () => miner.runners(), clients: () => directory.clients() });
  await admission.start({ ingress, signals });
  let closed = false;
  return {
    plans,
    bus,
    sideCache,
    blobs,
    ledger,
    ingress,
    miner,
    directory,
    shadowLog,
    terminal,
    signals,
    submit: (items) => admission.submit(items.map((i) => assignMessageId(i, now(), 0))),
    async idle(timeoutMs = 60_000) {
      const until = Date.now() + timeoutMs;
      let quiet = 0;
      while (Date.now() < until) {
        let inFlight = 0;
        for (const name of plans.keys()) inFlight += (await ledger.counts(name))['in-flight'];
        const held = await admission.pending();
        quiet = inFlight === 0 && held === 0 ? quiet + 1 : 0;
        if (quiet >= 3) return;
        await sleep(50);
      }
      const stuck = (await Promise.all([...plans.keys()].map((d) => ledger.inFlight(d, 5)))).flat();
      throw new Error(`items still in flight after ${timeoutMs} ms: ${stuck.map((r) => `${r.dag}/${r.itemKey} (${r.events.at(-1)?.node ?? 'entry'}: ${r.events.at(-1)?.status ?? 'waiting'})`).join(', ') || `${await admission.pending()} held by the admission`}`);
    },
    async close() {
      if (closed) return;
      closed = true;
      await admission.stop();
      await miner.stop();
      directory.close();
      if (!options.bus) await bus.close();
    },
  };
}
