// Chaining (MinerOptions.chain, `quarry miner --chain`) on real Kafka + Redis: a successor's
// trigger goes to its node in process, so a chained DAG's node topics after the entry stay empty
// while every item completes with its whole history; a failure in the middle of a chain (a
// commit lost, as a Redis blip or a dying process would) redelivers the batch that started it,
// and the ledger's repair sends what the chain left open through Kafka, so every item still
// ends once. The same run without `chain` puts every hop on Kafka. Chained, a successor's claim
// reads only the fields its predecessor did not hand on, and one that needs none is claimed by
// its predecessor's commit.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { defineDag } from '../framework/dag/index.ts';
import { createKafkaBus } from '../framework/bus/index.ts';
import { createRedisBlobStore } from '../framework/blob-store/index.ts';
import { createRedisItemLedger, type ItemLedger } from '../framework/item-ledger/index.ts';
import { createRedisClient } from '../framework/redis/index.ts';
import { defineOperator } from '../framework/operator-sdk/index.ts';
import { startRuntime } from '../framework/runtime/index.ts';
import { createRedisSideCache } from '../framework/side-cache/index.ts';
import { deleteMatching } from '../framework/testing/index.ts';

const KAFKA = (process.env.QUARRY_TEST_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const REDIS = process.env.QUARRY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6390';
const ns = `ch${randomBytes(4).toString('hex')}`;
const calls = new Map<string, number>();
const operators = [
  defineOperator({ name: 'ch-a', version: '1', inputs: { n: z.string() }, outputs: { m: z.number() }, handler: async ({ n }) => ({ m: Number(n) }) }),
  defineOperator({ name: 'ch-b', version: '1', inputs: { m: z.number() }, outputs: { b: z.number() }, handler: async ({ m }) => ({ b: m * 2 }) }),
  defineOperator({ name: 'ch-c', version: '1', inputs: { m: z.number() }, outputs: { c: z.number() }, handler: async ({ m }) => ({ c: m + 1 }) }),
  defineOperator({ name: 'ch-d', version: '1', inputs: { b: z.number(), c: z.number() }, outputs: { out: z.number() }, handler: async ({ b, c }, ctx) => {
    calls.set(ctx.trigger.itemKey, (calls.get(ctx.trigger.itemKey) ?? 0) + 1);
    return { out: b + c };
  } }),
  defineOperator({ name: 'ch-e', version: '1', inputs: { out: z.number(), n: z.string() }, outputs: { label: z.string() }, handler: async ({ out, n }) => ({ label: `${n}:${out}` }) }),
];
// e reads `n`, which d does not hold: it claims (reading n) instead of being claimed by d's commit.
const dagOf = (name: string) => defineDag({ name, version: 1, source: ['n'], keep: ['out', 'label'], defaults: { timeoutMs: 5_000, concurrency: 8 } }, [
  { id: 'a', operator: 'ch-a', reads: ['n'], writes: ['m'] },
  { id: 'b', operator: 'ch-b', after: ['a'], reads: ['m'], writes: ['b'] },
  { id: 'c', operator: 'ch-c', after: ['a'], reads: ['m'], writes: ['c'] },
  { id: 'd', operator: 'ch-d', after: ['b', 'c'], reads: ['b', 'c'], writes: ['out'] },
  { id: 'e', operator: 'ch-e', after: ['d'], reads: ['out', 'n'], writes: ['label'] },
]);

async function run(name: string, chain: boolean, tamper?: (ledger: ItemLedger) => void) {
  const namespace = `${ns}-${name}`;
  const bus = createKafkaBus({ brokers: KAFKA, clientId: namespace });
  const sideCache = createRedisSideCache({ redis: REDIS, namespace });
  const ledger = createRedisItemLedger({ redis: REDIS, namespace });
  const blobs = createRedisBlobStore({ redis: REDIS, namespace });
  tamper?.(ledger);
  const dag = dagOf(`chain-${name}-${ns}`);
  const rt = await startRuntime({ dags: [dag], operators, bus, sideCache, ledger, blobs, namespace, ...(chain ? { chain: true } : {}) });
  const keys = Array.from({ length: 40 }, (_, i) => `${name}-${i}`);
  try {
    await rt.submit(keys.map((k, i) => ({ dag: dag.name, itemKey: k, source: { n: String(i) } })));
    await rt.idle(60_000);
    const records = await Promise.all(keys.map((k) => rt.ledger.findByKey(dag.name, k)));
    const topics = Object.fromEntries(await Promise.all(['a', 'b', 'c', 'd', 'e'].map(async (n) => [n, (await bus.read(`${namespace}.${dag.name}.${n}`)).length] as const)));
    return { records, topics, keys };
  } finally {
    await rt.close();
    await Promise.all([bus.close(), sideCache.close(), ledger.close(), blobs.close()]);
  }
}

describe('chaining on Kafka + Redis', () => {
  after(async () => {
    const redis = createRedisClient(REDIS);
    await deleteMatching(redis, `${ns}*`);
    redis.disconnect();
  });

  it('hands each successor over in process: only the entry hop uses Kafka, and every item ends with its whole history', async () => {
    // What each node's claims read from the side-cache, by token, and the successors commits
    // claimed at once (`claimed:` + the committing token).
    const reads = (into: Map<string, Set<string>>) => (ledger: ItemLedger) => {
      const claim = ledger.claim.bind(ledger);
      const commit = ledger.commit.bind(ledger);
      const add = (k: string, v: string) => into.set(k, new Set([...(into.get(k) ?? []), v]));
      ledger.claim = async (claims, lease) => {
        for (const c of claims) add(c.token, c.reads.join(','));
        return claim(claims, lease);
      };
      ledger.commit = async (steps) => {
        for (const s of steps) if (s.claimNext) add(`claimed:${s.token}`, s.claimNext.tokens.join(','));
        return commit(steps);
      };
    };
    const chainedReads = new Map<string, Set<string>>();
    const chained = await run('on', true, reads(chainedReads));
    for (const [i, r] of chained.records.entries()) {
      assert.equal(r?.state, 'completed', JSON.stringify(r));
      assert.equal(r?.kept?.out, String(i * 2 + i + 1));
      assert.equal(r?.kept?.label, JSON.stringify(`${i}:${i * 2 + i + 1}`));
      assert.deepEqual(r?.events.filter((e) => e.status === 'ok').map((e) => e.node).sort(), ['a', 'b', 'c', 'd', 'e']);
    }
    assert.deepEqual(chained.topics, { a: 40, b: 0, c: 0, d: 0, e: 0 });
    // Handed on with what its predecessor held: b and c need no claim of their own (a wrote m,
    // all they read; a's commit claimed them), the join d reads only the other branch's field,
    // e only n (d holds out); the outputs above show the values were the right ones.
    const sets = (m: Map<string, Set<string>>) => Object.fromEntries([...m].map(([k, v]) => [k, [...v].sort()]));
    assert.deepEqual(sets(chainedReads), { 'a<': ['n'], 'claimed:a<': ['b<a,c<a'], 'd<b': ['c'], 'd<c': ['b'], 'e<d': ['n'] });
    const plainReads = new Map<string, Set<string>>();
    const plain = await run('off', false, reads(plainReads));
    assert.deepEqual(sets(plainReads), { 'a<': ['n'], 'b<a': ['m'], 'c<a': ['m'], 'd<b': ['b,c'], 'd<c': ['b,c'], 'e<d': ['out,n'] });
    assert.ok(plain.records.every((r) => r?.state === 'completed'));
    assert.deepEqual(plain.topics, { a: 40, b: 40, c: 40, d: 80, e: 40 }, 'without chaining every hop is a Kafka message (d: one per arrival)');
  });

  it('a commit lost in the middle of a chain: the entry batch comes again and its repair finishes every item once', async () => {
    let failed = 0;
    const result = await run('fail', true, (ledger) => {
      const commit = ledger.commit.bind(ledger);
      ledger.commit = async (steps) => {
        // The first commits of `d` fail after the ledger applied them half-way: here, not at all.
        if (failed < 2 && steps.some((s) => s.token.startsWith('d<'))) {
          failed++;
          throw new Error('connection lost (injected)');
        }
        return commit(steps);
      };
    });
    assert.equal(failed, 2);
    for (const r of result.records) assert.equal(r?.state, 'completed', JSON.stringify(r));
    for (const k of result.keys) assert.ok((calls.get(k) ?? 0) >= 1);
    const { b = 0, c = 0, d = 0 } = result.topics;
    assert.ok(b + c + d > 0, `the repair went through Kafka: ${JSON.stringify(result.topics)}`);
  });
});
