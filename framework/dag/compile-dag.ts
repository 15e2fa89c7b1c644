// The DAG compiler: validates a DagSpec and turns it into an immutable plan — topics, joins,
// field liveness (which writes are dead, which fields die after which node) — that the miner
// runs and `quarry plan` prints. Every problem names the node and the field.
import { QuarryError } from '../errors/index.ts';
import type { OperatorDescription } from '../wire/index.ts';
import type { DagSpec, NodeSpec, PriorityClass, ResourceClass, RetryPolicy } from './define-dag.ts';
import { checkRouting, routedOperators } from './routing-checks.ts';

export interface PlanNode {
  id: string;
  kind: 'operator' | 'filter' | 'defer';
  operator: string;
  topic: string;
  /** The node's lane for high-priority triggers, consumed on its own so they never queue behind the others. */
  highTopic: string;
  predecessors: string[];
  successors: string[];
  join: boolean;
  reads: string[];
  /** Declared writes that some later node reads or the DAG keeps: these reach the side-cache. */
  writes: string[];
  /** Declared writes nobody reads: never written. */
  deadWrites: string[];
  /** Fields no later node needs once this node completes: deleted then. */
  releases: string[];
  timeoutMs: number;
  retry: RetryPolicy;
  concurrency: number;
  resource: ResourceClass;
  fanOut: string[];
  fallback?: string;
  shadow?: { operator: string; share: number };
  /** Tenant → the operator that serves that tenant's items instead of `operator`. */
  pools?: Record<string, string>;
  filter?: { keep: (fields: Readonly<Record<string, unknown>>) => boolean; reason: string };
  defer?: { dag: string; fields: string[]; priority?: PriorityClass };
}

export interface DagPlan {
  name: string;
  version: number;
  entry: string;
  source: string[];
  blobs: string[];
  keep: string[];
  /** Blob fields handed to another DAG by a deferred edge: never deleted here. */
  handedOff: string[];
  nodes: PlanNode[];
  /** Nodes in a topological order. */
  order: string[];
  topics: { retry: string[]; deadLetter: string; quarantine: string };
}

export class DagCompileError extends QuarryError {
  readonly problems: readonly string[];
  constructor(dag: string, problems: readonly string[]) {
    super('DAG_INVALID', `DAG \`${dag}\` is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'DagCompileError';
    this.problems = problems;
  }
}

/** Delayed-retry tiers: a retry waits in the first tier at least as long as its backoff. */
export const RETRY_TIERS_MS = [1_000, 5_000, 20_000] as const;
const ID = /^[a-z][a-z0-9-]{0,62}$/;

/** Topic (and consumer group) of a node; the namespace keeps deployments on one Kafka apart. */
export const nodeTopic = (dag: string, node: string, namespace = 'quarry'): string => `${namespace}.${dag}.${node}`;

export interface CompileOptions {
  /** Operator descriptions by name (from `Describe`); when given, node fields are checked against them. */
  operators?: ReadonlyMap<string, OperatorDescription>;
  /** Prefix of every topic and consumer group (default `quarry`). */
  namespace?: string;
}

export function compileDag(spec: DagSpec, options: CompileOptions = {}): DagPlan {
  const problems: string[] = [];
  const ns = options.namespace ?? 'quarry';
  if (!/^[a-z][a-z0-9.-]{0,62}$/.test(ns)) problems.push(`namespace \`${ns}\` must be lower-case letters, digits, dots and dashes`);
  if (!ID.test(spec.name)) problems.push(`DAG name \`${spec.name}\` must be lower-case kebab-case`);
  const byId = new Map<string, NodeSpec>();
  for (const n of spec.nodes) {
    if (!ID.test(n.id)) problems.push(`node id \`${n.id}\` must be lower-case kebab-case (a-z, 0-9, -)`);
    if (byId.has(n.id)) problems.push(`duplicate node id \`${n.id}\``);
    byId.set(n.id, n);
  }
  if (!byId.has(spec.entry)) problems.push(`entry node \`${spec.entry}\` does not exist`);
  for (const n of spec.nodes) {
    for (const p of n.after ?? []) if (!byId.has(p)) problems.push(`node \`${n.id}\` comes after unknown node \`${p}\``);
    if (n.id === spec.entry && (n.after ?? []).length > 0) problems.push(`entry node \`${n.id}\` cannot have predecessors`);
  }
  if (problems.length > 0) throw new DagCompileError(spec.name, problems);

  const preds = new Map(spec.nodes.map((n) => [n.id, [...(n.after ?? [])]]));
  const succs = new Map(spec.nodes.map((n) => [n.id, [] as string[]]));
  for (const n of spec.nodes) for (const p of n.after ?? []) succs.get(p)!.push(n.id);

  const order = topoSort(spec.nodes.map((n) => n.id), preds);
  if (!order) {
    throw new DagCompileError(spec.name, [`the DAG has a cycle through ${findCycle(spec.nodes.map((n) => n.id), succs).map((x) => `\`${x}\``).join(' → ')}`]);
  }
  const reachable = reach(spec.entry, succs);
  for (const n of spec.nodes) if (!reachable.has(n.id)) problems.push(`node \`${n.id}\` is unreachable from the entry \`${spec.entry}\``);

  const ancestors = new Map<string, Set<string>>();
  for (const id of order) {
    const set = new Set<string>();
    for (const p of preds.get(id)!) {
      set.add(p);
      for (const a of ancestors.get(p)!) set.add(a);
    }
    ancestors.set(id, set);
  }
  const ordered = (a: string, b: string): boolean => ancestors.get(b)!.has(a) || ancestors.get(a)!.has(b);

  const readsOf = (n: NodeSpec): readonly string[] => (n.kind === 'defer' ? n.fields : n.reads);
  const writesOf = (n: NodeSpec): readonly string[] => (n.kind === 'filter' || n.kind === 'defer' ? [] : (n.writes ?? []));
  const writers = new Map<string, string[]>();
  for (const n of spec.nodes) for (const f of writesOf(n)) writers.set(f, [...(writers.get(f) ?? []), n.id]);
  const source = new Set(spec.source);

  for (const n of spec.nodes) {
    for (const f of readsOf(n)) {
      const upstream = (writers.get(f) ?? []).some((w) => ancestors.get(n.id)!.has(w));
      if (!upstream && !source.has(f)) problems.push(`node \`${n.id}\` reads field \`${f}\`, which no upstream node writes and the source does not provide`);
    }
  }
  for (const [f, ws] of writers) {
    for (let i = 0; i < ws.length; i++) {
      for (let j = i + 1; j < ws.length; j++) {
        if (!ordered(ws[i]!, ws[j]!)) problems.push(`field \`${f}\` is written by nodes \`${ws[i]}\` and \`${ws[j]}\`, which can run in parallel`);
      }
    }
  }
  for (const f of spec.keep) if (!writers.has(f) && !source.has(f)) problems.push(`kept field \`${f}\` is never written`);
  for (const f of spec.blobs) if (!writers.has(f) && !source.has(f)) problems.push(`blob field \`${f}\` is never written`);
  for (const n of spec.nodes) if (n.kind !== 'filter' && n.kind !== 'defer') problems.push(...checkRouting(n));
  if (options.operators) problems.push(...checkOperators(spec, options.operators));
  if (problems.length > 0) throw new DagCompileError(spec.name, problems);

  // Liveness: a write is live if a descendant reads it or the DAG keeps it; a field dies after a
  // reader that every other reader of it precedes.
  const readers = new Map<string, string[]>();
  for (const n of spec.nodes) for (const f of readsOf(n)) readers.set(f, [...(readers.get(f) ?? []), n.id]);
  const handedOff = [...new Set(spec.nodes.flatMap((n) => (n.kind === 'defer' ? n.fields.filter((f) => spec.blobs.includes(f)) : [])))];
  const pinned = new Set([...spec.keep, ...handedOff]);

  const nodes: PlanNode[] = order.map((id) => {
    const n = byId.get(id)!;
    const declared = writesOf(n);
    const live = declared.filter((f) => pinned.has(f) || (readers.get(f) ?? []).some((r) => ancestors.get(r)!.has(id)));
    const releases = readsOf(n).filter((f) => !pinned.has(f) && (readers.get(f) ?? []).every((r) => r === id || ancestors.get(id)!.has(r)) && !(writers.get(f) ?? []).some((w) => !ancestors.get(id)!.has(w) && w !== id));
    const base = {
      id,
      topic: nodeTopic(spec.name, id, ns),
      highTopic: `${nodeTopic(spec.name, id, ns)}.high`,
      predecessors: preds.get(id)!,
      successors: succs.get(id)!,
      join: preds.get(id)!.length > 1,
      reads: [...readsOf(n)],
      writes: live,
      deadWrites: declared.filter((f) => !live.includes(f)),
      releases,
      fanOut: [] as string[],
    };
    if (n.kind === 'filter') {
      return { ...base, kind: 'filter', operator: '', timeoutMs: 0, retry: spec.defaults.retry, concurrency: spec.defaults.concurrency, resource: 'cpu', filter: { keep: n.keep, reason: n.reason } };
    }
    if (n.kind === 'defer') {
      return { ...base, kind: 'defer', operator: '', timeoutMs: 0, retry: spec.defaults.retry, concurrency: spec.defaults.concurrency, resource: n.resource ?? 'gpu', fanOut: [n.dag], defer: { dag: n.dag, fields: [...n.fields], ...(n.priority ? { priority: n.priority } : {}) } };
    }
    return {
      ...base,
      kind: 'operator',
      operator: n.operator,
      timeoutMs: n.timeoutMs ?? spec.defaults.timeoutMs,
      retry: { ...spec.defaults.retry, ...n.retry },
      concurrency: n.concurrency ?? spec.defaults.concurrency,
      resource: n.resource ?? 'cpu',
      fanOut: [...(n.fanOut ?? [])],
      ...(n.fallback ? { fallback: n.fallback } : {}),
      ...(n.shadow ? { shadow: { operator: n.shadow.operator, share: n.shadow.share ?? 1 } } : {}),
      ...(n.pools && Object.keys(n.pools).length > 0 ? { pools: { ...n.pools } } : {}),
    };
  });

  return Object.freeze({
    name: spec.name,
    version: spec.version,
    entry: spec.entry,
    source: [...spec.source],
    blobs: [...spec.blobs],
    keep: [...spec.keep],
    handedOff,
    nodes,
    order,
    topics: {
      retry: RETRY_TIERS_MS.map((ms) => `${ns}.${spec.name}.retry-${ms / 1000}s`),
      deadLetter: `${ns}.${spec.name}.dlq`,
      quarantine: `${ns}.${spec.name}.quarantine`,
    },
  });
}

function checkOperators(spec: DagSpec, operators: ReadonlyMap<string, OperatorDescription>): string[] {
  const problems: string[] = [];
  for (const n of spec.nodes) {
    if (n.kind === 'filter' || n.kind === 'defer') continue;
    // The node's requests are shaped by its own operator's Describe (a blob as bytes or as a
    // reference): an operator it routes to must take every field it shares the same way.
    const primary = operators.get(n.operator);
    const primaryKinds = new Map(primary ? [...primary.inputs, ...primary.outputs].map((f) => [f.name, f.kind]) : []);
    for (const [role, name] of routedOperators(n)) {
      const op = operators.get(name);
      if (!op) {
        problems.push(`node \`${n.id}\`${role === 'operator' ? '' : ` (${role})`} names unknown operator \`${name}\` (known: ${[...operators.keys()].sort().join(', ') || 'none'})`);
        continue;
      }
      const inputs = new Map(op.inputs.map((f) => [f.name, f]));
      const outputs = new Map(op.outputs.map((f) => [f.name, f]));
      for (const f of n.reads) if (!inputs.has(f)) problems.push(`node \`${n.id}\` reads field \`${f}\`, but operator \`${name}\` has no input \`${f}\` (inputs: ${[...inputs.keys()].join(', ')})`);
      for (const f of op.inputs) if (!f.optional && !n.reads.includes(f.name)) problems.push(`node \`${n.id}\` does not read field \`${f.name}\`, a required input of operator \`${name}\``);
      for (const f of n.writes ?? []) if (!outputs.has(f)) problems.push(`node \`${n.id}\` writes field \`${f}\`, but operator \`${name}\` has no output \`${f}\` (outputs: ${[...outputs.keys()].join(', ')})`);
      for (const f of [...op.inputs, ...op.outputs]) {
        const isBlob = spec.blobs.includes(f.name);
        const used = n.reads.includes(f.name) || (n.writes ?? []).includes(f.name);
        if (used && f.kind === 'blob' && !isBlob) problems.push(`node \`${n.id}\`: field \`${f.name}\` is a blob for operator \`${name}\` but not declared in the DAG's \`blobs\``);
        if (used && f.kind === 'json' && isBlob) problems.push(`node \`${n.id}\`: field \`${f.name}\` is JSON for operator \`${name}\` but declared as a blob in the DAG`);
        const theirs = primaryKinds.get(f.name);
        if (used && role !== 'operator' && theirs !== undefined && theirs !== f.kind) problems.push(`node \`${n.id}\` (${role}): operator \`${name}\` takes field \`${f.name}\` as ${f.kind}, but the node's operator \`${n.operator}\`, whose Describe shapes the requests, as ${theirs}`);
      }
    }
  }
  return problems;
}

function topoSort(ids: string[], preds: Map<string, string[]>): string[] | undefined {
  const indeg = new Map(ids.map((id) => [id, preds.get(id)!.length]));
  const out: string[] = [];
  const ready = ids.filter((id) => indeg.get(id) === 0);
  const succs = new Map(ids.map((id) => [id, [] as string[]]));
  for (const id of ids) for (const p of preds.get(id)!) succs.get(p)!.push(id);
  while (ready.length > 0) {
    const id = ready.shift()!;
    out.push(id);
    for (const s of succs.get(id)!) {
      indeg.set(s, indeg.get(s)! - 1);
      if (indeg.get(s) === 0) ready.push(s);
    }
  }
  return out.length === ids.length ? out : undefined;
}

function findCycle(ids: string[], succs: Map<string, string[]>): string[] {
  const state = new Map<string, 0 | 1 | 2>();
  const stack: string[] = [];
  let cycle: string[] = [];
  const visit = (id: string): boolean => {
    state.set(id, 1);
    stack.push(id);
    for (const s of succs.get(id)!) {
      if (state.get(s) === 1) {
        cycle = [...stack.slice(stack.indexOf(s)), s];
        return true;
      }
      if (!state.get(s) && visit(s)) return true;
    }
    stack.pop();
    state.set(id, 2);
    return false;
  };
  for (const id of ids) if (!state.get(id) && visit(id)) break;
  return cycle;
}

function reach(from: string, succs: Map<string, string[]>): Set<string> {
  const seen = new Set<string>([from]);
  const todo = [from];
  while (todo.length > 0) {
    for (const s of succs.get(todo.pop()!) ?? []) {
      if (seen.has(s)) continue;
      seen.add(s);
      todo.push(s);
    }
  }
  return seen;
}
