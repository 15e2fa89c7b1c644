// Counting outcomes the same way in every adapter: one flat map of counter names to numbers,
// which the memory adapter keeps in a Map and the Redis adapter in one hash.
import { disagrees, type ShadowOutcome, type ShadowTally } from './shadow-log.ts';

/** Counter name → increment, for a batch of outcomes. */
export function increments(outcomes: readonly ShadowOutcome[]): Map<string, number> {
  const inc = new Map<string, number>();
  const add = (parts: readonly string[]): void => {
    const k = JSON.stringify(parts);
    inc.set(k, (inc.get(k) ?? 0) + 1);
  };
  for (const o of outcomes) {
    add([o.shadow, 'compared']);
    if (o.failed) add([o.shadow, 'failed']);
    else if (!disagrees(o)) add([o.shadow, 'agreed']);
    for (const [field, same] of Object.entries(o.fields)) add([o.shadow, same ? 'agree' : 'disagree', field]);
  }
  return inc;
}

/** Counters (as `increments` names them) → one tally per shadow operator, fields by name. */
export function tallies(counters: Iterable<[string, number]>): ShadowTally[] {
  const by = new Map<string, ShadowTally>();
  const fields = new Map<string, Map<string, { field: string; agree: number; disagree: number }>>();
  for (const [k, n] of counters) {
    let parts: unknown;
    try {
      parts = JSON.parse(k);
    } catch {
      continue;
    }
    if (!Array.isArray(parts) || typeof parts[0] !== 'string') continue;
    const [shadow, kind, field] = parts as [string, string, string?];
    let t = by.get(shadow);
    if (!t) by.set(shadow, (t = { shadow, compared: 0, agreed: 0, failed: 0, fields: [] }));
    if (kind === 'compared' || kind === 'agreed' || kind === 'failed') t[kind] += n;
    else if ((kind === 'agree' || kind === 'disagree') && field !== undefined) {
      let fs = fields.get(shadow);
      if (!fs) fields.set(shadow, (fs = new Map()));
      let f = fs.get(field);
      if (!f) fs.set(field, (f = { field, agree: 0, disagree: 0 }));
      f[kind] += n;
    }
  }
  for (const t of by.values()) t.fields = [...(fields.get(t.shadow)?.values() ?? [])].sort((a, b) => a.field.localeCompare(b.field));
  return [...by.values()].sort((a, b) => a.shadow.localeCompare(b.shadow));
}
