// Resuming an item at a node (a dead letter's replay): which tuple fields the item can hold when
// it reaches the node, and the tokens and triggers that start it there.
import type { DagPlan } from '../dag/index.ts';

/** Every node upstream of `nodeId` (not itself). */
export function ancestorsOf(plan: DagPlan, nodeId: string): Set<string> {
  const out = new Set<string>();
  const visit = (id: string): void => {
    for (const p of plan.nodes.find((n) => n.id === id)?.predecessors ?? []) {
      if (out.has(p)) continue;
      out.add(p);
      visit(p);
    }
  };
  visit(nodeId);
  return out;
}

/** The fields an item can hold when it reaches `nodeId`: its source and what upstream nodes wrote. */
export function fieldsAt(plan: DagPlan, nodeId: string): string[] {
  const up = ancestorsOf(plan, nodeId);
  const fields = new Set(plan.source);
  for (const n of plan.nodes) if (up.has(n.id)) for (const f of n.writes) fields.add(f);
  return [...fields];
}

/** The tokens that start an item at `nodeId`: one per predecessor (a join fires once all arrive). */
export function resumeTokens(plan: DagPlan, nodeId: string): string[] {
  const node = plan.nodes.find((n) => n.id === nodeId);
  if (!node) throw new Error(`DAG \`${plan.name}\` has no node \`${nodeId}\` (nodes: ${plan.nodes.map((n) => n.id).join(', ')})`);
  return node.predecessors.length === 0 ? [`${nodeId}<`] : node.predecessors.map((p) => `${nodeId}<${p}`);
}
