import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cassandraTestStore, cassandraTarget, relationStoreContract } from './testing/index.ts';
import { openCassandraStore } from './index.ts';
import { parseStoreSpec } from './open-store.ts';
import type cassandra from 'cassandra-driver';
import { everyNodeHoldsAll, holdsAll, packBatches, SHARED_PARTITIONS, SPREAD_PARTITIONS, type Stmt } from './internal/cassandra-batch.ts';

relationStoreContract('Cassandra', cassandraTestStore({ buckets: 16 }));

test('Cassandra: reopening a keyspace keeps its bucket count and schema version', async () => {
  const t = await cassandraTestStore({ buckets: 8 })();
  try {
    const again = await t.reopen();
    assert.equal(again.buckets, 8);
    const other = await openCassandraStore({ ...cassandraTarget(), keyspace: (again as unknown as { options: { keyspace: string } }).options.keyspace, buckets: 32 });
    assert.equal(other.buckets, 8, 'bucket count is fixed when the keyspace is created');
    await other.close();
  } finally {
    await t.dispose();
  }
});

test('store specs parse, and a bad one names what is expected', () => {
  assert.deepEqual(parseStoreSpec('cassandra:127.0.0.1:9042/quarry'), { kind: 'cassandra', contactPoints: ['127.0.0.1:9042'], keyspace: 'quarry', localDataCenter: 'datacenter1' });
  assert.deepEqual(parseStoreSpec('embedded:/tmp/x'), { kind: 'embedded', path: '/tmp/x' });
  assert.throws(() => parseStoreSpec('redis://x'), /Expected `store` to be `embedded:<dir>`/);
});

test('Cassandra: where every node holds every partition (one node, rf 1), a batch covers many partitions; elsewhere fewer than 10', async () => {
  const t = await cassandraTestStore({ buckets: 16 })();
  try {
    const store = t.store as unknown as { client: cassandra.Client; options: { keyspace: string } };
    const { client } = store;
    assert.equal(everyNodeHoldsAll(client, store.options.keyspace), true);
    assert.equal(everyNodeHoldsAll(client, 'no_such_keyspace'), false);

    const sizes: number[] = [];
    const batch = client.batch.bind(client);
    client.batch = ((queries: { params: unknown[] }[], options: cassandra.QueryOptions) => {
      // Distinct link partitions (the forward rows: a link's URL first; the reverse rows start with a bucket).
      sizes.push(new Set(queries.flatMap((q) => (typeof q.params[0] === 'string' ? [q.params[0]] : []))).size);
      return batch(queries as never, options);
    }) as typeof client.batch;
    const links = Array.from({ length: 200 }, (_, i) => `http://x.example/${i}.jpg`);
    await t.store.apply({ ocEdges: links.map((link, i) => ({ link, sign: `s${i}`, crawledAtMs: 1, oVersion: 1 })) });
    assert.ok(Math.max(...sizes) > 10, `a batch over more than 10 link partitions, got ${sizes.join(',')}`);
    const read = await t.store.readLinks(links);
    assert.deepEqual(read.map((r) => r.contents.map((e) => e.sign)), links.map((_, i) => [`s${i}`]));
  } finally {
    await t.dispose();
  }
});

test('batches: single-row partitions are packed up to the partition cap, a partition\'s rows stay together', () => {
  const stmts: Stmt[] = [
    ...Array.from({ length: 100 }, (_, i) => ({ query: 'q', params: [i], partition: `o|${i}` })),
    ...Array.from({ length: 20 }, (_, i) => ({ query: 'q', params: [i], partition: 'c|1' })),
  ];
  const spread = packBatches(stmts, SPREAD_PARTITIONS);
  const shared = packBatches(stmts, SHARED_PARTITIONS);
  const parts = (b: Stmt[]) => new Set(b.map((s) => s.partition)).size;
  assert.ok(spread.every((b) => parts(b) <= 8), 'at most 8 partitions a batch');
  assert.ok(shared.every((b) => b.length <= 64) && Math.max(...shared.map(parts)) > 10);
  for (const batches of [spread, shared]) {
    assert.equal(batches.flat().length, stmts.length);
    assert.equal(batches.filter((b) => b.some((s) => s.partition === 'c|1')).length, 1, 'the 20 rows of one partition in one batch');
  }
  assert.ok(shared.length < spread.length / 4, `${shared.length} batches against ${spread.length}`);
});

test('batches: every node holds every partition when the replicas per data centre cover its nodes', () => {
  const nodes = (...dcs: string[]) => dcs.map((datacenter) => ({ datacenter }));
  const simple = (rf: string) => ({ strategy: 'org.apache.cassandra.locator.SimpleStrategy', strategyOptions: { replication_factor: rf } });
  const nts = (o: Record<string, string>) => ({ strategy: 'org.apache.cassandra.locator.NetworkTopologyStrategy', strategyOptions: o });
  assert.equal(holdsAll(simple('1'), nodes('dc1')), true);
  assert.equal(holdsAll(simple('3'), nodes('dc1', 'dc1', 'dc1')), true);
  assert.equal(holdsAll(simple('3'), nodes('dc1', 'dc1', 'dc1', 'dc1')), false, 'four nodes, three replicas');
  assert.equal(holdsAll(nts({ dc1: '3', dc2: '2' }), nodes('dc1', 'dc1', 'dc1', 'dc2', 'dc2')), true);
  assert.equal(holdsAll(nts({ dc1: '3' }), nodes('dc1', 'dc1', 'dc1', 'dc2')), false, 'no replica in dc2');
  assert.equal(holdsAll(nts({ dc1: '3/1' }), nodes('dc1', 'dc1', 'dc1')), true, 'transient replicas count');
  assert.equal(holdsAll(undefined, nodes('dc1')), false, 'unknown keyspace');
});
