// execBatch and scanKeys on the real Redis Cluster of the test command, including a client
// whose slot table is stale (as after a resharding or failover): the real nodes answer MOVED.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import calculateSlot from 'cluster-key-slot';
import { Cluster } from 'ioredis';
import { DEFAULT_TEST_REDIS_CLUSTER, deleteMatching } from '../testing/index.ts';
import { createRedisClient, execBatch, parseRedisUrl, scanKeys } from './index.ts';

const url = process.env.QUARRY_TEST_REDIS_CLUSTER ?? DEFAULT_TEST_REDIS_CLUSTER;
const run = `quarry-test:redis-batch:${randomUUID()}`;
const target = parseRedisUrl(url);
const seeds = target.kind === 'cluster' ? target.seeds : [];
let cluster: Cluster;

before(async () => {
  if (target.kind !== 'cluster') throw new Error(`QUARRY_TEST_REDIS_CLUSTER must name a cluster, got ${url}`);
  // No background slot refresh, so only MOVED replies can repair the table this test corrupts.
  cluster = new Cluster(seeds, { slotsRefreshInterval: 3_600_000, redisOptions: { maxRetriesPerRequest: 1 } });
  await cluster.ping().catch((err: unknown) => {
    throw new Error(`Redis Cluster is not reachable at ${url} (set QUARRY_TEST_REDIS_CLUSTER; scripts/services.sh starts it): ${String(err)}`);
  });
});
after(async () => {
  await deleteMatching(cluster, `${run}:*`);
  await cluster.quit();
});

const keys = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${run}:${tag}:${i}`);
const nodeOf = (key: string) => cluster.slots[calculateSlot(key)]![0]!;

/** Points one key's slot at another master in the client's table only (the server disagrees). */
function makeStale(key: string): { slot: number; truth: string } {
  const slot = calculateSlot(key);
  const truth = nodeOf(key);
  const wrong = cluster.nodes('master').map((n) => `${n.options.host}:${n.options.port}`).find((k) => k !== truth)!;
  cluster.slots[slot] = [wrong];
  cluster._groupsBySlot[slot] = cluster._groupsIds[wrong]!;
  return { slot, truth };
}

describe('execBatch / scanKeys on a Redis Cluster', () => {
  it('runs a batch whose keys live on every master, replies in order', async () => {
    const ks = keys(40, 'spread');
    assert.equal(new Set(ks.map(nodeOf)).size, 3);
    assert.deepEqual(await execBatch(cluster, ks.map((key, i) => ({ key, name: 'set', args: [key, String(i)] }))), ks.map(() => 'OK'));
    const got = await execBatch(cluster, ks.map((key) => ({ key, name: 'get', args: [key], buffer: true })));
    assert.deepEqual(got.map((b) => (b as Buffer).toString()), ks.map((_, i) => String(i)));
  });

  it('a write whose slot moved (MOVED from the real node) is sent again to the right node', async () => {
    const ks = keys(30, 'moved-write');
    const { slot, truth } = makeStale(ks[0]!);
    const replies = await execBatch(cluster, ks.map((key) => ({ key, name: 'set', args: [key, 'v'] })));
    assert.deepEqual(replies, ks.map(() => 'OK'));
    assert.equal(cluster.slots[slot]![0], truth, 'the MOVED reply repaired the slot table');
    assert.equal(await cluster.get(ks[0]!), 'v');
  });

  it('reads whose slot moved come back right too', async () => {
    const ks = keys(30, 'moved-read');
    await execBatch(cluster, ks.map((key, i) => ({ key, name: 'set', args: [key, String(i)] })));
    const { slot, truth } = makeStale(ks[3]!);
    const got = await execBatch(cluster, ks.map((key) => ({ key, name: 'get', args: [key] })));
    assert.deepEqual(got, ks.map((_, i) => String(i)));
    assert.equal(cluster.slots[slot]![0], truth);
  });

  it('a pipeline refused for a slot table changed under it falls back to single commands', async () => {
    const ks = keys(20, 'refused');
    const slot = calculateSlot(ks[0]!);
    const truthGroup = cluster._groupsBySlot[slot]!;
    const wrong = cluster.nodes('master').map((n) => `${n.options.host}:${n.options.port}`).find((k) => k !== nodeOf(ks[0]!))!;
    cluster.slots[slot] = [wrong]; // the groups ioredis checks still say otherwise: it refuses the pipeline
    try {
      assert.deepEqual(await execBatch(cluster, ks.map((key) => ({ key, name: 'set', args: [key, 'r'] }))), ks.map(() => 'OK'));
    } finally {
      cluster._groupsBySlot[slot] = truthGroup;
    }
    assert.equal(await cluster.get(ks[0]!), 'r');
  });

  it('a command error is an error, not a retry', async () => {
    const [key] = keys(1, 'wrongtype');
    await cluster.hset(key!, 'f', 'v');
    await assert.rejects(execBatch(cluster, [{ key: key!, name: 'get', args: [key!] }]), /WRONGTYPE/);
  });

  it('scanKeys sees the keys of every master; a single-node client scans its node', async () => {
    const ks = keys(25, 'scan');
    await execBatch(cluster, ks.map((key) => ({ key, name: 'set', args: [key, 'x'] })));
    const seen: string[] = [];
    for await (const page of scanKeys(cluster, `${run}:scan:*`, 7)) seen.push(...page);
    assert.deepEqual(seen.sort(), [...ks].sort());
    const one = createRedisClient(`redis://${seeds[0]!.host}:${seeds[0]!.port}`);
    try {
      const local: string[] = [];
      for await (const page of scanKeys(one, `${run}:scan:*`)) local.push(...page);
      assert.ok(local.length > 0 && local.length < ks.length, `one node holds some, not all: ${local.length}`);
    } finally {
      one.disconnect();
    }
  });
});
