import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { FilteredError, RetryLaterError } from '../errors/index.ts';
import { blob, defineOperator, serveOperators, type OperatorDefinition, type OperatorServer } from '../operator-sdk/index.ts';
import type { EchoRequest, EchoResponse, Trigger } from '../wire/index.ts';
import { compareOutputs, createOperatorClient, shadow, tenantPools, withFallback, type ShadowComparison } from './index.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();
const json = (res: EchoResponse | undefined, field: string): unknown => JSON.parse(dec.decode(res!.fields[field]!));

function trigger(over: Partial<Trigger> = {}): Trigger {
  return {
    messageId: 'm1', itemKey: 'k1', dag: 'd', dagVersion: 1, node: 'n', tupleRef: 'd:m1', tupleVersion: 1, priority: 'normal',
    tenant: 'acme', attempt: 0, deadlineMs: 0, traceparent: '', tracestate: '', parentId: '', fromNode: '', createdMs: 0, source: {}, notBeforeMs: 0,
    ...over,
  };
}
function request(operator: string, fields: Record<string, unknown>, blobs: Record<string, Uint8Array> = {}, over: Partial<Trigger> = {}, deadlineMs = Date.now() + 5_000): EchoRequest {
  return { trigger: trigger(over), operator, fields: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, enc.encode(JSON.stringify(v))])), blobs, deadlineMs };
}

const servedBy: string[] = [];
const calls = { upper: 0 };
const makeOps = (instance: string): OperatorDefinition[] => [
  defineOperator({
    name: 'upper', version: '1.0.0', maxBatch: 16,
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
    name: 'gentle', version: '1.0.0', description: 'the fallback: answers what upper declines, in its own way',
    inputs: { text: z.string() }, outputs: { upper: z.string(), by: z.string() },
    async handler({ text }) {
      return { upper: `gently ${text}`, by: `${instance}-gentle` };
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

/** An operator process that dies on a poison input; like a supervisor, the test starts it again on its port. */
async function crashable(name: string): Promise<{ address: string; crashes: () => number; close(): void }> {
  let crashes = 0;
  let closing = false;
  let child: ChildProcess;
  const start = (port: number): Promise<string> => new Promise((resolve, reject) => {
    child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./crashing-operator.test-helper.ts', import.meta.url)), name, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let at = port;
    createInterface({ input: child.stdout! }).once('line', (line) => {
      const listening = (JSON.parse(line) as { listening: string }).listening;
      at = Number(listening.split(':')[1]);
      resolve(listening);
    });
    child.once('exit', (code) => {
      if (closing) return;
      crashes += 1;
      reject(new Error(`exited ${code}`));
      void sleep(100).then(() => start(at));
    });
  });
  const address = await start(0);
  return { address, crashes: () => crashes, close: () => { closing = true; child.kill('SIGKILL'); } };
}

describe('operator SDK server + operator client (real gRPC on loopback)', () => {
  let a: OperatorServer;
  let b: OperatorServer;
  before(async () => {
    a = await serveOperators(makeOps('a'), { port: 0, capacity: 20 });
    b = await serveOperators(makeOps('b'), { port: 0, capacity: 20 });
  });
  after(async () => {
    await a.close();
    await b.close();
  });

  it('answers OK with validated outputs, blobs and children', async () => {
    const client = createOperatorClient({ endpoints: [a.address] });
    const res = await client.echo({ request: request('upper', { text: 'child' }), deadline: Date.now() + 5_000 });
    assert.equal(res.status, 'OK');
    assert.equal(json(res, 'upper'), 'CHILD');
    assert.deepEqual(res.children, [{ itemKey: 'c1', dag: 'other', source: { from: 'k1' } }]);
    const bytes = new Uint8Array([1, 2, 3, 250]);
    const sized = await client.echo({ request: request('size', {}, { data: bytes }), deadline: Date.now() + 5_000 });
    assert.equal(json(sized, 'size'), 4);
    assert.deepEqual([...sized.blobs.copy!], [...bytes]);
    client.close();
  });

  it('answers a batch item by item: one bad item never fails its batch-mates', async () => {
    const client = createOperatorClient({ endpoints: [a.address], maxBatch: 16 });
    const texts: unknown[] = ['x', 'filter', 'later', 'boom', 42, 'y'];
    const res = await client.echoBatch({ operator: 'upper', items: texts.map((text) => request('upper', { text })) });
    assert.deepEqual(res.map((r) => [r.status, r.errorCode]), [['OK', ''], ['FILTERED', 'FILTERED'], ['RETRY', 'RETRY_LATER'], ['FAILED', 'INTERNAL'], ['FAILED', 'INPUT_INVALID'], ['OK', '']]);
    assert.deepEqual([res[1]!.message, res[2]!.retryAfterMs, res[3]!.message], ['boring-text', 250, 'kaput']);
    assert.match(res[4]!.message, /input `text`/);
    const missing = await client.echo({ request: request('upper', {}), deadline: Date.now() + 5_000 });
    assert.match(missing.message, /missing required input `text`/);
    assert.equal(client.stats().calls, 2, 'the six items went in one EchoBatch call');
    client.close();
  });

  it('batches concurrent callers dynamically, up to the operator batch size', async () => {
    const client = createOperatorClient({ endpoints: [a.address], maxBatch: 16 });
    const results = await Promise.all(Array.from({ length: 4 }, (_, i) => client.echoBatch({ operator: 'upper', items: Array.from({ length: 8 }, (_, j) => request('upper', { text: `c${i}-${j}` })) })));
    assert.deepEqual(results.flat().map((r) => json(r, 'upper')), Array.from({ length: 32 }, (_, k) => `C${Math.floor(k / 8)}-${k % 8}`));
    assert.equal(client.stats().calls, 2, '32 items from 4 callers in 2 calls of 16');
    client.close();
  });

  it('describes declared fields, resource class and batch size', async () => {
    const client = createOperatorClient({ endpoints: [a.address] });
    const ops = await client.describe();
    const size = ops.find((o) => o.name === 'size');
    assert.equal(size?.resource, 'gpu');
    assert.deepEqual(size?.inputs, [{ name: 'data', kind: 'blob', description: 'some bytes', optional: false, maxBytes: 0 }]);
    const upper = ops.find((o) => o.name === 'upper');
    assert.deepEqual([upper?.inputs[0]?.description, upper?.maxBatch, upper?.batchNative, upper?.concurrency], ['text to shout', 16, false, 16]);
    const health = await client.health();
    assert.equal(health[0]?.serving, true);
    client.close();
  });

  it('spreads a batch over instances, one call each', async () => {
    const client = createOperatorClient({ endpoints: [a.address, b.address], maxBatch: 64 });
    servedBy.length = 0;
    const res = await client.echoBatch({ operator: 'upper', items: Array.from({ length: 20 }, (_, i) => request('upper', { text: `x${i}` })) });
    assert.ok(res.every((r) => r.status === 'OK'));
    assert.deepEqual([servedBy.filter((s) => s === 'a').length, servedBy.filter((s) => s === 'b').length], [10, 10]);
    assert.equal(client.stats().calls, 2);
    client.close();
  });

  it('answers an item whose deadline passes RETRY / DEADLINE_EXCEEDED while its batch-mates finish', async () => {
    const client = createOperatorClient({ endpoints: [a.address] });
    const res = await client.echoBatch({ operator: 'upper', items: [request('upper', { text: 'slow' }, {}, {}, Date.now() + 300), request('upper', { text: 'quick' }, {}, {}, Date.now() + 5_000)] });
    assert.deepEqual(res.map((r) => [r.status, r.errorCode]), [['RETRY', 'DEADLINE_EXCEEDED'], ['OK', '']]);
    client.close();
  });

  it('treats RESOURCE_EXHAUSTED as backpressure, not failure', async () => {
    const client = createOperatorClient({ endpoints: [a.address], maxAttempts: 1 });
    const slow = client.echoBatch({ operator: 'upper', items: Array.from({ length: 20 }, () => request('upper', { text: 'slow' }, {}, {}, Date.now() + 600)) });
    await sleep(100);
    const [res] = await client.echoBatch({ operator: 'upper', items: [request('upper', { text: 'x' })] });
    assert.deepEqual([res!.status, res!.errorCode], ['RETRY', 'BACKPRESSURE']);
    assert.equal(client.stats().resourceExhausted, 1);
    await slow;
    client.close();
  });

  it('retries on another instance when one is down, and opens its circuit', async () => {
    const dead = await serveOperators(makeOps('dead'), { port: 0 });
    const deadAddress = dead.address;
    await dead.close();
    const client = createOperatorClient({ endpoints: [deadAddress, b.address], failureThreshold: 2, openMs: 60_000 });
    for (let i = 0; i < 6; i++) {
      const res = await client.echo({ request: request('upper', { text: `y${i}` }), deadline: Date.now() + 5_000 });
      assert.equal(json(res, 'by'), 'b');
    }
    assert.equal(client.stats().instances.find((i) => i.endpoint === deadAddress)?.circuit, 'open');
    client.close();
  });

  it('answers RETRY / OPERATOR_UNAVAILABLE when no instance is reachable (backpressure, not poison)', async () => {
    const client = createOperatorClient({ endpoints: ['127.0.0.1:1'], maxAttempts: 2 });
    const res = await client.echo({ request: request('upper', { text: 'z' }), deadline: Date.now() + 3_000 });
    assert.deepEqual([res.status, res.errorCode], ['RETRY', 'OPERATOR_UNAVAILABLE']);
    client.close();
  });

  it('isolates an input that crashes instances: its batch-mates are answered, it is OPERATOR_CRASHED', async () => {
    const x = await crashable('x');
    const y = await crashable('y');
    const client = createOperatorClient({ endpoints: [x.address, y.address], maxAttempts: 6, failureThreshold: 100 });
    const texts = ['p', 'q', 'poison', 'r'];
    try {
      const res = await client.echoBatch({ operator: 'fragile', items: texts.map((text) => request('fragile', { text }, {}, {}, Date.now() + 30_000)) });
      assert.deepEqual(res.map((r) => r.status), ['OK', 'OK', 'FAILED', 'OK'], JSON.stringify(res.map((r) => [r.errorCode, r.message])));
      assert.equal(res[2]!.errorCode, 'OPERATOR_CRASHED');
      assert.ok(x.crashes() + y.crashes() >= 2);
    } finally {
      client.close();
      x.close();
      y.close();
    }
  });

  it('routes per item: fallback for declined items by name, tenant pools, shadow compared not used', async () => {
    const secondary = createOperatorClient({ endpoints: [b.address] });
    const fb = createOperatorClient({ endpoints: [a.address], interceptors: [withFallback(secondary.echoBatch, { operator: 'gentle' })] });
    const res = await fb.echoBatch({ operator: 'upper', items: [request('upper', { text: 'boom' }), request('upper', { text: 'fine' })] });
    assert.deepEqual(res.map((r) => [json(r, 'upper'), json(r, 'by')]), [['gently boom', 'b-gentle'], ['FINE', 'a']], 'only the declined item went to the fallback, by its name');
    const pooled = createOperatorClient({ endpoints: [a.address], interceptors: [tenantPools({ vip: secondary.echoBatch })] });
    const mixed = await pooled.echoBatch({ operator: 'upper', items: [request('upper', { text: 'v' }, {}, { tenant: 'vip' }), request('upper', { text: 'w' })] });
    assert.deepEqual(mixed.map((r) => json(r, 'by')), ['b', 'a']);
    const seen: ShadowComparison[] = [];
    const shadowed = createOperatorClient({ endpoints: [a.address], interceptors: [shadow(secondary.echoBatch, (c) => seen.push(c), { operator: 'upper' })] });
    const main = await shadowed.echo({ request: request('upper', { text: 's' }), deadline: Date.now() + 5_000 });
    assert.equal(json(main, 'by'), 'a', 'the primary answer is used');
    for (let i = 0; i < 50 && seen.length === 0; i++) await sleep(20);
    assert.equal(seen.length, 1);
    assert.deepEqual(compareOutputs(seen[0]!.primary, seen[0]!.shadow), { same: false, fields: { upper: true, by: false } });
    for (const c of [secondary, fb, pooled, shadowed]) c.close();
  });
});
