// What the clauses share: the client, the operator's Describe, the sample found, and what earlier
// clauses observed (answers, the flood's Health samples).
import { isDeepStrictEqual } from 'node:util';
import type { Sample } from './samples.ts';
import type { ContractClient, WireAnswer, WireDescription, WireHealth, WireItem } from './wire-client.ts';

export type ClauseStatus = 'pass' | 'fail' | 'skip';

export interface Verdict {
  status: ClauseStatus;
  detail: string;
}

export interface FloodObservation {
  calls: number;
  refused: number;
  healthSamples: WireHealth[];
  durationMs: number;
}

export interface Probe {
  client: ContractClient;
  desc: WireDescription;
  token?: string;
  sample?: Sample;
  /** Serial OK answers to sample variants 0..VARIANTS-1. */
  references: WireAnswer[];
  /** Every OK answer seen, for the declared-fields check. */
  okAnswers: WireAnswer[];
  flood?: FloodObservation;
}

export const VARIANTS = 4;
let sequence = 0;

export const pass = (detail: string): Verdict => ({ status: 'pass', detail });
export const fail = (detail: string): Verdict => ({ status: 'fail', detail });
export const skip = (detail: string): Verdict => ({ status: 'skip', detail });

/** An echo item for the probed operator; a fresh message id each time, a tenant as a miner sends. */
export function makeItem(p: Probe, inputs: Pick<WireItem, 'fields' | 'blobs'>, extra: Partial<WireItem> = {}): WireItem {
  sequence += 1;
  const id = `conformance-${process.pid}-${sequence}`;
  return {
    trigger: { messageId: id, itemKey: `conformance/${sequence}`, dag: 'conformance', node: 'check', tupleRef: `conformance/${id}`, originId: `origin-${id}`, tenant: 'conformance', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
    operator: p.desc.name,
    fields: inputs.fields,
    blobs: inputs.blobs,
    ...extra,
  };
}

export function noSample(p: Probe): Verdict | undefined {
  return p.sample ? undefined : skip('no input the kit could make was answered OK (give one with --sample)');
}

export const show = (a: WireAnswer): string => `${a.status}${a.errorCode ? `/${a.errorCode}` : ''}${a.message ? ` (${a.message.slice(0, 160)})` : ''}`;

/** Same status and outputs; numbers within 1e-3 (a model's float noise), bytes exactly. */
export function sameAnswer(a: WireAnswer, b: WireAnswer): boolean {
  if (a.status !== b.status || !sameKeys(a.fields, b.fields) || !sameKeys(a.blobs, b.blobs)) return false;
  for (const k of Object.keys(a.blobs)) if (Buffer.compare(Buffer.from(a.blobs[k]!), Buffer.from(b.blobs[k]!)) !== 0) return false;
  for (const k of Object.keys(a.fields)) {
    const x = parse(a.fields[k]!);
    const y = parse(b.fields[k]!);
    if (!close(x, y)) return false;
  }
  return true;
}

const sameKeys = (a: object, b: object): boolean => isDeepStrictEqual(Object.keys(a).sort(), Object.keys(b).sort());

export function parse(bytes: Uint8Array): unknown {
  return JSON.parse(Buffer.from(bytes).toString('utf8'));
}

function close(x: unknown, y: unknown): boolean {
  if (typeof x === 'number' && typeof y === 'number') return Math.abs(x - y) <= 1e-3 * Math.max(1, Math.abs(x), Math.abs(y));
  if (Array.isArray(x) && Array.isArray(y)) return x.length === y.length && x.every((v, i) => close(v, y[i]));
  if (x && y && typeof x === 'object' && typeof y === 'object') {
    const kx = Object.keys(x).sort();
    return isDeepStrictEqual(kx, Object.keys(y).sort()) && kx.every((k) => close((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k]));
  }
  return isDeepStrictEqual(x, y);
}
