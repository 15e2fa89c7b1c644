// The effects of one batch, applied in the order that makes at-least-once delivery safe:
//   blob outputs stored → children and hand-offs admitted → dead letters produced → ONE ledger
//   commit of every step → successors, retries, repairs and ended records produced (one
//   produce per topic) → released blobs deleted.
// A crash anywhere before the bus commits the batch's offsets redelivers it, and each phase is
// harmless to repeat: blob keys are stable, children are deduplicated by id, the ledger skips
// steps already taken and reports the successors nobody claimed, so they are produced again.
import type { NewItem } from '../admission/index.ts';
import type { ConsumedMessage } from '../bus/trigger-bus.ts';
import { RETRY_TIERS_MS } from '../dag/index.ts';
import { errorMessage } from '../errors/index.ts';
import type { ClaimOutcome, ItemRecord, Redrive, Step, StepOutcome } from '../item-ledger/index.ts';
import { telemetry } from '../telemetry/index.ts';
import { encodeDeadLetter, encodeTrigger, traceIdOf, type Trigger } from '../wire/index.ts';
import { tryLater, type Decision } from './decide.ts';
import { assignMessageId, sourceFields } from './ingress.ts';
import { blobKey, keptValues } from './blob-keys.ts';
import { encodedTrigger, entryToken, laneTopic, nextTrigger, nodeOf, tokenTrigger, type Outgoing, type Successor } from './triggers.ts';
import { handOffFields, heldFields } from './chain-fields.ts';
import type { FieldValues } from '../side-cache/index.ts';
import { fieldsAt } from './resume.ts';
import type { BatchContext, ChainTarget, Chained, Work } from './work.ts';

/** A blob gone missing more often than this is not re-driven again: it is dead-lettered. */
export const MAX_REDRIVES = 3;

const enc = new TextEncoder();

export function retryTopic(topics: readonly string[], delayMs: number): string {
  const i = RETRY_TIERS_MS.findIndex((ms) => delayMs <= ms);
  return topics[i === -1 ? topics.length - 1 : i]!;
}

interface Decided {
  w: Work;
  d: Decision;
  /** A deferred edge handed these blob fields to another DAG. */
  detach?: string[];
  fingerprint?: string;
  /** An event status other than the decision's own (a deferred edge's `handed-off`). */
  eventStatus?: string;
}

export class Outbox {
  private readonly decided: Decided[] = [];
  private readonly letters: Outgoing[] = [];
  private readonly out: Outgoing[] = [];
  private readonly successors: Successor[] = [];
  private readonly waits: Work[] = [];
  private readonly lost: { w: Work; why: string }[] = [];
  private readonly reopen: Trigger[] = [];
  private readonly poison = new Set<string>();

  constructor(private readonly c: BatchContext) {}

  private letter(t: Trigger | undefined, m: ConsumedMessage, code: string, reason: string, quarantined: boolean, raw?: Uint8Array, inputs?: FieldValues | null): void {
    const { plan, node, now } = this.c;
    const value = encodeDeadLetter({
      ...(t ? { trigger: t } : {}), raw: raw ?? new Uint8Array(), node: node.id, attempts: (t?.attempt ?? 0) + 1, errorCode: code, lastError: reason,
      traceId: t ? traceIdOf(t.traceparent) : '', atMs: now(), sourceTopic: m.topic, quarantined,
      ...(inputs ? { inputs: Object.fromEntries(inputs) } : {}),
    });
    this.letters.push({ topic: quarantined ? plan.topics.quarantine : plan.topics.deadLetter, key: t?.itemKey ?? m.key, value });
  }

  /** A message that is not a trigger at all: dead-lettered with its raw bytes; nothing else. */
  undecodable(m: ConsumedMessage, error: string): void {
    this.letter(undefined, m, 'BAD_TRIGGER', error, false, m.value);
    telemetry.opStatus(this.c.plan.name, this.c.node.id, 'DLQ');
  }

  /** Send the trigger round a delayed-retry tier, as attempt `attempt`. */
  retryLater(t: Trigger, attempt: number, delayMs: number): void {
    this.out.push({ topic: retryTopic(this.c.plan.topics.retry, delayMs), key: t.itemKey, value: encodeTrigger({ ...t, attempt, notBeforeMs: this.c.now() + delayMs }) });
  }

  /** What a claim said when it did not say "run". */
  claimed(w: Work, c: Exclude<ClaimOutcome, { status: 'run' }>): void {
    const { plan, node } = this.c;
    switch (c.status) {
      case 'waiting':
        this.waits.push(w);
        return;
      case 'done':
        // A redelivery: the node ran. What its commit opened but nobody ever claimed may have
        // lost its trigger (a crash before the produce): produce it again.
        telemetry.opStatus(plan.name, node.id, 'DUPLICATE');
        for (const token of c.repair) this.out.push(tokenTrigger(plan, w.t, token));
        if (c.ended) this.ended(c.ended);
        return;
      case 'busy':
        this.retryLater(w.t, w.t.attempt, 1_000);
        return;
      case 'unknown':
        this.reopen.push(w.t);
        return;
      case 'stale':
        telemetry.opStatus(plan.name, node.id, 'DUPLICATE');
        return;
    }
  }

  /** The item's tuple (or a blob it owns) is gone: start it again from its source record. */
  lostTuple(w: Work, why: string): void {
    this.lost.push({ w, why });
  }

  lostBlob(w: Work, field: string, ref: string): void {
    // A blob named by the source record cannot come back by re-driving: say it is lost.
    if (this.c.plan.source.includes(field)) {
      this.decide(w, { kind: 'end', state: 'dead-lettered', reason: `BLOB_LOST: blob \`${field}\` (${ref}) is missing from the blob store`, code: 'BLOB_LOST', letter: true, poison: false, status: 'DLQ' });
    } else this.lostTuple(w, `blob \`${field}\` missing from the blob store`);
  }

  /** Record what was decided for an item (with its input's fingerprint when that may be poison). */
  decide(w: Work, d: Decision, extra: Omit<Decided, 'w' | 'd'> = {}): void {
    this.decided.push({ w, d, ...extra });
  }

  private ended(record: ItemRecord): void {
    if (!this.c.endedTopic) return;
    this.out.push({ topic: this.c.endedTopic, key: `${record.dag}|${record.itemKey}`, value: enc.encode(JSON.stringify(record)) });
  }

  /** Store blob outputs; admit children (the gate may say "try later": the node runs again then). */
  private async prepare(): Promise<void> {
    const { blobs, plan, blobTtlMs } = this.c;
    await Promise.all(this.decided.map(async (x) => {
      if (x.d.kind !== 'advance' || x.d.blobOutputs.size === 0) return;
      for (const [f, bytes] of x.d.blobOutputs) {
        const key = blobKey(plan, x.w.t, f, bytes);
        const owned = !plan.keep.includes(f);
        x.d.writes.set(f, enc.encode(await blobs.put(key, bytes, owned && blobTtlMs ? { ttlMs: blobTtlMs } : {})));
      }
    }));
    const parents = this.decided.filter((x) => x.d.kind === 'advance' && x.d.children.length > 0);
    if (parents.length === 0) return;
    const items: NewItem[] = [];
    const owner: number[] = [];
    parents.forEach((x, i) => {
      const t = x.w.t;
      for (const child of (x.d as Extract<Decision, { kind: 'advance' }>).children) {
        items.push(assignMessageId({ dag: child.dag, itemKey: child.itemKey, source: child.source, priority: t.priority, tenant: t.tenant, traceparent: t.traceparent, parentId: t.messageId }, this.c.now(), this.c.dedupeWindowMs ?? 0));
        owner.push(i);
      }
    });
    const results = await this.c.admission.submit(items);
    results.forEach((r, j) => {
      if (r.status !== 'rejected') return;
      const x = parents[owner[j]!]!;
      if (x.d.kind !== 'advance') return; // already turned into a retry or an end by a sibling
      if (r.retryAfterMs !== undefined) x.d = tryLater(x.w.t, r.retryAfterMs);
      else x.d = { kind: 'end', state: 'dead-lettered', reason: `CHILD_REJECTED: child item ${r.itemKey} was rejected: ${r.reason}`, code: 'CHILD_REJECTED', letter: true, poison: false, status: 'FAIL' };
    });
  }

  /** The tuple fields of the items about to be dead-lettered, read before the commit deletes them. */
  private async lettersInputs(): Promise<Map<Decided, FieldValues | null>> {
    const { sideCache, plan, node } = this.c;
    const lettered = this.decided.filter((x) => x.d.kind === 'end' && x.d.letter);
    if (!sideCache || lettered.length === 0) return new Map();
    const fields = fieldsAt(plan, node.id);
    const read = await sideCache.readMany(lettered.map((x) => ({ tupleRef: x.w.t.tupleRef, fields }))).catch(() => lettered.map(() => null));
    return new Map(lettered.map((x, i) => [x, read[i] ?? null]));
  }

  private stepOf(x: Decided): Step {
    const { plan, node, now } = this.c;
    const { w, d } = x;
    const ref = { dag: w.t.dag, messageId: w.t.messageId };
    const event = {
      node: node.id, atMs: now(), attempt: w.t.attempt, ...(w.tookMs !== undefined ? { tookMs: w.tookMs } : {}),
      status: x.eventStatus ?? (d.kind === 'advance' ? 'ok' : d.kind === 'end' ? d.state : d.status === 'BACKPRESSURE' ? 'backpressure' : 'retry'),
      ...(d.kind !== 'advance' ? { code: d.code, detail: d.reason.slice(0, 300) } : {}),
    };
    if (d.kind === 'retry') return { ref, token: w.token, kind: 'retry', event };
    // Blobs the item owns; a deferred edge detaches the ones it hands over, so they are not among them then.
    const blobFields = plan.blobs.filter((f) => !plan.keep.includes(f));
    if (d.kind === 'end') return { ref, token: w.token, kind: 'advance', end: { state: d.state, node: node.id, reason: d.reason }, event, blobFields };
    const kept = keptValues(plan, d.writes);
    const claimNext = this.claimAhead(w, d.writes);
    return {
      ref, token: w.token, kind: 'advance', event, blobFields,
      writes: d.writes, successors: node.successors.map((s) => `${s}<${node.id}`), releases: node.releases,
      ...(kept ? { kept } : {}), ...(x.detach?.length ? { detach: x.detach } : {}), ...(claimNext ? { claimNext } : {}),
    };
  }

  /**
   * Chaining: the successors the commit may claim for this miner at once (one ledger call per hop
   * instead of two) — those hosted here, with no join to record, whose every read this node holds.
   */
  private claimAhead(w: Work, writes: ReadonlyMap<string, Uint8Array>): Step['claimNext'] {
    const { plan, node, chainTo, minerId } = this.c;
    if (!chainTo) return undefined;
    const tokens: string[] = [];
    let leaseMs = 0;
    for (const id of node.successors) {
      const target = chainTo(laneTopic(nodeOf(plan, id)!, w.t.priority));
      if (!target || target.node.join) continue;
      const fields = handOffFields(plan, node, target.node);
      if (fields.length < target.node.reads.length || heldFields(fields, w.fields, writes).size < fields.length) continue;
      tokens.push(`${id}<${node.id}`);
      leaseMs = Math.max(leaseMs, target.leaseMs);
    }
    return tokens.length > 0 ? { owner: minerId, leaseMs, tokens } : undefined;
  }

  /** `committed`: told once the ledger commit is durable, before the successors are produced or handed on. */
  async apply(committed?: () => void): Promise<void> {
    const { plan, node, ledger } = this.c;
    await this.prepare();
    const inputs = await this.lettersInputs();
    for (const x of this.decided) {
      telemetry.opStatus(plan.name, node.id, x.d.status);
      if (x.w.tookMs !== undefined) telemetry.opLatency(plan.name, node.id, x.w.tookMs);
      if (x.d.kind === 'end' && x.d.letter) this.letter(x.w.t, x.w.m, x.d.code, x.d.reason, x.d.state === 'quarantined', undefined, inputs.get(x));
      if (x.d.kind === 'end' && x.d.poison && x.fingerprint) this.poison.add(x.fingerprint);
    }
    if (this.poison.size > 0) await ledger.markPoison([...this.poison], `${plan.name}/${node.id}`);
    // Letters go before the commit: a letter may be written twice, never lost.
    await this.produce(this.letters);

    const steps: { x?: Decided; w: Work; step: Step }[] = [
      ...this.decided.map((x) => ({ x, w: x.w, step: this.stepOf(x) })),
      ...this.waits.map((w) => ({ w, step: { ref: { dag: w.t.dag, messageId: w.t.messageId }, token: w.token, kind: 'advance' as const, blobFields: [] } })),
    ];
    const outcomes = steps.length > 0 ? await ledger.commit(steps.map((s) => s.step)) : [];
    const deletes: string[] = [];
    steps.forEach(({ x, w, step }, i) => this.committed(w, step, outcomes[i]!, x?.d, deletes));
    committed?.();
    try {
      await this.redrive();
      if (this.reopen.length > 0) await this.c.ingress.reopen(this.reopen);
      await this.produce(this.out, this.successors);
    } finally {
      // The commit is durable and released fields are read by no later node: the blobs go even
      // when producing failed (the redelivered batch finds these steps done and releases nothing
      // again). One that cannot be deleted now expires (blobTtlMs) instead.
      if (deletes.length > 0) {
        await this.c.blobs.delete(deletes).catch((err: unknown) => process.stderr.write(`quarry miner: could not delete ${deletes.length} blob(s) at ${plan.name}/${node.id}: ${errorMessage(err)}\n`));
      }
    }
  }

  private committed(w: Work, step: Step, o: StepOutcome, d: Decision | undefined, deletes: string[]): void {
    const { plan, now } = this.c;
    if (o.status === 'unknown') {
      // The ledger forgot the item between claim and commit (its Redis lost state): re-drive it.
      this.reopen.push(w.t);
      return;
    }
    if (o.status === 'stale') return;
    if (d?.kind === 'retry') {
      if (o.status === 'ok') this.retryLater(w.t, d.attempt, d.delayMs);
      return;
    }
    if (step.successors && !step.end) {
      const writes = d?.kind === 'advance' ? d.writes : undefined;
      const claimed = o.status === 'ok' ? o.claimed : undefined;
      for (const token of step.successors) {
        const s: Successor = nextTrigger(plan, w.t, token);
        if (w.fields) s.read = w.fields;
        if (writes) s.writes = writes;
        if (claimed?.includes(token)) s.claimed = true;
        this.successors.push(s);
      }
    }
    if (o.status !== 'ok') return;
    deletes.push(...o.blobRefs);
    if (o.terminal) {
      telemetry.itemEnded(plan.name, o.terminal.state, w.t.priority, now() - w.t.createdMs);
      this.ended(o.terminal);
      this.c.onTerminal?.(o.terminal);
    }
  }

  private async redrive(): Promise<void> {
    if (this.lost.length === 0) return;
    const { plan, node, ledger, now } = this.c;
    const asks: Redrive[] = this.lost.map(({ w, why }) => ({ ref: { dag: w.t.dag, messageId: w.t.messageId }, tokens: [entryToken(plan)], fields: sourceFields(plan, w.t.source), why, node: node.id, atMs: now() }));
    const outcomes = await ledger.redrive(asks);
    const tooMany: Step[] = [];
    this.lost.forEach(({ w, why }, i) => {
      const o = outcomes[i]!;
      if (o.status === 'gone') return;
      telemetry.opStatus(plan.name, node.id, 'REDRIVE');
      if (o.count > MAX_REDRIVES) {
        const reason = `STATE_LOST: ${why}, again after ${MAX_REDRIVES} re-drives`;
        this.letter(w.t, w.m, 'STATE_LOST', reason, false);
        tooMany.push({ ref: { dag: w.t.dag, messageId: w.t.messageId }, token: entryToken(plan), kind: 'advance', end: { state: 'dead-lettered', node: node.id, reason }, blobFields: [] });
        return;
      }
      this.out.push(tokenTrigger(plan, w.t, entryToken(plan)));
    });
    if (tooMany.length > 0) {
      await this.produce(this.letters.splice(0));
      for (const o of await ledger.commit(tooMany)) {
        if (o.status === 'ok' && o.terminal) {
          this.ended(o.terminal);
          this.c.onTerminal?.(o.terminal);
        }
      }
    }
  }

  /**
   * One produce for every topic; successor triggers of a node this process hosts go to it in
   * process instead when chaining (with the fields this node holds of its reads), awaited, so this
   * batch is acknowledged only after them (a crash meanwhile redelivers it, and its claim repairs
   * what the chain left open).
   */
  private async produce(list: Outgoing[], successors: Successor[] = []): Promise<void> {
    if (list.length === 0 && successors.length === 0) return;
    const { plan, node, chainTo } = this.c;
    const byTopic = new Map<string, { key: string; value: Uint8Array }[]>();
    const add = (o: Outgoing): void => {
      const l = byTopic.get(o.topic);
      if (l) l.push({ key: o.key, value: o.value });
      else byTopic.set(o.topic, [{ key: o.key, value: o.value }]);
    };
    for (const o of list.splice(0)) add(o);
    const chained = new Map<ChainTarget, Chained[]>();
    for (const s of successors.splice(0)) {
      const target = chainTo?.(s.topic);
      if (!target) {
        add(encodedTrigger(plan, s.topic, s.trigger));
        continue;
      }
      const l = chained.get(target) ?? [];
      l.push({ topic: s.topic, trigger: s.trigger, held: heldFields(handOffFields(plan, node, target.node), s.read, s.writes), ...(s.claimed ? { claimed: true } : {}) });
      chained.set(target, l);
    }
    if (byTopic.size > 0) await this.c.bus.produceMany([...byTopic].map(([topic, messages]) => ({ topic, messages })));
    if (chained.size > 0) await Promise.all([...chained].map(([target, items]) => target.handleChained(items)));
  }
}
