// Where a node's blob outputs are stored, and what an item keeps as its result.
import { createHash } from 'node:crypto';
import type { DagPlan } from '../dag/index.ts';
import type { Trigger } from '../wire/index.ts';

const dec = new TextDecoder();

/**
 * A blob the item owns is keyed by the item, so it is deleted with it (and a retry overwrites
 * it). A kept blob outlives the item and is never deleted by the DAG: it is keyed by its
 * content, so items racing on the same content (two links, one image) share one blob.
 */
export function blobKey(plan: DagPlan, t: Trigger, field: string, bytes: Uint8Array): string {
  if (!plan.keep.includes(field)) return `${t.tupleRef.replace(/[{}]/g, '')}/${field}`;
  return `${plan.name}/${field}/${createHash('sha256').update(bytes).digest('hex')}`;
}

/** A blob field's value in the tuple is the blob's reference, as raw UTF-8. */
export const blobRefOf = (value: Uint8Array): string => dec.decode(value);

/** The DAG's kept fields among a node's writes, as JSON text (blob fields: their reference). */
export function keptValues(plan: DagPlan, writes: ReadonlyMap<string, Uint8Array>): Record<string, string> | undefined {
  const kept = plan.keep.filter((f) => writes.has(f));
  if (kept.length === 0) return undefined;
  return Object.fromEntries(kept.map((f) => [f, dec.decode(writes.get(f)!)]));
}
