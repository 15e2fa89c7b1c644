import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { FilteredError, RetryLaterError } from '../errors/index.ts';
import { blob, defineOperator, serveOperators, type OperatorServer } from '../operator-sdk/index.ts';
import type { EchoRequest, Trigger } from '../wire/index.ts';
import { createOperatorClient, sameOutputs, shadow, tenantPools, withFallback, type ShadowComparison } from './index.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();

function trigger(over: Partial<Trigger> = {}): Trigger {
  return {
    messageId: 'm1', itemKey: 'k1', dag: 'd', dagVersion: 1, node: 'n', tupleRef: 'd:m1', tupleVersion: 1, priority: 'normal',
    tenant: 'acme', attempt: 0, deadlineMs: 0, traceparent: '', tracestate: '', parentId: '', fromNode: '', createdMs: 0, source: {}, notBeforeMs: 0,
    ...over,
  };
}

function request(operator: string, fields: Record<string, unknown>, blobs: Record<string, Uint8Array> = {}, over: Partial<Trigger> = {}): EchoRequest {
  return { trigger: trigger(over), operator, fields: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, enc.encode(JSON.stringify(v))])), blobs };
}

const servedBy: string[] = [];
const makeOps = (instance: string) => [
  defineOperator({
    name: 'upper', version: '1.0.0',
    inputs: { text: z.string().describe('text to shout') }, outputs: { upper: z.string(), by: z.string() },
    async handler({ text }, ctx) {
      servedBy.push(instance);
      if (text === 'slow') await sleep(2_000, undefined, { signal: ctx.signal }).catch(() => undefined);
      if (text === 'filter') throw new FilteredError('boring-text');
      if (text === 'later') throw new RetryLaterError(250, 'try again');
      if (text === 'boom') throw new Error('kaput');
      if (text === 'child') ctx.emit({ itemKey: 'c1', dag: 'other', source: { from: ctx.trigger.itemKey } });
      return { upper: text.toUpperCase(), by: instance };
    },
  }),
  defineOperator({
    name: 'size', version: '2.0.0', resource: 'gpu',
    inputs: { data: blob('some bytes') }, outputs: { size: z.number().int(), copy: blob() },
    async handler({ data }) {
      return { size: data.length, copy: data };
    },
  }),
];

describe('operator SDK server + operator client (real gRPC on loopback)', () => {
  let a: OperatorServer;
  let b: OperatorServer;
  before(async () => {
    a = await serveOperators(makeOps('a'), { port: 0, capacity: 4 });
    b = await serveOperators(makeOps('b'), { port: 0, capacity: 4 });
  });
  after(async () => {
    await a.close();
    await b.close();
  });

  it('answers OK with validated outputs, blobs and children', async () => {
    const client = createOperatorClient({ endpoints: [a.address] });
    const res = await client.echo({ request: request('upper', { text: 'child' }), deadline: Date.now() + 5_000 });
    assert.equal(res.status, 'OK');
    assert.equal(JSON.parse(dec.decode(res.fields.upper)), 'CHILD');
    assert.deepEqual(res.children, [{ itemKey: 'c1', dag: 'other', source: { from: 'k1' } }]);
    const bytes = new Uint8Array([1, 2, 3, 250]);
    const sized = await client.echo({ request: request('size', {}, { data: bytes }), deadline: Date.now() + 5_000 });
    assert.equal(JSON.parse(dec.decode(sized.fields.size)), 4);
    assert.deepEqual([...sized.blobs.copy!], [...bytes]);
    client.close();
  });

  it('maps handler outcomes to per-item statuses', async () => {
    const client = createOperatorClient({ endpoints: [a.address] });
    const call = (text: unknown) => client.echo({ request: request('upper', { text }), deadline: Date.now() + 5_000 });
    const filtered = await call('filter');
    assert.deepEqual([filtered.status, filtered.message], ['FILTERED', 'boring-text']);
    const later = await call('later');
    assert.deepEqual([later.status, later.retryAfterMs], ['RETRY', 250]);
    const boom = await call('boom');
    assert.deepEqual([boom.status, boom.message], ['FAILED', 'kaput']);
    const bad = await call(42);
    assert.equal(bad.status, 'FAILED');
    assert.equal(bad.errorCode, 'INPUT_INVALID');
    assert.match(bad.message, /input `text`/);
    const missing = await client.echo({ request: request('upper', {}), deadline: Date.now() + 5_000 });
    assert.match(missing.message, /missing required input `text`/);
    client.close();
  });

  it('describes declared fields and resource class', async () => {
    const client = createOperatorClient({ endpoints: [a.address] });
    const ops = await client.describe();
    const size = ops.find((o) => o.name === 'size');
    assert.equal(size?.resource, 'gpu');
    assert.deepEqual(size?.inputs, [{ name: 'data', kind: 'blob', description: 'some bytes', optional: false }]);
    assert.equal(ops.find((o) => o.name === 'upper')?.inputs[0]?.description, 'text to shout');
    const health = await client.health();
    assert.equal(health[0]?.serving, true);
    client.close();
  });

  it('balances calls over instances', async () => {
    const client = createOperatorClient({ endpoints: [a.address, b.address] });
    servedBy.length = 0;
    await Promise.all(Array.from({ length: 20 }, (_, i) => client.echo({ request: request('upper', { text: `x${i}` }), deadline: Date.now() + 5_000 })));
    const countA = servedBy.filter((s) => s === 'a').length;
    assert.ok(countA >= 5 && countA <= 15, `expected a roughly even split, got ${countA}/20 on a`);
    client.close();
  });

  it('enforces the deadline', async () => {
    const client = createOperatorClient({ endpoints: [a.address] });
    await assert.rejects(client.echo({ request: request('upper', { text: 'slow' }), deadline: Date.now() + 200 }), { code: 'DEADLINE_EXCEEDED', retryable: true });
    client.close();
  });

  it('treats RESOURCE_EXHAUSTED as backpressure, not failure', async () => {
    const client = createOperatorClient({ endpoints: [a.address], maxAttempts: 1 });
    const slow = Array.from({ length: 4 }, () => client.echo({ request: request('upper', { text: 'slow' }), deadline: Date.now() + 600 }).catch(() => undefined));
    await sleep(100);
    await assert.rejects(client.echo({ request: request('upper', { text: 'x' }), deadline: Date.now() + 2_000 }), { code: 'BACKPRESSURE', retryable: true });
    assert.equal(client.stats().resourceExhausted, 1);
    await Promise.all(slow);
    client.close();
  });

  it('retries on another instance when one is down, and opens its circuit', async () => {
    const dead = await serveOperators(makeOps('dead'), { port: 0 });
    const deadAddress = dead.address;
    await dead.close();
    const client = createOperatorClient({ endpoints: [deadAddress, b.address], failureThreshold: 2, openMs: 60_000 });
    for (let i = 0; i < 6; i++) {
      const res = await client.echo({ request: request('upper', { text: `y${i}` }), deadline: Date.now() + 5_000 });
      assert.equal(JSON.parse(dec.decode(res.fields.by)), 'b');
    }
    const inst = client.stats().instances.find((i) => i.endpoint === deadAddress);
    assert.equal(inst?.circuit, 'open');
    client.close();
  });

  it('fails retryably when no instance is reachable', async () => {
    const client = createOperatorClient({ endpoints: ['127.0.0.1:1'], maxAttempts: 2 });
    await assert.rejects(client.echo({ request: request('upper', { text: 'z' }), deadline: Date.now() + 3_000 }), { code: 'OPERATOR_UNAVAILABLE', retryable: true });
    client.close();
  });

  it('routes: fallback when the primary declines, tenant pools, shadow compared not used', async () => {
    const primary = createOperatorClient({ endpoints: [a.address] });
    const secondary = createOperatorClient({ endpoints: [b.address] });
    const fb = createOperatorClient({ endpoints: [a.address], interceptors: [withFallback((c) => secondary.echo({ ...c, request: { ...c.request, operator: 'upper', fields: { text: enc.encode('"rescued"') } } }))] });
    const res = await fb.echo({ request: request('upper', { text: 'boom' }), deadline: Date.now() + 5_000 });
    assert.equal(JSON.parse(dec.decode(res.fields.upper)), 'RESCUED');

    const pooled = createOperatorClient({ endpoints: [a.address], interceptors: [tenantPools({ vip: secondary.echo })] });
    const vip = await pooled.echo({ request: request('upper', { text: 'v' }, {}, { tenant: 'vip' }), deadline: Date.now() + 5_000 });
    assert.equal(JSON.parse(dec.decode(vip.fields.by)), 'b');
    const other = await pooled.echo({ request: request('upper', { text: 'v' }), deadline: Date.now() + 5_000 });
    assert.equal(JSON.parse(dec.decode(other.fields.by)), 'a');

    const seen: ShadowComparison[] = [];
    const shadowed = createOperatorClient({ endpoints: [a.address], interceptors: [shadow(secondary.echo, (c) => seen.push(c))] });
    const main = await shadowed.echo({ request: request('upper', { text: 's' }), deadline: Date.now() + 5_000 });
    assert.equal(JSON.parse(dec.decode(main.fields.by)), 'a', 'the primary answer is used');
    for (let i = 0; i < 50 && seen.length === 0; i++) await sleep(20);
    assert.equal(seen.length, 1);
    assert.equal(sameOutputs(seen[0]!.primary, seen[0]!.shadow!), false, 'outputs differ by instance name');
    for (const c of [primary, secondary, fb, pooled, shadowed]) c.close();
  });
});
