// A node's consumer groups and the triggers waiting for it, as every reader of lag names them.
import type { TriggerBus } from '../bus/trigger-bus.ts';
import type { PlanNode } from '../dag/index.ts';

/** A node's consumer group (one per lane) is named like its topic. */
export const nodeGroup = (topic: string): string => topic;

/** Triggers waiting for a node: the lag of both its lanes. */
export async function nodeLag(bus: Pick<TriggerBus, 'lag'>, node: Pick<PlanNode, 'topic' | 'highTopic'>): Promise<number> {
  const lanes = await Promise.all([node.topic, node.highTopic].map((topic) => bus.lag(nodeGroup(topic), [topic])));
  return lanes.flat().reduce((n, l) => n + l.lag, 0);
}
