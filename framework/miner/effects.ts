// The side effects of one batch, applied in the order that makes at-least-once delivery safe:
// open successor tokens → produce (successors, retries, dead letters) → finish tokens → release
// dead fields and, for items that ended, their tuple and blobs.
import type { BlobStore } from '../blob-store/blob-store.ts';
import type { ConsumedMessage, TriggerBus } from '../bus/trigger-bus.ts';
import { RETRY_TIERS_MS, type DagPlan, type PlanNode } from '../dag/index.ts';
import type { EarlyEnd, ItemLedger, ItemRecord, ItemRef } from '../item-ledger/item-ledger.ts';
import type { SideCache } from '../side-cache/side-cache.ts';
import { telemetry } from '../telemetry/index.ts';
import { encodeDeadLetter, encodeTrigger, traceIdOf, type Trigger, type WireChild } from '../wire/index.ts';
import { QuarryError } from '../errors/index.ts';
import type { ItemSink, SubmitResult } from './ingress.ts';

export interface MinerDeps {
  bus: TriggerBus;
  sideCache: SideCache;
  blobs: BlobStore;
  ledger: ItemLedger;
  /** Where children and deferred items go: the gate, or the ingress directly. */
  admission: ItemSink;
  /** Re-drives lost items from their source record (straight to the ingress). */
  ingress: ItemSink;
  now: () => number;
  /** Called once per item that reached its terminal state (tests, dashboards, sinks). */
  onTerminal?: (record: import('../item-ledger/item-ledger.ts').ItemRecord) => void;
}

/** The ledger event a deferred edge records when it hands its blobs to another DAG. */
export const HANDED_OFF = 'handed-off';

export function retryTopic(plan: DagPlan, delayMs: number): string {
  const i = RETRY_TIERS_MS.findIndex((ms) => delayMs <= ms);
  return plan.topics.retry[i === -1 ? plan.topics.retry.length - 1 : i]!;
}

interface Finish {
  t: Trigger;
  token: string;
  end?: EarlyEnd;
  kept?: Record<string, string>;
  releases: readonly string[];
}

const dec = new TextDecoder();

function tryLater(results: readonly SubmitResult[]): number {
  let wait = 0;
  for (const r of results) {
    if (r.status !== 'rejected') continue;
    // A child the ingress refuses for good (a bad source record) is the operator's bug: say so.
    if (r.retryAfterMs === undefined) throw new QuarryError('CHILD_REJECTED', `child item ${r.itemKey} was rejected: ${r.reason}`);
    wait = Math.max(wait, r.retryAfterMs);
  }
  return wait;
}

export class Effects {
  private readonly out = new Map<string, { key: string; value: Uint8Array }[]>();
  private readonly tokens = new Map<string, { ref: ItemRef; tokens: string[] }>();
  private readonly finishes: Finish[] = [];

  constructor(private readonly o: MinerDeps & { plan: DagPlan; node: PlanNode }) {}

  private produce(topic: string, key: string, value: Uint8Array): void {
    const list = this.out.get(topic) ?? [];
    list.push({ key, value });
    this.out.set(topic, list);
  }

  /** The node did its work: its successors get triggers and its token closes. */
  succeed(t: Trigger, token: string, node: PlanNode, kept?: Record<string, string>): void {
    const { plan } = this.o;
    for (const s of node.successors) {
      const succ = plan.nodes.find((n) => n.id === s)!;
      const next: Trigger = { ...t, node: s, fromNode: node.id, attempt: 0, notBeforeMs: 0, tupleVersion: t.tupleVersion + 1 };
      const value = encodeTrigger(next);
      telemetry.triggerBytes(plan.name, s, value.length);
      this.produce(succ.topic, t.itemKey, value);
      const key = `${t.dag}\u0000${t.messageId}`;
      const entry = this.tokens.get(key) ?? { ref: { dag: t.dag, messageId: t.messageId }, tokens: [] };
      entry.tokens.push(`${s}<${node.id}`);
      this.tokens.set(key, entry);
    }
    this.finishes.push({ t, token, ...(kept ? { kept } : {}), releases: node.releases });
  }

  /** Close the token without successors (a join arrival that does not fire). */
  finish(t: Trigger, token: string): void {
    this.finishes.push({ t, token, releases: [] });
  }

  end(t: Trigger, token: string, state: EarlyEnd['state'], reason: string): void {
    this.finishes.push({ t, token, end: { state, node: this.o.node.id, reason }, releases: [] });
  }

  retry(t: Trigger, attempt: number, delayMs: number): void {
    const next: Trigger = { ...t, attempt, notBeforeMs: this.o.now() + delayMs };
    this.produce(retryTopic(this.o.plan, delayMs), t.itemKey, encodeTrigger(next));
  }

  deadLetter(t: Trigger, token: string, m: ConsumedMessage, reason: string, quarantined: boolean): void {
    const { plan, node } = this.o;
    const [code] = reason.split(':', 1);
    const letter = encodeDeadLetter({ trigger: t, raw: new Uint8Array(), node: node.id, attempts: t.attempt + 1, errorCode: code ?? '', lastError: reason, traceId: traceIdOf(t.traceparent), atMs: this.o.now(), sourceTopic: m.topic, quarantined });
    this.produce(quarantined ? plan.topics.quarantine : plan.topics.deadLetter, t.itemKey, letter);
    this.end(t, token, quarantined ? 'quarantined' : 'dead-lettered', reason);
  }

  /** A message that is not a trigger at all: dead-lettered with its raw bytes; nothing else. */
  undecodable(m: ConsumedMessage, error: string): void {
    const letter = encodeDeadLetter({ raw: m.value, node: this.o.node.id, attempts: 1, errorCode: 'BAD_TRIGGER', lastError: error, traceId: '', atMs: this.o.now(), sourceTopic: m.topic, quarantined: false });
    this.produce(this.o.plan.topics.deadLetter, m.key, letter);
    telemetry.opStatus(this.o.plan.name, this.o.node.id, 'DLQ');
  }

  /**
   * Hand children to the admission (the gate). When it answers "try later", the parent waits and
   * re-emits them (children are deduplicated by key): the milliseconds to wait, else 0.
   */
  async children(t: Trigger, children: readonly WireChild[]): Promise<number> {
    return tryLater(await this.o.admission.submit(children.map((c) => ({ dag: c.dag, itemKey: c.itemKey, source: c.source, priority: t.priority, tenant: t.tenant, traceparent: t.traceparent, parentId: t.messageId }))));
  }

  async defer(t: Trigger, node: PlanNode, source: Record<string, string>): Promise<number> {
    return tryLater(await this.o.admission.submit([{ dag: node.defer!.dag, itemKey: t.itemKey, source, priority: node.defer!.priority ?? t.priority, tenant: t.tenant, resource: node.resource, traceparent: t.traceparent, parentId: t.messageId }]));
  }

  /** The item's tuple (or a blob) is gone: start the item again from its source record. */
  async redrive(t: Trigger, token: string, why: string, itemKnown = true): Promise<void> {
    const messageId = `${t.messageId}.r`;
    await this.o.ingress.submit([{ dag: t.dag, itemKey: t.itemKey, source: t.source, priority: t.priority, tenant: t.tenant, traceparent: t.traceparent, parentId: t.messageId, messageId }]);
    telemetry.opStatus(this.o.plan.name, this.o.node.id, 'REDRIVE');
    if (!itemKnown) return;
    await this.o.ledger.event({ dag: t.dag, messageId: t.messageId }, { node: this.o.node.id, status: 'redriven', atMs: this.o.now(), detail: `${why}; re-driven as ${messageId}` });
    this.end(t, token, 'filtered', `redriven: ${why}`);
  }

  /** A trigger the miner itself cannot handle (not the operator): dead-lettered as it is. */
  poison(m: ConsumedMessage, t: Trigger, error: string): void {
    const letter = encodeDeadLetter({ trigger: t, raw: new Uint8Array(), node: this.o.node.id, attempts: t.attempt + 1, errorCode: error.split(':', 1)[0] ?? 'INTERNAL', lastError: error, traceId: traceIdOf(t.traceparent), atMs: this.o.now(), sourceTopic: m.topic, quarantined: false });
    this.produce(this.o.plan.topics.deadLetter, t.itemKey, letter);
    telemetry.opStatus(this.o.plan.name, this.o.node.id, 'DLQ');
  }

  async commit(): Promise<void> {
    const { ledger, bus, plan } = this.o;
    for (const { ref, tokens } of this.tokens.values()) await ledger.addTokens(ref, tokens);
    await Promise.all([...this.out].map(([topic, messages]) => bus.produce(topic, messages)));
    for (const f of this.finishes) {
      const ref = { dag: f.t.dag, messageId: f.t.messageId };
      const result = await ledger.finish(ref, f.token, { ...(f.end ? { end: f.end } : {}), ...(f.kept ? { kept: f.kept } : {}) });
      if (result.terminal) {
        await this.dropTuple(f.t.tupleRef, result.record);
        if (result.record) {
          telemetry.itemEnded(plan.name, result.record.state, f.t.priority, this.o.now() - f.t.createdMs);
          this.o.onTerminal?.(result.record);
        }
      } else if (f.releases.length > 0) {
        await this.release(f.t.tupleRef, f.releases);
      }
    }
  }

  /**
   * A redelivered trigger whose token is already done. When its item has ended, the miner that
   * ended it may have died between the ledger's finish and dropping the tuple (the batch then is
   * never committed, so this redelivery is certain): drop it now. Idempotent.
   */
  async sweepEnded(t: Trigger): Promise<void> {
    const record = await this.o.ledger.get({ dag: t.dag, messageId: t.messageId });
    if (record?.state !== 'in-flight') await this.dropTuple(t.tupleRef, record ?? undefined);
  }

  private async blobRefs(tupleRef: string, fields: readonly string[], handedOff = true): Promise<string[]> {
    const blobFields = fields.filter((f) => this.o.plan.blobs.includes(f) && !(handedOff && this.o.plan.handedOff.includes(f)) && !this.o.plan.keep.includes(f));
    if (blobFields.length === 0) return [];
    const [values] = await this.o.sideCache.readMany([{ tupleRef, fields: blobFields }]);
    return values ? [...values.values()].map((v) => dec.decode(v)) : [];
  }

  private async release(tupleRef: string, fields: readonly string[]): Promise<void> {
    const refs = await this.blobRefs(tupleRef, fields);
    if (refs.length > 0) await this.o.blobs.delete(refs);
    await this.o.sideCache.deleteFields(tupleRef, fields);
  }

  /** Delete an ended item's tuple and its blobs; handed-off blobs only if no hand-off happened. */
  private async dropTuple(tupleRef: string, record?: ItemRecord): Promise<void> {
    const handedOff = record === undefined || record.events.some((e) => e.status === HANDED_OFF);
    const refs = await this.blobRefs(tupleRef, this.o.plan.blobs, handedOff);
    if (refs.length > 0) await this.o.blobs.delete(refs);
    await this.o.sideCache.deleteTuple(tupleRef);
  }
}
