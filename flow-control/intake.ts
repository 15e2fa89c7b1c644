import { NonRetryableError } from '../framework/errors/index.ts';
import { isPriority, type GateItem } from './gate-item.ts';

/** Accepted, or "try later": `reason` says which bound is full. */
export type SubmitResult = { accepted: number } | { rejected: 'try-later'; retryAfterMs: number; reason: string };
export type SubmitItem = Omit<GateItem, 'enqueuedMs'> & { enqueuedMs?: number };

/** Reject malformed items with one error naming every problem. */
export function normalizeItems(items: readonly SubmitItem[], nowMs: number): GateItem[] {
  const problems: string[] = [];
  const out = items.map((it, i) => {
    const at = `items[${i}]`;
    if (typeof it !== 'object' || it === null) { problems.push(`Expected \`${at}\` to be an object`); return it as GateItem; }
    for (const f of ['id', 'dag', 'itemKey', 'tenant'] as const) {
      if (typeof it[f] !== 'string' || it[f] === '') problems.push(`Expected \`${at}.${f}\` to be a non-empty string, got \`${String(it[f])}\` (${typeof it[f]})`);
    }
    if (!isPriority(it.priority)) problems.push(`Expected \`${at}.priority\` to be one of high, normal, low, got \`${String(it.priority)}\``);
    if (it.resource !== 'cpu' && it.resource !== 'gpu') problems.push(`Expected \`${at}.resource\` to be cpu or gpu, got \`${String(it.resource)}\``);
    if (typeof it.source !== 'object' || it.source === null) problems.push(`Expected \`${at}.source\` to be an object of strings`);
    return { ...it, enqueuedMs: it.enqueuedMs ?? nowMs } as GateItem;
  });
  if (problems.length > 0) throw new NonRetryableError(`Invalid gate items:\n  - ${problems.slice(0, 20).join('\n  - ')}`, { code: 'GATE_BAD_ITEM' });
  return out;
}
