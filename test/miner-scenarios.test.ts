import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { blob, defineOperator, serveOperators, type OperatorDefinition } from '../framework/operator-sdk/index.ts';
import { defineDag } from '../framework/dag/index.ts';
import { FilteredError, NonRetryableError, RetryLaterError } from '../framework/errors/index.ts';
import { createKafkaBus } from '../framework/bus/index.ts';
import { createRedisBlobStore } from '../framework/blob-store/index.ts';
import { createRedisItemLedger } from '../framework/item-ledger/index.ts';
import { createRedisSideCache } from '../framework/side-cache/index.ts';
import { startRuntime, type RuntimeOptions } from '../framework/runtime/index.ts';
import { tupleRefOf, type ItemLedger } from '../framework/item-ledger/index.ts';
import { decodeDeadLetter, encodeTrigger } from '../framework/wire/index.ts';

type Backends = Pick<RuntimeOptions, 'bus' | 'sideCache' | 'blobs' | 'ledger' | 'chain'> & { grpc?: boolean };

function kafkaRedis(chain: boolean): Backends {
  const redis = process.env.QUARRY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6390';
  const namespace = `scn-${Math.random().toString(36).slice(2, 8)}`;
  return {
    bus: createKafkaBus({ brokers: (process.env.QUARRY_TEST_KAFKA_BROKERS ?? '127.0.0.1:9092').split(','), clientId: namespace }),
    sideCache: createRedisSideCache({ redis, namespace }),
    blobs: createRedisBlobStore({ redis, namespace }),
    ledger: createRedisItemLedger({ redis, namespace }),
    grpc: true,
    ...(chain ? { chain: true } : {}),
  };
}

scenarios('the embedded adapters (operators in-process)', async () => ({}));
scenarios('Kafka + Redis (operators over gRPC)', async () => kafkaRedis(false));
// Chained: every successor trigger goes to its node in process; only entries, retries and repairs use Kafka.
scenarios('Kafka + Redis, chained (operators over gRPC)', async () => kafkaRedis(true));

/** Start the runtime on the backends; over gRPC the operators are served on loopback, as a deployment would. */
async function start(b: Backends, options: Omit<RuntimeOptions, 'operators'> & { operators: readonly OperatorDefinition[] }) {
  const { grpc, ...adapters } = b;
  if (!grpc) return { rt: await startRuntime({ ...options, ...adapters }), stop: async () => {} };
  const server = await serveOperators(options.operators, { port: 0 });
  const { operators: _served, ...rest } = options;
  const rt = await startRuntime({ ...rest, ...adapters, endpoints: [server.address] });
  return { rt, stop: () => server.close() };
}

/** Records the fields every commit writes to the side-cache (to show dead fields never are). */
function recordWrites(ledger: ItemLedger, written: Set<string>): void {
  const commit = ledger.commit.bind(ledger);
  ledger.commit = async (steps) => {
    for (const s of steps) for (const f of s.writes?.keys() ?? []) written.add(f);
    return commit(steps);
  };
}

function scenarios(label: string, backends: () => Promise<Backends>): void {
const suffix = Math.random().toString(36).slice(2, 8);
const MAIN = `main-${suffix}`;
const LEAF = `leaf-${suffix}`;
const calls = new Map<string, number>();
const count = (k: string) => calls.set(k, (calls.get(k) ?? 0) + 1);
const sinkSeen: string[] = [];

const ops = [
  defineOperator({ name: 'fetch', version: '1', inputs: { url: z.string() }, outputs: { body: blob(), size: z.number(), unused: z.string() },
    async handler({ url }, ctx) {
      count(`fetch:${url}`);
      if (url.includes('filtered')) throw new FilteredError('not-wanted');
      if (url.includes('bad')) throw new NonRetryableError('cannot fetch', { code: 'BAD_INPUT' });
      if (url.includes('flaky') && ctx.attempt < 2) throw new RetryLaterError(10, 'flaky upstream');
      if (url.includes('never')) throw new RetryLaterError(10, 'never works');
      const body = new TextEncoder().encode(`<html>${url}</html>`);
      return { body, size: body.length, unused: 'x' };
    } }),
  defineOperator({ name: 'split', version: '1', inputs: { body: blob() }, outputs: { words: z.number() },
    async handler({ body }, ctx) {
      const n = new TextDecoder().decode(body).length;
      if (ctx.trigger.source.children) for (let i = 0; i < Number(ctx.trigger.source.children); i++) ctx.emit({ itemKey: `${ctx.trigger.itemKey}#${i}`, dag: LEAF, source: { parent: ctx.trigger.itemKey } });
      return { words: n };
    } }),
  defineOperator({ name: 'measure', version: '1', inputs: { size: z.number(), body: blob() }, outputs: { kb: z.number() },
    async handler({ size }) { return { kb: size / 1024 }; } }),
  defineOperator({ name: 'sink', version: '1', inputs: { words: z.number(), kb: z.number() }, outputs: { summary: z.string() },
    async handler({ words, kb }, ctx) { sinkSeen.push(ctx.trigger.itemKey); return { summary: `${words}/${kb.toFixed(3)}` }; } }),
  defineOperator({ name: 'leaf', version: '1', inputs: { parent: z.string() }, outputs: { ok: z.boolean() },
    async handler() { return { ok: true }; } }),
];

const main = defineDag({ name: MAIN, source: ['url', 'children'], blobs: ['body'], keep: ['summary'], defaults: { retry: { maxAttempts: 3, backoffMs: 10, maxBackoffMs: 50 } } }, [
  { id: 'fetch', operator: 'fetch', reads: ['url'], writes: ['body', 'size', 'unused'] },
  { id: 'split', operator: 'split', after: ['fetch'], reads: ['body'], writes: ['words'], fanOut: [LEAF] },
  { id: 'measure', operator: 'measure', after: ['fetch'], reads: ['size', 'body'], writes: ['kb'] },
  { id: 'sink', operator: 'sink', after: ['split', 'measure'], reads: ['words', 'kb'], writes: ['summary'] },
]);
const leaf = defineDag({ name: LEAF, source: ['parent'] }, [{ id: 'leaf', operator: 'leaf', reads: ['parent'], writes: ['ok'] }]);

describe(`miner scenarios on ${label}`, () => {
  it('runs a join + fan-out DAG: every item ends once, joins fire once, side-cache ends empty', async () => {
    const b = await backends();
    const written = new Set<string>();
    const { rt, stop } = await start(b, { dags: [main, leaf], operators: ops });
    recordWrites(rt.ledger, written);
    try {
      const items = Array.from({ length: 40 }, (_, i) => ({ dag: MAIN, itemKey: `http://x/${i}`, source: { url: `http://x/${i}`, children: String(i % 3) } }));
      const res = await rt.submit(items);
      assert.ok(res.every((r) => r.status === 'accepted'));
      await rt.idle();
      const counts = await rt.ledger.counts(MAIN);
      assert.equal(counts.completed, 40);
      const leafCounts = await rt.ledger.counts(LEAF);
      assert.equal(leafCounts.completed, items.reduce((n, _, i) => n + (i % 3), 0), 'fan-out children all completed');
      assert.equal(new Set(sinkSeen).size, 40);
      assert.equal(sinkSeen.length, 40, 'the join fired exactly once per item');
      const rec = await rt.ledger.findByKey(MAIN, 'http://x/7');
      assert.equal(rec?.state, 'completed');
      assert.match(rec?.kept?.summary ?? '', /^"\d+\/0\.0\d+"$/);
      const child = await rt.ledger.findByKey(LEAF, 'http://x/7#0');
      assert.equal(child?.parentId, rec?.messageId, 'children carry their parent');
      assert.equal((await rt.sideCache.stats()).tuples, 0, 'no tuple is left behind');
      assert.equal((await rt.blobs.stats()).blobs, 0, 'no blob is left behind');
      assert.ok(written.has('body') && written.has('words') && written.has('summary'), [...written].join());
      assert.ok(!written.has('unused'), 'a field no later node reads is never written');
    } finally {
      await rt.close();
      await stop();
      await Promise.all([b.bus?.close(), b.sideCache?.close(), b.blobs?.close(), b.ledger?.close()]);
    }
  });

  it('records every end: filtered with reason, dead-lettered (non-retryable and exhausted), retried to success', async () => {
    const b = await backends();
    const { rt, stop } = await start(b, { dags: [main, leaf], operators: ops });
    try {
      await rt.submit(['filtered', 'bad', 'flaky', 'never'].map((k) => ({ dag: MAIN, itemKey: k, source: { url: `http://x/${k}`, children: '0' } })));
      await rt.idle(30_000);
      const rec = async (k: string) => (await rt.ledger.findByKey(MAIN, k))!;
      assert.deepEqual([(await rec('filtered')).state, (await rec('filtered')).reason], ['filtered', 'not-wanted']);
      assert.equal((await rec('bad')).state, 'dead-lettered');
      assert.match((await rec('bad')).reason ?? '', /BAD_INPUT/);
      assert.equal((await rec('flaky')).state, 'completed');
      assert.equal(calls.get('fetch:http://x/flaky'), 3);
      assert.equal((await rec('never')).state, 'dead-lettered');
      assert.match((await rec('never')).reason ?? '', /retries exhausted after 3 attempt/);
      const letters = (await rt.bus.read(`quarry.${MAIN}.dlq`)).map((m) => decodeDeadLetter(m.value));
      assert.deepEqual(letters.map((l) => l.trigger?.itemKey).sort(), ['bad', 'never']);
      assert.ok(letters.every((l) => l.node === 'fetch' && l.traceId.length === 32));
      assert.equal((await rt.sideCache.stats()).tuples, 0);
    } finally {
      await rt.close();
      await stop();
      await Promise.all([b.bus?.close(), b.sideCache?.close(), b.blobs?.close(), b.ledger?.close()]);
    }
  });

  it('a deferred edge hands its blob to the next DAG, which releases it; an item filtered before the edge deletes it', async () => {
    const HAND = `hand-${suffix}`;
    const NEXT = `next-${suffix}`;
    const hand = defineDag({ name: HAND, source: ['url'], blobs: ['body'] }, [
      { id: 'fetch', operator: 'fetch', reads: ['url'], writes: ['body'] },
      { id: 'only-kept', kind: 'filter', after: ['fetch'], reads: ['url'], keep: (f) => !String(f.url).includes('drop'), reason: 'dropped-by-filter' },
      { id: 'to-next', kind: 'defer', after: ['only-kept'], dag: NEXT, fields: ['body'] },
    ]);
    const next = defineDag({ name: NEXT, source: ['body'], blobs: ['body'], keep: ['words'] }, [{ id: 'split', operator: 'split', reads: ['body'], writes: ['words'] }]);
    const b = await backends();
    const { rt, stop } = await start(b, { dags: [hand, next], operators: ops });
    try {
      await rt.submit(['keep-1', 'drop-1', 'keep-2'].map((k) => ({ dag: HAND, itemKey: k, source: { url: `http://x/${k}` } })));
      await rt.idle();
      assert.equal((await rt.ledger.findByKey(HAND, 'drop-1'))?.reason, 'dropped-by-filter');
      for (const k of ['keep-1', 'keep-2']) {
        const rec = await rt.ledger.findByKey(NEXT, k);
        assert.equal(rec?.state, 'completed');
        assert.equal(rec?.kept?.words, String(`<html>http://x/${k}</html>`.length), 'the next DAG read the handed-off bytes');
      }
      assert.equal((await rt.blobs.stats()).blobs, 0, 'every blob was released by its last owner');
      assert.equal((await rt.sideCache.stats()).tuples, 0);
    } finally {
      await rt.close();
      await stop();
      await Promise.all([b.bus?.close(), b.sideCache?.close(), b.blobs?.close(), b.ledger?.close()]);
    }
  });

  it('re-drives an item whose tuple was lost from its source record: it still completes, under its id', async () => {
    const b = await backends();
    const { rt, stop } = await start(b, { dags: [main, leaf], operators: ops });
    let victim = '';
    let lost = false;
    // Lose the tuple of the victim just as the `measure` node claims it (a Redis restart, say).
    const claim = rt.ledger.claim.bind(rt.ledger);
    rt.ledger.claim = async (claims, lease) => {
      if (!lost && claims.some((c) => c.ref.messageId === victim && c.token === 'measure<fetch')) {
        lost = true;
        await rt.sideCache.deleteTuple(tupleRefOf(MAIN, victim));
      }
      return claim(claims, lease);
    };
    try {
      const [r] = await rt.submit([{ dag: MAIN, itemKey: 'lost', source: { url: 'http://x/lost', children: '0' } }]);
      victim = r?.status === 'accepted' ? r.messageId : '';
      await rt.idle();
      assert.ok(lost, 'the tuple was lost mid-run');
      const rec = await rt.ledger.findByKey(MAIN, 'lost');
      assert.equal(rec?.state, 'completed', 'the re-driven item completed');
      assert.equal(rec?.messageId, victim, 'a re-drive keeps the message id (the sink sees one item)');
      assert.ok(rec?.events.some((e) => e.status === 'redriven' && /tuple missing/.test(e.detail ?? '')), JSON.stringify(rec?.events));
      assert.equal((await rt.sideCache.stats()).tuples, 0);
    } finally {
      await rt.close();
      await stop();
      await Promise.all([b.bus?.close(), b.sideCache?.close(), b.blobs?.close(), b.ledger?.close()]);
    }
  });

  it('dead-letters a malformed message without stopping the partition, and ignores a redelivered trigger', async () => {
    const b = await backends();
    const { rt, stop } = await start(b, { dags: [main, leaf], operators: ops });
    try {
      await rt.bus.produce(`quarry.${MAIN}.fetch`, [{ key: 'junk', value: new TextEncoder().encode('definitely not protobuf') }]);
      const [r] = await rt.submit([{ dag: MAIN, itemKey: 'after-junk', source: { url: 'http://x/after-junk', children: '0' } }]);
      await rt.idle();
      assert.equal((await rt.ledger.findByKey(MAIN, 'after-junk'))?.state, 'completed');
      const letters = (await rt.bus.read(`quarry.${MAIN}.dlq`)).map((m) => decodeDeadLetter(m.value));
      const junk = letters.find((l) => l.errorCode === 'BAD_TRIGGER');
      assert.equal(new TextDecoder().decode(junk?.raw), 'definitely not protobuf');
      // Redeliver the entry trigger of a completed item: nothing runs again.
      const before = calls.get('fetch:http://x/after-junk');
      const msgId = r?.status === 'accepted' ? r.messageId : '';
      await rt.bus.produce(`quarry.${MAIN}.fetch`, [{ key: 'after-junk', value: encodeTrigger({ messageId: msgId, itemKey: 'after-junk', dag: MAIN, dagVersion: 1, node: 'fetch', tupleRef: tupleRefOf(MAIN, msgId), tupleVersion: 1, priority: 'normal', tenant: 'default', attempt: 0, deadlineMs: 0, traceparent: '', tracestate: '', parentId: '', fromNode: '', createdMs: 0, source: {}, notBeforeMs: 0 }) }]);
      await rt.idle();
      await new Promise((res) => setTimeout(res, 200));
      assert.equal(calls.get('fetch:http://x/after-junk'), before, 'a redelivery of a done token does not call the operator');
    } finally {
      await rt.close();
      await stop();
      await Promise.all([b.bus?.close(), b.sideCache?.close(), b.blobs?.close(), b.ledger?.close()]);
    }
  });
});
}
