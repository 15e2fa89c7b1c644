// Trigger messages the miner and the ingress produce: an item's entry, a node's successors, a
// delayed retry. Small, references only; every one carries the item's message id.
import type { NewItem } from '../admission/index.ts';
import type { DagPlan, PlanNode } from '../dag/index.ts';
import { tupleRefOf } from '../item-ledger/index.ts';
import { telemetry } from '../telemetry/index.ts';
import { encodeTrigger, type Trigger } from '../wire/index.ts';
import type { FieldValues } from '../side-cache/index.ts';

export interface Outgoing {
  topic: string;
  key: string;
  value: Uint8Array;
}

/**
 * A successor's trigger, not yet encoded: a chaining miner hands it (with the fields its
 * predecessor holds) to the node in process when it hosts it, and produces it otherwise.
 */
export interface Successor {
  topic: string;
  trigger: Trigger;
  /** What the predecessor read of the tuple and what it wrote. */
  read?: FieldValues;
  writes?: ReadonlyMap<string, Uint8Array>;
  /** The commit claimed it for this miner (Step.claimNext): it runs with no claim of its own. */
  claimed?: true;
}

/** The topic a node's trigger goes to: high priority has a lane of its own. */
export const laneTopic = (node: Pick<PlanNode, 'topic' | 'highTopic'>, priority: string): string => (priority === 'high' ? node.highTopic : node.topic);

/** The entry token of an item: the entry node, from nowhere. */
export const entryToken = (plan: DagPlan): string => `${plan.entry}<`;

export function entryTrigger(plan: DagPlan, item: NewItem, messageId: string, createdMs: number, traceparent: string): Trigger {
  return {
    messageId,
    itemKey: item.itemKey,
    dag: plan.name,
    dagVersion: plan.version,
    node: plan.entry,
    tupleRef: tupleRefOf(plan.name, messageId),
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
    originId: item.originId ?? '',
  };
}

const byId = new WeakMap<DagPlan, Map<string, PlanNode>>();

/** The plan's node `id` (undefined if it has none). */
export function nodeOf(plan: DagPlan, id: string): PlanNode | undefined {
  let nodes = byId.get(plan);
  if (!nodes) byId.set(plan, (nodes = new Map(plan.nodes.map((n) => [n.id, n]))));
  return nodes.get(id);
}

/** The trigger for `token` (`node<from`) of the item `t` belongs to, and its topic. */
export function nextTrigger(plan: DagPlan, t: Trigger, token: string): { topic: string; trigger: Trigger } {
  const cut = token.indexOf('<');
  const node = token.slice(0, cut);
  const fromNode = token.slice(cut + 1);
  const target = nodeOf(plan, node);
  if (!target) throw new Error(`token \`${token}\` names no node of DAG \`${plan.name}\``);
  const trigger: Trigger = fromNode === ''
    ? { ...t, node, fromNode, attempt: 0, notBeforeMs: 0, tupleVersion: 1 }
    : { ...t, node, fromNode, attempt: 0, notBeforeMs: 0, tupleVersion: t.tupleVersion + 1 };
  return { topic: laneTopic(target, trigger.priority), trigger };
}

/** A trigger message for `token` of the item `t` belongs to. */
export function tokenTrigger(plan: DagPlan, t: Trigger, token: string): Outgoing {
  const { topic, trigger } = nextTrigger(plan, t, token);
  return encodedTrigger(plan, topic, trigger);
}

export function encodedTrigger(plan: DagPlan, topic: string, trigger: Trigger): Outgoing {
  const value = encodeTrigger(trigger);
  telemetry.triggerBytes(plan.name, trigger.node, value.length);
  return { topic, key: trigger.itemKey, value };
}

/** The successor tokens of `node` for an item. */
export const successorTokens = (plan: DagPlan, nodeId: string): string[] =>
  plan.nodes.find((n) => n.id === nodeId)!.successors.map((s) => `${s}<${nodeId}`);
