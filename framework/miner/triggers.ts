// Trigger messages the miner and the ingress produce: an item's entry, a node's successors, a
// delayed retry. Small, references only; every one carries the item's message id.
import type { NewItem } from '../admission/index.ts';
import type { DagPlan, PlanNode } from '../dag/index.ts';
import { tupleRefOf } from '../item-ledger/index.ts';
import { telemetry } from '../telemetry/index.ts';
import { encodeTrigger, type Trigger } from '../wire/index.ts';

export interface Outgoing {
  topic: string;
  key: string;
  value: Uint8Array;
  /** A successor's trigger, which a chaining miner hands to the node in process when it hosts it. */
  successor?: true;
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

/** A trigger for `token` (`node<from`) of the item `t` belongs to. */
export function tokenTrigger(plan: DagPlan, t: Trigger, token: string): Outgoing {
  const cut = token.indexOf('<');
  const node = token.slice(0, cut);
  const fromNode = token.slice(cut + 1);
  const target = plan.nodes.find((n) => n.id === node);
  if (!target) throw new Error(`token \`${token}\` names no node of DAG \`${plan.name}\``);
  const next: Trigger = fromNode === ''
    ? { ...t, node, fromNode, attempt: 0, notBeforeMs: 0, tupleVersion: 1 }
    : { ...t, node, fromNode, attempt: 0, notBeforeMs: 0, tupleVersion: t.tupleVersion + 1 };
  const value = encodeTrigger(next);
  telemetry.triggerBytes(plan.name, node, value.length);
  return { topic: laneTopic(target, next.priority), key: t.itemKey, value };
}

/** The successor tokens of `node` for an item. */
export const successorTokens = (plan: DagPlan, nodeId: string): string[] =>
  plan.nodes.find((n) => n.id === nodeId)!.successors.map((s) => `${s}<${nodeId}`);
