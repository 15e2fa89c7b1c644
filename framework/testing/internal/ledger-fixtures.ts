// Small builders the item-ledger contract and its property share.
import type { ItemRef, OpenItem, Step } from '../../item-ledger/index.ts';

export const T0 = 1_700_000_000_000;
export const LEASE = { owner: 'w1', leaseMs: 1000 };
export const enc = new TextEncoder();
const dec = new TextDecoder();
export const bytes = (v: unknown): Uint8Array => enc.encode(JSON.stringify(v));
export const fields = (o: Record<string, unknown>): Map<string, Uint8Array> => new Map(Object.entries(o).map(([k, v]) => [k, bytes(v)]));
export const text = (m: ReadonlyMap<string, Uint8Array> | null | undefined): Record<string, unknown> =>
  Object.fromEntries([...(m ?? new Map<string, Uint8Array>())].map(([k, v]) => [k, JSON.parse(dec.decode(v)) as unknown]));

let seq = 0;
export const nextSeq = (): number => ++seq;
export const uniqueRef = (dag = 'image-ingest'): ItemRef => ({ dag, messageId: `m-${process.pid}-${nextSeq()}` });
export const openItem = (ref: ItemRef, tokens: string[], extra: Partial<OpenItem> = {}): OpenItem => ({
  ref, itemKey: `https://example.com/${ref.messageId}.jpg`, tokens, createdMs: T0, fields: fields({ url: `u-${ref.messageId}` }), ...extra,
});
export const advance = (ref: ItemRef, token: string, extra: Partial<Step> = {}): Step => ({ ref, token, kind: 'advance', ...extra });

