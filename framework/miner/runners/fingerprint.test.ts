// Quarantine's memory is keyed by the input, not the message: the same DAG, node, operator
// version and input bytes make the same fingerprint, whatever item carries them.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { EchoRequest } from '../../wire/index.ts';
import type { BatchContext } from '../work.ts';
import { fingerprintOf } from './operator.ts';

const enc = new TextEncoder();
const ctx = (dag: string, node: string) => ({ plan: { name: dag }, node: { id: node } }) as unknown as BatchContext;
const req = (fields: Record<string, string>, blobs: Record<string, Uint8Array> = {}, itemKey = 'k1', operator = 'ocr'): EchoRequest =>
  ({ trigger: { itemKey, messageId: `m-${itemKey}` }, operator, fields: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, enc.encode(v)])), blobs, deadlineMs: 0 }) as unknown as EchoRequest;

describe('poison fingerprints', () => {
  const base = fingerprintOf(ctx('d', 'n'), '1.0.0', req({ a: '1', b: '2' }, { img: Uint8Array.of(1) }));
  it('the same for the same input in another item (and another field order, or the fallback\'s name)', () => {
    assert.equal(fingerprintOf(ctx('d', 'n'), '1.0.0', req({ b: '2', a: '1' }, { img: Uint8Array.of(1) }, 'k2', 'ocr-big')), base);
  });
  it('different for another DAG, node, operator version, field value or blob', () => {
    const others = [
      fingerprintOf(ctx('e', 'n'), '1.0.0', req({ a: '1', b: '2' }, { img: Uint8Array.of(1) })),
      fingerprintOf(ctx('d', 'm'), '1.0.0', req({ a: '1', b: '2' }, { img: Uint8Array.of(1) })),
      fingerprintOf(ctx('d', 'n'), '1.0.1', req({ a: '1', b: '2' }, { img: Uint8Array.of(1) })),
      fingerprintOf(ctx('d', 'n'), '1.0.0', req({ a: '1', b: '3' }, { img: Uint8Array.of(1) })),
      fingerprintOf(ctx('d', 'n'), '1.0.0', req({ a: '1', b: '2' }, { img: Uint8Array.of(2) })),
      fingerprintOf(ctx('d', 'n'), '1.0.0', req({ a: '1', b: '2' })),
    ];
    assert.equal(new Set([base, ...others]).size, others.length + 1);
  });
});
