// Chaining hands a successor the fields its predecessor already holds (what it read and what it
// wrote), so the successor's claim reads from the side-cache only the rest. A field may be handed
// on only where the tuple is sure to hold the same value when the successor runs: no node that
// runs before the successor and after (or beside) the predecessor writes it. For the edge b → d of
// a → {b, c} → d, a field that c writes is never handed on from b, even when b read it. Nor is a
// blob field `from` writes: the tuple holds the reference its commit writes, not the bytes.
import type { DagPlan, PlanNode } from '../dag/index.ts';
import type { FieldValues } from '../side-cache/index.ts';

const cache = new WeakMap<PlanNode, Map<PlanNode, readonly string[]>>();

/** The fields of `to`'s reads that `from` (a predecessor of `to`) may hand on in process. */
export function handOffFields(plan: DagPlan, from: PlanNode, to: PlanNode): readonly string[] {
  let edges = cache.get(from);
  if (!edges) cache.set(from, (edges = new Map()));
  let fields = edges.get(to);
  if (!fields) {
    const before = ancestorsOf(plan);
    const upstreamOfFrom = before.get(from.id)!;
    fields = to.reads.filter((f) => {
      if (!from.reads.includes(f) && !from.writes.includes(f)) return false;
      // A blob field's tuple value is the reference the commit writes, which `from` never holds.
      if (from.writes.includes(f) && plan.blobs.includes(f)) return false;
      // Every writer of f that runs before `to` runs before `from`, or is `from`.
      return plan.nodes.every((n) => !n.writes.includes(f) || !before.get(to.id)!.has(n.id) || n.id === from.id || upstreamOfFrom.has(n.id));
    });
    edges.set(to, fields);
  }
  return fields;
}

/** What `from` holds of `fields` after its commit: its writes over what it read. */
export function heldFields(fields: readonly string[], read: FieldValues | undefined, writes: ReadonlyMap<string, Uint8Array> | undefined): FieldValues {
  const out: FieldValues = new Map();
  for (const f of fields) {
    const v = writes?.get(f) ?? read?.get(f);
    if (v !== undefined) out.set(f, v);
  }
  return out;
}

function ancestorsOf(plan: DagPlan): Map<string, Set<string>> {
  const byId = new Map(plan.nodes.map((n) => [n.id, n]));
  const out = new Map<string, Set<string>>();
  const visit = (id: string): Set<string> => {
    let set = out.get(id);
    if (set) return set;
    set = new Set();
    for (const p of byId.get(id)!.predecessors) {
      set.add(p);
      for (const a of visit(p)) set.add(a);
    }
    out.set(id, set);
    return set;
  };
  for (const n of plan.nodes) visit(n.id);
  return out;
}
