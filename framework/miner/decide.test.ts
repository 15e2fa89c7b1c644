// The decision table, row by row: what an operator's answer does to an item.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileDag, defineDag } from '../dag/index.ts';
import type { EchoResponse, Trigger } from '../wire/index.ts';
import { backoffMs, decideAnswer, decideFilter, tryLater, type Decision } from './decide.ts';

const enc = new TextEncoder();
const plan = compileDag(defineDag({ name: 'd', source: ['url'], blobs: ['image'], keep: ['title', 'image'] }, [
  { id: 'n', operator: 'op', reads: ['url'], writes: ['title', 'image', 'unread'], retry: { maxAttempts: 3, backoffMs: 1_000, maxBackoffMs: 3_000 } },
  { id: 'keep', kind: 'filter', after: ['n'], reads: ['title'], keep: (f) => f.title !== 'spam', reason: 'spam' },
]));
const node = plan.nodes.find((n) => n.id === 'n')!;
const trigger = (attempt: number): Trigger => ({
  messageId: 'm', itemKey: 'k', dag: 'd', dagVersion: 1, node: 'n', tupleRef: 'd:m', tupleVersion: 1, priority: 'normal', tenant: 'default',
  attempt, deadlineMs: 0, traceparent: '', tracestate: '', parentId: '', fromNode: '', createdMs: 0, source: {}, notBeforeMs: 0,
});
const answer = (status: EchoResponse['status'], errorCode = '', over: Partial<EchoResponse> = {}): EchoResponse => ({
  status, errorCode, message: 'why', retryAfterMs: 0, fields: {}, blobs: {}, children: [], ...over,
});
const LAST = 2; // the third and last attempt of node `n`

type Row = [name: string, response: EchoResponse, attempt: number, knownPoison: boolean, expected: Partial<Decision> & { kind: Decision['kind'] }];
const rows: Row[] = [
  ['FILTERED ends the item, no letter', answer('FILTERED', 'FILTERED', { message: 'too-small' }), 0, false,
    { kind: 'end', state: 'filtered', reason: 'too-small', code: 'FILTERED', letter: false, poison: false, status: 'FILTERED' }],
  ['FILTERED without a code still says FILTERED', answer('FILTERED', '', { message: '' }), 0, false,
    { kind: 'end', state: 'filtered', reason: 'filtered', code: 'FILTERED', letter: false, poison: false, status: 'FILTERED' }],
  ['RETRY with attempts left: the next attempt after the backoff', answer('RETRY', 'UPSTREAM_503'), 1, false,
    { kind: 'retry', attempt: 2, delayMs: 2_000, code: 'UPSTREAM_503', reason: 'UPSTREAM_503: why', status: 'RETRY' }],
  ['RETRY: the operator\'s retry-after wins when longer', answer('RETRY', 'UPSTREAM_503', { retryAfterMs: 9_000 }), 0, false,
    { kind: 'retry', attempt: 1, delayMs: 9_000, status: 'RETRY' }],
  ['RETRY exhausted: dead-lettered', answer('RETRY', 'UPSTREAM_503'), LAST, false,
    { kind: 'end', state: 'dead-lettered', reason: 'retries exhausted after 3 attempt(s): UPSTREAM_503: why', code: 'UPSTREAM_503', letter: true, poison: false, status: 'DLQ' }],
  ['DEADLINE_EXCEEDED: the next attempt after the backoff, counted as a timeout', answer('RETRY', 'DEADLINE_EXCEEDED'), 1, false,
    { kind: 'retry', attempt: 2, delayMs: 2_000, code: 'DEADLINE_EXCEEDED', status: 'TIMEOUT' }],
  ['DEADLINE_EXCEEDED on the last attempt: dead-lettered (an input that always hangs does not wait for ever)', answer('RETRY', 'DEADLINE_EXCEEDED'), LAST, false,
    { kind: 'end', state: 'dead-lettered', reason: 'retries exhausted after 3 attempt(s): DEADLINE_EXCEEDED: why', code: 'DEADLINE_EXCEEDED', letter: true, poison: false, status: 'DLQ' }],
  ['DEADLINE_EXCEEDED of an input known to crash operators: a timeout, never quarantine', answer('RETRY', 'DEADLINE_EXCEEDED'), LAST, true,
    { kind: 'end', state: 'dead-lettered', poison: false, status: 'DLQ' }],
  ['BACKPRESSURE: waits, attempt unchanged, at least 500 ms', answer('RETRY', 'BACKPRESSURE', { retryAfterMs: 100 }), 1, false,
    { kind: 'retry', attempt: 1, delayMs: 500, code: 'BACKPRESSURE', status: 'BACKPRESSURE' }],
  ['BACKPRESSURE on the last attempt: still waits, never dead-lettered', answer('RETRY', 'BACKPRESSURE', { retryAfterMs: 2_000 }), LAST, false,
    { kind: 'retry', attempt: LAST, delayMs: 2_000, status: 'BACKPRESSURE' }],
  ['OPERATOR_UNAVAILABLE (no instance reachable) is backpressure', answer('RETRY', 'OPERATOR_UNAVAILABLE', { retryAfterMs: 1_000 }), LAST, false,
    { kind: 'retry', attempt: LAST, delayMs: 1_000, code: 'OPERATOR_UNAVAILABLE', status: 'BACKPRESSURE' }],
  ['OPERATOR_DROPPED, input not known: an ordinary retry', answer('RETRY', 'OPERATOR_DROPPED', { retryAfterMs: 1_000 }), 0, false,
    { kind: 'retry', attempt: 1, delayMs: 1_000, code: 'OPERATOR_DROPPED', status: 'RETRY' }],
  ['OPERATOR_DROPPED, input known to crash operators: quarantined at once', answer('RETRY', 'OPERATOR_DROPPED'), 0, true,
    { kind: 'end', state: 'quarantined', reason: 'OPERATOR_DROPPED: why (its input crashed operators before)', code: 'OPERATOR_DROPPED', letter: true, poison: true, status: 'QUARANTINE' }],
  ['OPERATOR_DROPPED exhausted, never confirmed on a second instance: dead-lettered, not quarantined', answer('RETRY', 'OPERATOR_DROPPED'), LAST, false,
    { kind: 'end', state: 'dead-lettered', reason: 'retries exhausted after 3 attempt(s): OPERATOR_DROPPED: why', letter: true, poison: false, status: 'DLQ' }],
  ['OPERATOR_CRASHED (crashed two instances): quarantined, remembered as poison', answer('FAILED', 'OPERATOR_CRASHED'), 0, false,
    { kind: 'end', state: 'quarantined', reason: 'OPERATOR_CRASHED: why', code: 'OPERATOR_CRASHED', letter: true, poison: true, status: 'QUARANTINE' }],
  ['FAILED: dead-lettered at once, whatever the attempts left', answer('FAILED', 'BAD_INPUT'), 0, false,
    { kind: 'end', state: 'dead-lettered', reason: 'BAD_INPUT: why', code: 'BAD_INPUT', letter: true, poison: false, status: 'FAIL' }],
  ['FAILED without a code says ERROR', answer('FAILED', ''), 0, false,
    { kind: 'end', state: 'dead-lettered', reason: 'ERROR: why', code: 'ERROR', status: 'FAIL' }],
  ['known poison matters only for a dropped call: a plain FAILED stays FAILED', answer('FAILED', 'BAD_INPUT'), 0, true,
    { kind: 'end', state: 'dead-lettered', poison: false, status: 'FAIL' }],
];

describe('decideAnswer: operator answer → item outcome', () => {
  for (const [name, response, attempt, knownPoison, expected] of rows) {
    it(name, () => {
      const d = decideAnswer({ plan, node, trigger: trigger(attempt), response, knownPoison });
      assert.deepEqual(Object.fromEntries(Object.keys(expected).map((k) => [k, (d as Record<string, unknown>)[k]])), expected);
    });
  }

  it('OK advances with the live writes (blobs apart, dead writes dropped) and the children', () => {
    const children = [{ itemKey: 'c', dag: 'd', source: {} }];
    const d = decideAnswer({ plan, node, trigger: trigger(2), response: answer('OK', '', { fields: { title: enc.encode('"t"'), unread: enc.encode('1') }, blobs: { image: Uint8Array.of(1, 2) }, children }) });
    assert.equal(d.kind, 'advance');
    if (d.kind !== 'advance') return;
    assert.equal(d.status, 'OK');
    assert.deepEqual([...d.writes.keys()], ['title']);
    assert.deepEqual([...d.blobOutputs], [['image', Uint8Array.of(1, 2)]]);
    assert.deepEqual(d.children, children);
  });

  it('a timeout stops waiting once the item\'s own deadline has passed: dead-lettered ITEM_EXPIRED, not quarantined', () => {
    const t = { ...trigger(0), deadlineMs: 10_000 };
    const before = decideAnswer({ plan, node, trigger: t, response: answer('RETRY', 'DEADLINE_EXCEEDED'), now: 9_999 });
    assert.deepEqual([before.kind, before.status], ['retry', 'TIMEOUT']);
    const after = decideAnswer({ plan, node, trigger: t, response: answer('RETRY', 'DEADLINE_EXCEEDED'), now: 10_000 });
    assert.deepEqual(after, { kind: 'end', state: 'dead-lettered', reason: 'the item\'s deadline passed (1970-01-01T00:00:10.000Z): DEADLINE_EXCEEDED: why', code: 'ITEM_EXPIRED', letter: true, poison: false, status: 'DLQ' });
    assert.equal(decideAnswer({ plan, node, trigger: trigger(0), response: answer('RETRY', 'DEADLINE_EXCEEDED'), now: 1e15 }).kind, 'retry', 'an item without a deadline goes on to its next attempt');
  });

  it('backoff doubles per attempt up to the node\'s maximum', () => {
    assert.deepEqual([0, 1, 2, 5].map((a) => backoffMs(node, a, 0)), [1_000, 2_000, 3_000, 3_000]);
  });
});

describe('decideFilter and tryLater', () => {
  const filter = plan.nodes.find((n) => n.id === 'keep')!;
  it('a filter keeps what passes and ends the rest with its reason', () => {
    assert.equal(decideFilter(filter, { title: 'ok' }).kind, 'advance');
    assert.deepEqual(decideFilter(filter, { title: 'spam' }), { kind: 'end', state: 'filtered', reason: 'spam', code: 'FILTERED', letter: false, poison: false, status: 'FILTERED' });
  });
  it('the gate\'s "try later" waits without spending an attempt', () => {
    assert.deepEqual(tryLater(trigger(1), 700), { kind: 'retry', attempt: 1, delayMs: 700, code: 'GATE_FULL', reason: 'the gate said try later (700 ms)', status: 'BACKPRESSURE' });
  });
});
