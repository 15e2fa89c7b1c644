// The ingress: where an item enters a DAG. One ledger call opens a whole batch (writing each
// item's source record into its tuple), then one produce per topic sends the entry triggers.
// An admission (the gate) sits in front of it and hands it items with their message ids, so a
// re-admitted item (the gate's backlog redelivered it) finds its id known and is not run twice;
// if its entry trigger may never have left (a crash between opening and producing), it is
// produced again — the ledger makes the second one harmless.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { ItemSink, NewItem, Resume, SubmitResult } from '../admission/index.ts';
import type { TriggerBus } from '../bus/trigger-bus.ts';
import type { DagPlan } from '../dag/index.ts';
import { QuarryError } from '../errors/index.ts';
import type { ItemLedger, OpenItem } from '../item-ledger/index.ts';
import { telemetry } from '../telemetry/index.ts';
import { encodeTrigger, traceIdOf, type Trigger } from '../wire/index.ts';
import { entryToken, entryTrigger, laneTopic, tokenTrigger, type Outgoing } from './triggers.ts';
import { fieldsAt, resumeTokens } from './resume.ts';

export interface IngressOptions {
  plans: ReadonlyMap<string, DagPlan>;
  bus: TriggerBus;
  ledger: ItemLedger;
  now?: () => number;
  /**
   * Skip a child whose key (per DAG and tenant) is in flight, or ended less than this long ago
   * (a page linked from many pages is crawled once). 0 = only in-flight duplicates.
   */
  dedupeWindowMs?: number;
  /** Only dedupe children (items with a parent); explicit submissions always enter. Default true. */
  dedupeChildrenOnly?: boolean;
}

export interface Ingress extends ItemSink {
  /** Open again, under the same message id, items whose ledger state was lost (from their triggers). */
  reopen(triggers: readonly Trigger[]): Promise<void>;
}

const enc = new TextEncoder();

/** A child's id follows from its key within the dedupe window: two miners emitting it at once collide. */
function windowedId(dag: string, tenant: string, itemKey: string, bucket: number | string): string {
  const h = createHash('sha256').update(`${dag}\u0000${tenant}\u0000${itemKey}\u0000${bucket}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * Give an item its message id where it is created, kept from the gate to the item's end. A
 * child's follows from its key: within the dedupe window (so two parents emitting it at once
 * collide in the ledger), or without one from its parent (so a parent that runs again after a
 * crash emits the same child, not a second one). Anything else's is random.
 */
export function assignMessageId(item: NewItem, nowMs: number, windowMs: number): NewItem {
  if (item.messageId) return item;
  const tenant = item.tenant ?? 'default';
  if (!item.parentId) return { ...item, messageId: randomUUID() };
  const messageId = windowMs > 0 ? windowedId(item.dag, tenant, item.itemKey, Math.floor(nowMs / windowMs)) : windowedId(item.dag, tenant, item.itemKey, item.parentId);
  return { ...item, messageId };
}

export function newTraceparent(): string {
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
}

/** The source record as tuple fields: blob references raw, everything else JSON text. */
export function sourceFields(plan: DagPlan, source: Readonly<Record<string, string>>): Map<string, Uint8Array> {
  const fields = new Map<string, Uint8Array>();
  for (const f of plan.source) {
    const v = source[f];
    if (v !== undefined) fields.set(f, plan.blobs.includes(f) ? enc.encode(v) : enc.encode(JSON.stringify(v)));
  }
  return fields;
}

/** A replay's start: its tokens at the node and its tuple fields, or why it cannot start there. */
function resumeOf(plan: DagPlan, resume: Resume): { tokens: string[]; fields: Map<string, Uint8Array> } | string {
  if (!plan.nodes.some((n) => n.id === resume.node)) return `cannot resume at node \`${resume.node}\`: DAG \`${plan.name}\` has no such node (nodes: ${plan.nodes.map((n) => n.id).join(', ')})`;
  const known = new Set(fieldsAt(plan, resume.node));
  const unknown = Object.keys(resume.fields).filter((f) => !known.has(f));
  if (unknown.length > 0) return `cannot resume at node \`${resume.node}\`: field(s) ${unknown.join(', ')} do not exist there`;
  return { tokens: resumeTokens(plan, resume.node), fields: new Map(Object.entries(resume.fields).map(([f, b64]) => [f, new Uint8Array(Buffer.from(b64, 'base64'))])) };
}

export async function produceAll(bus: TriggerBus, out: readonly Outgoing[]): Promise<void> {
  const byTopic = new Map<string, { key: string; value: Uint8Array }[]>();
  for (const o of out) {
    const list = byTopic.get(o.topic);
    if (list) list.push({ key: o.key, value: o.value });
    else byTopic.set(o.topic, [{ key: o.key, value: o.value }]);
  }
  await bus.produceMany([...byTopic].map(([topic, messages]) => ({ topic, messages })));
}

export function createIngress(options: IngressOptions): Ingress {
  const now = options.now ?? Date.now;
  const window = options.dedupeWindowMs ?? 0;
  const childrenOnly = options.dedupeChildrenOnly ?? true;
  const planOf = (dag: string): DagPlan => {
    const plan = options.plans.get(dag);
    if (!plan) throw new QuarryError('UNKNOWN_DAG', `cannot submit to unknown DAG \`${dag}\` (known: ${[...options.plans.keys()].join(', ')})`);
    return plan;
  };
  const entryOut = (plan: DagPlan, t: Trigger, value = encodeTrigger(t)): Outgoing => {
    telemetry.triggerBytes(plan.name, plan.entry, value.length);
    return { topic: laneTopic(plan.nodes.find((n) => n.id === plan.entry)!, t.priority), key: t.itemKey, value };
  };

  return {
    async submit(items) {
      const results: SubmitResult[] = new Array(items.length);
      const opening: { i: number; plan: DagPlan; trigger: Trigger; encoded: Uint8Array; tokens: string[]; open: OpenItem }[] = [];
      const seen = new Set<string>();
      items.forEach((item, i) => {
        const plan = planOf(item.dag);
        const missing = plan.source.filter((f) => item.source[f] === undefined);
        if (missing.length > 0) {
          results[i] = { itemKey: item.itemKey, status: 'rejected', reason: `source record lacks field(s) ${missing.join(', ')} required by DAG \`${plan.name}\`` };
          return;
        }
        const tenant = item.tenant ?? 'default';
        const resume = item.resume ? resumeOf(plan, item.resume) : undefined;
        if (typeof resume === 'string') {
          results[i] = { itemKey: item.itemKey, status: 'rejected', reason: resume };
          return;
        }
        // A replay (it names its origin) is meant to run again: its own id dedupes it, not its key.
        const dedupe = item.originId ? false : item.parentId ? true : !childrenOnly;
        if (dedupe) {
          const key = `${item.dag}\u0000${tenant}\u0000${item.itemKey}`;
          if (seen.has(key)) {
            results[i] = { itemKey: item.itemKey, messageId: '', status: 'duplicate' };
            return;
          }
          seen.add(key);
        }
        const messageId = assignMessageId(item, now(), window).messageId!;
        const traceparent = item.traceparent || newTraceparent();
        const createdMs = item.enqueuedMs ?? now();
        const trigger = entryTrigger(plan, item, messageId, createdMs, traceparent);
        const encoded = encodeTrigger(trigger);
        const fields = sourceFields(plan, item.source);
        for (const [f, v] of resume?.fields ?? []) fields.set(f, v);
        opening.push({
          i, plan, trigger, encoded, tokens: resume?.tokens ?? [entryToken(plan)],
          open: {
            ref: { dag: plan.name, messageId }, itemKey: item.itemKey, tokens: resume?.tokens ?? [entryToken(plan)], createdMs, traceId: traceIdOf(traceparent),
            priority: item.priority ?? 'normal', tenant, fields, trigger: encoded,
            ...(item.parentId ? { parentId: item.parentId } : {}), ...(item.originId ? { originId: item.originId } : {}),
            ...(dedupe ? { dedupe: { windowMs: window } } : {}),
          },
        });
      });
      const outcomes = await options.ledger.open(opening.map((o) => o.open));
      const out: Outgoing[] = [];
      const startOut = (plan: DagPlan, trigger: Trigger, encoded: Uint8Array, tokens: readonly string[]): Outgoing[] =>
        tokens[0] === entryToken(plan) ? [entryOut(plan, trigger, encoded)] : tokens.map((token) => tokenTrigger(plan, trigger, token));
      opening.forEach(({ i, plan, trigger, encoded, tokens }, j) => {
        const o = outcomes[j]!;
        const itemKey = trigger.itemKey;
        if (o.status === 'opened') {
          out.push(...startOut(plan, trigger, encoded, tokens));
          results[i] = { itemKey, messageId: trigger.messageId, status: 'accepted' };
          telemetry.submitted(plan.name, trigger.priority);
        } else if (o.status === 'in-flight') {
          if (o.reproduce) out.push(...startOut(plan, trigger, encoded, tokens));
          results[i] = { itemKey, messageId: trigger.messageId, status: 'duplicate' };
        } else {
          results[i] = { itemKey, messageId: o.status === 'duplicate' ? o.of : trigger.messageId, status: 'duplicate' };
        }
      });
      await produceAll(options.bus, out);
      return results;
    },

    async reopen(triggers) {
      if (triggers.length === 0) return;
      const opening = triggers.map((t) => {
        const plan = planOf(t.dag);
        const entry: Trigger = { ...t, node: plan.entry, fromNode: '', attempt: 0, notBeforeMs: 0, tupleVersion: 1 };
        const encoded = encodeTrigger(entry);
        const open: OpenItem = {
          ref: { dag: t.dag, messageId: t.messageId }, itemKey: t.itemKey, tokens: [entryToken(plan)], createdMs: t.createdMs, traceId: traceIdOf(t.traceparent),
          priority: t.priority, tenant: t.tenant, fields: sourceFields(plan, t.source), trigger: encoded,
          ...(t.parentId ? { parentId: t.parentId } : {}), ...(t.originId ? { originId: t.originId } : {}),
        };
        return { plan, entry, encoded, open };
      });
      const outcomes = await options.ledger.open(opening.map((o) => o.open));
      await produceAll(options.bus, opening.filter((_, j) => outcomes[j]!.status === 'opened' || (outcomes[j]!.status === 'in-flight' && (outcomes[j] as { reproduce: boolean }).reproduce)).map((o) => entryOut(o.plan, o.entry, o.encoded)));
    },
  };
}
