// A node's routing — fallback, shadow, tenant pools — names other operators: which ones, in
// which role, and the checks a declaration must pass before Describe is even asked.
import type { DagSpec, OperatorNodeSpec } from './define-dag.ts';

/** Every operator a node calls, with its role: the operator, its fallback, its shadow, its tenant pools. */
export function routedOperators(n: OperatorNodeSpec): [role: string, operator: string][] {
  return [
    ['operator', n.operator],
    ...(n.fallback ? [['fallback', n.fallback] as [string, string]] : []),
    ...(n.shadow?.operator ? [['shadow', n.shadow.operator] as [string, string]] : []),
    ...Object.entries(n.pools ?? {}).map(([tenant, op]): [string, string] => [`pool of tenant ${tenant}`, op]),
  ];
}

/** The operators a DAG's nodes call (routing included): what a miner needs described before it starts. */
export function dagOperators(spec: DagSpec): string[] {
  return [...new Set(spec.nodes.flatMap((n) => (n.kind === 'filter' || n.kind === 'defer' ? [] : routedOperators(n).map(([, op]) => op))))];
}

/** Who names each operator: `ocr-big` → ['ocr-ingest/ocr (fallback)'], for errors about missing ones. */
export function operatorUses(specs: readonly DagSpec[]): Map<string, string[]> {
  const uses = new Map<string, string[]>();
  for (const d of specs) {
    for (const n of d.nodes) {
      if (n.kind === 'filter' || n.kind === 'defer') continue;
      for (const [role, op] of routedOperators(n)) {
        let at = uses.get(op);
        if (!at) uses.set(op, (at = []));
        at.push(`${d.name}/${n.id}${role === 'operator' ? '' : ` (${role})`}`);
      }
    }
  }
  return uses;
}

/** Routing a node declares must name operators other than its own, and a share that is a fraction. */
export function checkRouting(n: OperatorNodeSpec): string[] {
  const problems: string[] = [];
  const named = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
  if (n.fallback !== undefined) {
    if (!named(n.fallback)) problems.push(`node \`${n.id}\`: \`fallback\` must name an operator`);
    else if (n.fallback === n.operator) problems.push(`node \`${n.id}\`: \`fallback\` names the node's own operator \`${n.operator}\``);
  }
  if (n.shadow !== undefined) {
    if (!named(n.shadow.operator)) problems.push(`node \`${n.id}\`: \`shadow.operator\` must name an operator`);
    else if (n.shadow.operator === n.operator) problems.push(`node \`${n.id}\`: \`shadow.operator\` names the node's own operator \`${n.operator}\``);
    const share = n.shadow.share ?? 1;
    if (typeof share !== 'number' || !(share > 0 && share <= 1)) problems.push(`node \`${n.id}\`: \`shadow.share\` must be a number above 0 and at most 1, got \`${String(share)}\``);
  }
  if (n.pools !== undefined) {
    if (typeof n.pools !== 'object' || n.pools === null || Array.isArray(n.pools)) problems.push(`node \`${n.id}\`: \`pools\` must map tenants to operator names`);
    else {
      for (const [tenant, op] of Object.entries(n.pools)) {
        if (!tenant) problems.push(`node \`${n.id}\`: \`pools\` has an empty tenant name`);
        if (!named(op)) problems.push(`node \`${n.id}\`: the pool of tenant \`${tenant}\` must name an operator`);
        else if (op === n.operator) problems.push(`node \`${n.id}\`: the pool of tenant \`${tenant}\` names the node's own operator \`${n.operator}\` (tenants without a pool are served by it already)`);
      }
    }
  }
  return problems;
}
