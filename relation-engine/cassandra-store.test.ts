import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cassandraTestStore, cassandraTarget, relationStoreContract } from './testing/index.ts';
import { openCassandraStore } from './index.ts';
import { parseStoreSpec } from './open-store.ts';

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
