// Input checks and errors shared by both ledgers, so they fail the same way on the same input.
import { ConfigError, QuarryError, describeValue } from '../../errors/index.ts';
import type { Claim, EarlyEnd, ItemEvent, ItemRef, OpenItem, Step } from '../item-ledger.ts';

export const DEFAULT_RETENTION_MS = 7 * 24 * 3600_000;
export const MAX_EVENTS = 50;
const TERMINAL_EARLY = new Set(['filtered', 'dead-lettered', 'quarantined']);

const bad = (what: string, expected: string, got: unknown): QuarryError =>
  new QuarryError('LEDGER_BAD_INPUT', `Expected \`${what}\` to be ${expected}, got ${describeValue(got)}`);

const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

export function checkRef(ref: ItemRef): void {
  // Braces would break the Redis Cluster hash tag `{dag#bucket}` that groups an item's keys.
  if (!isText(ref?.dag) || /[{}]/.test(ref.dag)) throw bad('dag', 'a non-empty string without braces', ref?.dag);
  if (!isText(ref.messageId) || /[{}]/.test(ref.messageId)) throw bad('messageId', 'a non-empty string without braces', ref.messageId);
}

export function checkTokens(tokens: readonly string[], what = 'tokens'): void {
  if (!Array.isArray(tokens)) throw bad(what, 'an array of non-empty strings', tokens);
  for (const token of tokens) if (!isText(token)) throw bad(`${what}[]`, 'a non-empty string', token);
}

export function checkOpenItem(item: OpenItem): void {
  checkRef(item?.ref);
  if (typeof item.itemKey !== 'string') throw bad('itemKey', 'a string', item.itemKey);
  if (!Number.isFinite(item.createdMs)) throw bad('createdMs', 'a finite number', item.createdMs);
  checkTokens(item.tokens);
  if (item.tokens.length === 0) throw bad('tokens', 'at least one token (an item with none could never end)', item.tokens);
  if (!(item.fields instanceof Map)) throw bad('fields', 'a Map of field name to bytes', item.fields);
  if (item.trigger !== undefined && !(item.trigger instanceof Uint8Array)) throw bad('trigger', 'the encoded entry trigger (bytes)', item.trigger);
  if (item.dedupe !== undefined && !(Number.isFinite(item.dedupe.windowMs) && item.dedupe.windowMs >= 0)) throw bad('dedupe.windowMs', 'a number ≥ 0', item.dedupe.windowMs);
}

export function checkStalled(o: { idleMs: number; limit: number }): void {
  if (!(Number.isFinite(o?.idleMs) && o.idleMs >= 0)) throw bad('idleMs', 'a number of milliseconds ≥ 0', o?.idleMs);
  if (!(Number.isInteger(o.limit) && o.limit > 0)) throw bad('limit', 'an integer > 0', o.limit);
}

export function checkClaim(c: Claim, lease: { owner: string; leaseMs: number }): void {
  checkRef(c?.ref);
  checkTokens([c.token], 'token');
  checkLease(lease?.owner, lease?.leaseMs);
  if (c.join) checkArrival(c.ref, c.join.node, c.join.from, c.join.expected);
}

export function checkStep(s: Step): void {
  checkRef(s?.ref);
  checkTokens([s.token], 'token');
  if (s.kind !== 'advance' && s.kind !== 'retry') throw bad('kind', 'advance or retry', s.kind);
  checkEnd(s.end);
  if (s.successors) checkTokens(s.successors, 'successors');
  if (s.event) checkEvent(s.event);
  if (s.claimNext) {
    checkLease(s.claimNext.owner, s.claimNext.leaseMs);
    checkTokens(s.claimNext.tokens, 'claimNext.tokens');
    const stray = s.claimNext.tokens.filter((t) => !(s.successors ?? []).includes(t));
    if (stray.length > 0) throw bad('claimNext.tokens', 'successors of the step', stray);
  }
  for (const v of Object.values(s.kept ?? {})) if (typeof v !== 'string') throw bad('kept', 'a map of field names to JSON text strings', s.kept);
}

export function checkLease(owner: string, leaseMs: number): void {
  if (!isText(owner)) throw bad('owner', 'a non-empty string', owner);
  if (!Number.isFinite(leaseMs) || leaseMs <= 0) throw bad('leaseMs', 'a number > 0', leaseMs);
}

export function checkArrival(ref: ItemRef, node: string, from: string, expected: readonly string[]): void {
  if (!isText(node)) throw bad('node', 'a non-empty string', node);
  checkTokens(expected, 'expected');
  if (!expected.includes(from)) {
    throw new QuarryError('JOIN_UNEXPECTED_ARRIVAL', `Join \`${node}\` of ${describeRef(ref)} expects arrivals from ${JSON.stringify(expected)}, got \`${from}\``);
  }
}

export function checkEnd(end: EarlyEnd | undefined): void {
  if (end === undefined) return;
  if (!TERMINAL_EARLY.has(end.state)) throw bad('end.state', 'filtered, dead-lettered or quarantined', end.state);
  if (typeof end.node !== 'string' || typeof end.reason !== 'string') throw bad('end', 'an object with string node and reason', end);
}

export function checkEvent(event: ItemEvent): void {
  if (!isText(event?.node) || !isText(event.status) || !Number.isFinite(event.atMs)) {
    throw bad('event', 'an object with node, status and a finite atMs', event);
  }
}

export function checkRetention(retentionMs: number | undefined): number {
  if (retentionMs === undefined) return DEFAULT_RETENTION_MS;
  if (!Number.isInteger(retentionMs) || retentionMs <= 0) {
    throw new ConfigError([{ field: 'retentionMs', expected: 'an integer > 0', received: retentionMs }], 'item ledger options');
  }
  return retentionMs;
}

export const describeRef = (ref: ItemRef): string => `item \`${ref.dag}/${ref.messageId}\``;

/** A copy without undefined fields, so both ledgers return identical records. */
export function cleanEvent(event: ItemEvent): ItemEvent {
  return JSON.parse(JSON.stringify(event)) as ItemEvent;
}
