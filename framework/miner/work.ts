// One trigger on its way through a node's batch, and the batch-wide context every phase shares.
import type { Span } from '@opentelemetry/api';
import type { ItemSink } from '../admission/index.ts';
import type { BlobStore } from '../blob-store/blob-store.ts';
import type { ConsumedMessage, TriggerBus } from '../bus/trigger-bus.ts';
import type { DagPlan, PlanNode } from '../dag/index.ts';
import type { ItemLedger, ItemRecord, Step } from '../item-ledger/index.ts';
import type { FieldValues, SideCache } from '../side-cache/side-cache.ts';
import type { Trigger } from '../wire/index.ts';
import type { Decision } from './decide.ts';
import type { Ingress } from './ingress.ts';

export interface MinerDeps {
  bus: TriggerBus;
  blobs: BlobStore;
  ledger: ItemLedger;
  /** Where children and deferred items go: the gate, or the ingress directly. */
  admission: ItemSink;
  /** Re-opens items whose ledger state was lost, from their triggers (straight to the ingress). */
  ingress: Ingress;
  now: () => number;
  /** The dedupe window children are identified within (their ids follow from their keys). */
  dedupeWindowMs?: number;
  /** Called once per item that reached its terminal state (tests, dashboards, sinks). */
  onTerminal?: (record: ItemRecord) => void;
  /** Topic the record of every ended item is published to (keyed by DAG and item key). */
  endedTopic?: string;
  /** How long an item-owned blob outlives its last write when nobody deletes it (orphans). */
  blobTtlMs?: number;
  /** Where tuples live: a dead letter carries the item's fields from it, so a replay resumes at the node. */
  sideCache?: SideCache;
}

/** A successor's trigger handed on in process, with the fields of the node's reads its predecessor held. */
export interface Chained {
  topic: string;
  trigger: Trigger;
  held: FieldValues;
  /** Claimed for this miner by the predecessor's commit, with every field it reads held. */
  claimed?: true;
}

/** A successor node hosted in this process, which takes its triggers without the bus. */
export interface ChainTarget {
  /** The node the target runs (to know which fields a predecessor may hand it). */
  readonly node: PlanNode;
  /** The lease its claims take. */
  readonly leaseMs: number;
  handleChained(items: readonly Chained[]): Promise<void>;
}

export interface BatchContext extends MinerDeps {
  plan: DagPlan;
  node: PlanNode;
  minerId: string;
  /** Chaining: the hosted node a topic's successor triggers go to in process (none: the bus). */
  chainTo?: (topic: string) => ChainTarget | undefined;
}

/** A trigger in a batch, from its claim to its commit. */
export interface Work {
  m: ConsumedMessage;
  t: Trigger;
  token: string;
  span: Span;
  /** The fields the claim read (declared reads of the node). */
  fields?: FieldValues;
  decision?: Decision;
  step?: Step;
  /** Blob bytes the node's outputs asked to store: field → bytes (stored before the commit). */
  tookMs?: number;
}
