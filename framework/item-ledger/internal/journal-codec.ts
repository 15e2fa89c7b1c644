// How the LMDB journal stores an item: a live item's whole coordination state (tokens, leases,
// joins, history), an ended item's record, and the by-key index entry — as plain values LMDB's
// msgpack encodes, plus the keys they are stored under.
import { createHash } from 'node:crypto';
import type { EarlyEnd, ItemEvent, ItemRecord } from '../item-ledger.ts';
import type { ItemMeta } from './item-record.ts';
import { cleanEvent } from './ledger-input.ts';
import { LiveItem } from './live-item.ts';

export interface StoredLive {
  m: ItemMeta;
  o: string[];
  d: string[];
  l: [token: string, owner: string, expiresMs: number][];
  x: string[];
  /** Chained claims (absent when none). */
  n?: string[];
  s: [token: string, successors: string[]][];
  a: [node: string, from: string[]][];
  f: [node: string, from: string][];
  e?: EarlyEnd;
  k: Record<string, string>;
  v: ItemEvent[];
  r: number;
  /** The entry trigger. */
  t?: Uint8Array;
}

/** What is left of an item once it ends: its record, history and when both are forgotten. */
export interface StoredEnded {
  record: Omit<ItemRecord, 'events'>;
  events: ItemEvent[];
  expiresMs: number;
}

/** The by-key index: the latest item with a key, live or ended (and when). */
export interface StoredKey {
  messageId: string;
  live: boolean;
  endedMs?: number;
}

/** A copy: the item goes on changing in memory before the copy is written. */
export function encodeLive(item: LiveItem): StoredLive {
  const out: StoredLive = {
    m: item.meta, o: [...item.open], d: [...item.done], l: [...item.leases].map(([t, l]) => [t, l.owner, l.expiresMs]), x: [...item.everClaimed], ...(item.chained.size > 0 ? { n: [...item.chained] } : {}),
    s: [...item.successors], a: [...item.arrivals].map(([n, from]) => [n, [...from]]), f: [...item.fired], k: { ...item.kept }, v: [...item.events], r: item.redrives,
  };
  if (item.end) out.e = item.end;
  if (item.trigger) out.t = item.trigger;
  return out;
}

export function decodeLive(s: StoredLive): LiveItem {
  const item = new LiveItem(s.m, s.o);
  item.done = new Set(s.d);
  item.leases = new Map(s.l.map(([t, owner, expiresMs]) => [t, { owner, expiresMs }]));
  item.everClaimed = new Set(s.x);
  item.chained = new Set(s.n ?? []);
  item.successors = new Map(s.s);
  item.arrivals = new Map(s.a.map(([n, from]) => [n, new Set(from)]));
  item.fired = new Map(s.f);
  if (s.e) item.end = s.e;
  item.kept = s.k;
  item.events = s.v;
  item.redrives = s.r;
  if (s.t) item.trigger = new Uint8Array(s.t);
  return item;
}

export function endedRecord(e: StoredEnded): ItemRecord {
  return { ...e.record, ...(e.record.kept ? { kept: { ...e.record.kept } } : {}), events: e.events.map(cleanEvent) };
}

// LMDB keys are at most 1978 bytes; item keys are URLs of any length. A long part is stored by
// its digest (the record itself keeps the full text).
const LONGEST_PART = 400;
const part = (s: string): string => (Buffer.byteLength(s) <= LONGEST_PART ? s : `#sha256:${createHash('sha256').update(s).digest('hex')}`);

export type Key = string[];
export const itemKeyOf = (dag: string, messageId: string): Key => [part(dag), part(messageId)];
export const indexKeyOf = (dag: string, tenant: string | undefined, itemKey: string): Key => [part(dag), part(tenant ?? 'default'), part(itemKey)];
export const poisonKeyOf = (fingerprint: string): Key => [part(fingerprint)];
/** The expiry index sorts by time first: [expiresMs, kind, …the key of what expires]. */
export type ExpiryKey = [number, 'r' | 'p', ...string[]];
