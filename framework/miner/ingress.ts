// The ingress: where an item enters a DAG. It writes the source record into the side-cache,
// opens the item in the ledger, and produces the trigger for the entry node. The gate sits in
// front of it; children and deferred edges reach it through an `ItemSink`.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { QuarryError } from '../errors/index.ts';
import type { TriggerBus } from '../bus/trigger-bus.ts';
import type { DagPlan } from '../dag/index.ts';
import type { ItemLedger, ItemRecord } from '../item-ledger/item-ledger.ts';
import type { SideCache } from '../side-cache/side-cache.ts';
import { telemetry } from '../telemetry/index.ts';
import { encodeTrigger, type Priority, type Trigger } from '../wire/index.ts';

export interface NewItem {
  dag: string;
  itemKey: string;
  source: Record<string, string>;
  priority?: Priority;
  tenant?: string;
  resource?: 'cpu' | 'gpu';
  traceparent?: string;
  parentId?: string;
  /** Fixed message id (re-drive, replays); random when absent. */
  messageId?: string;
  deadlineMs?: number;
}

/** Anything that takes new items: the ingress itself, or the gate in front of it. */
export interface ItemSink {
  submit(items: readonly NewItem[]): Promise<SubmitResult[]>;
}

export type SubmitResult = { itemKey: string; messageId: string; status: 'accepted' | 'duplicate' } | { itemKey: string; status: 'rejected'; reason: string; retryAfterMs?: number };

export interface IngressOptions {
  plans: ReadonlyMap<string, DagPlan>;
  bus: TriggerBus;
  sideCache: SideCache;
  ledger: ItemLedger;
  now?: () => number;
  /**
   * Skip an item whose key is already in flight in its DAG, or ended less than this long ago
   * (a page linked from many pages is crawled once). 0 = only in-flight duplicates.
   */
  dedupeWindowMs?: number;
  /** Only dedupe children (items with a parent); explicit submissions always enter. */
  dedupeChildrenOnly?: boolean;
}

const enc = new TextEncoder();

function windowedId(dag: string, itemKey: string, bucket: number): string {
  const h = createHash('sha256').update(`${dag}\u0000${itemKey}\u0000${bucket}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function newTraceparent(): string {
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
}

export function createIngress(options: IngressOptions): ItemSink {
  const now = options.now ?? Date.now;
  const window = options.dedupeWindowMs ?? 0;
  const childrenOnly = options.dedupeChildrenOnly ?? true;

  /** The record that makes this item a duplicate, or null when it should enter. */
  async function duplicateOf(item: NewItem): Promise<ItemRecord | null> {
    if (childrenOnly && !item.parentId) return null;
    // An explicit id (a re-drive, a replay) is deduplicated by id alone, in the ledger.
    if (item.messageId) return null;
    const rec = await options.ledger.findByKey(item.dag, item.itemKey);
    if (!rec) return null;
    if (rec.state === 'in-flight') return rec;
    return rec.endedMs !== undefined && now() - rec.endedMs < window ? rec : null;
  }

  /**
   * The same parent submits the same child again only when it is re-run after a crash, and the
   * crash may have come between opening the child and producing its trigger: the child would then
   * be in flight forever with no trigger. So produce its entry trigger again (at-least-once, like
   * successors): if the first one got out, the ledger turns this one into a no-op.
   */
  function isResubmission(item: NewItem, rec: ItemRecord): boolean {
    return rec.state === 'in-flight' && !!item.parentId && rec.parentId === item.parentId;
  }

  return {
    async submit(items) {
      const results: SubmitResult[] = [];
      const byTopic = new Map<string, { key: string; value: Uint8Array }[]>();
      const queue = (plan: DagPlan, trigger: Trigger): void => {
        const topic = plan.nodes.find((n) => n.id === plan.entry)!.topic;
        const value = encodeTrigger(trigger);
        telemetry.triggerBytes(plan.name, plan.entry, value.length);
        byTopic.set(topic, [...(byTopic.get(topic) ?? []), { key: trigger.itemKey, value }]);
      };
      const seen = new Set<string>();
      for (const item of items) {
        const plan = options.plans.get(item.dag);
        if (!plan) throw new QuarryError('UNKNOWN_DAG', `cannot submit to unknown DAG \`${item.dag}\` (known: ${[...options.plans.keys()].join(', ')})`);
        const missing = plan.source.filter((f) => item.source[f] === undefined);
        if (missing.length > 0) {
          results.push({ itemKey: item.itemKey, status: 'rejected', reason: `source record lacks field(s) ${missing.join(', ')} required by DAG \`${plan.name}\`` });
          continue;
        }
        const dedupeKey = `${item.dag}\u0000${item.itemKey}`;
        const dup = item.parentId && seen.has(dedupeKey) ? 'seen' : await duplicateOf(item);
        if (dup) {
          if (dup !== 'seen' && isResubmission(item, dup)) {
            seen.add(dedupeKey);
            queue(plan, entryTrigger(plan, item, dup.messageId, dup.createdMs, item.traceparent || newTraceparent()));
          }
          results.push({ itemKey: item.itemKey, messageId: dup === 'seen' ? '' : dup.messageId, status: 'duplicate' });
          continue;
        }
        seen.add(dedupeKey);
        // A child's id is derived from its key within the dedupe window, so two miners emitting
        // the same child at once collide in the ledger (`open` is atomic) instead of both running.
        const messageId = item.messageId ?? (item.parentId && window > 0 ? windowedId(item.dag, item.itemKey, Math.floor(now() / window)) : randomUUID());
        const tupleRef = `${plan.name}:${messageId}`;
        const traceparent = item.traceparent || newTraceparent();
        const createdMs = now();
        const fields = new Map<string, Uint8Array>();
        for (const f of plan.source) {
          const v = item.source[f]!;
          fields.set(f, plan.blobs.includes(f) ? enc.encode(v) : enc.encode(JSON.stringify(v)));
        }
        await options.sideCache.write(tupleRef, fields);
        const opened = await options.ledger.open({
          ref: { dag: plan.name, messageId },
          itemKey: item.itemKey,
          tokens: [`${plan.entry}<`],
          createdMs,
          traceId: traceparent.split('-')[1] ?? '',
          ...(item.parentId ? { parentId: item.parentId } : {}),
          priority: item.priority ?? 'normal',
          tenant: item.tenant ?? 'default',
        });
        if (!opened) {
          // Known id: a live item keeps its tuple; an ended one must not get a stray tuple back.
          const existing = await options.ledger.get({ dag: plan.name, messageId });
          if (!existing || existing.state !== 'in-flight') await options.sideCache.deleteTuple(tupleRef);
          else if (isResubmission(item, existing)) queue(plan, entryTrigger(plan, item, messageId, existing.createdMs, traceparent));
          results.push({ itemKey: item.itemKey, messageId, status: 'duplicate' });
          continue;
        }
        queue(plan, entryTrigger(plan, item, messageId, createdMs, traceparent));
        results.push({ itemKey: item.itemKey, messageId, status: 'accepted' });
        telemetry.submitted(plan.name, item.priority ?? 'normal');
      }
      for (const [topic, messages] of byTopic) await options.bus.produce(topic, messages);
      return results;
    },
  };
}

function entryTrigger(plan: DagPlan, item: NewItem, messageId: string, createdMs: number, traceparent: string): Trigger {
  return {
    messageId,
    itemKey: item.itemKey,
    dag: plan.name,
    dagVersion: plan.version,
    node: plan.entry,
    tupleRef: `${plan.name}:${messageId}`,
    tupleVersion: 1,
    priority: item.priority ?? 'normal',
    tenant: item.tenant ?? 'default',
    attempt: 0,
    deadlineMs: item.deadlineMs ?? 0,
    traceparent,
    tracestate: '',
    parentId: item.parentId ?? '',
    fromNode: '',
    createdMs,
    source: item.source,
    notBeforeMs: 0,
  };
}
