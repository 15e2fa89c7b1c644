// Stores for tests and benches: an embedded store in a fresh temp dir, or a Cassandra store in
// a fresh keyspace (dropped on dispose). Cassandra comes from QUARRY_TEST_CASSANDRA
// (default 127.0.0.1:9042, dc datacenter1); unreachable means a failing test, never a skip.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { openLmdbStore } from '../internal/lmdb-store.ts';
import { openCassandraStore, type CassandraStoreOptions } from '../internal/cassandra-store.ts';
import type { RelationStore } from '../relation-store.ts';

export interface TestStore {
  store: RelationStore;
  /** Closes the store and opens it again on the same data (a restart). */
  reopen(): Promise<RelationStore>;
  dispose(): Promise<void>;
}

export type MakeTestStore = () => Promise<TestStore>;

export function embeddedTestStore(options: { buckets?: number } = {}): MakeTestStore {
  return async () => {
    const dir = await mkdtemp(join(tmpdir(), 'quarry-relations-'));
    const open = () => openLmdbStore({ path: dir, ...options });
    const t: TestStore = {
      store: await open(),
      async reopen() {
        await t.store.close();
        t.store = await open();
        return t.store;
      },
      async dispose() {
        await t.store.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
    return t;
  };
}

export function cassandraTarget(): { contactPoints: string[]; localDataCenter: string } {
  const raw = process.env['QUARRY_TEST_CASSANDRA'] ?? '127.0.0.1:9042';
  return { contactPoints: raw.split(','), localDataCenter: process.env['QUARRY_TEST_CASSANDRA_DC'] ?? 'datacenter1' };
}

export function cassandraTestStore(options: Partial<CassandraStoreOptions> = {}): MakeTestStore {
  return async () => {
    const keyspace = `quarry_test_${process.pid}_${randomBytes(4).toString('hex')}`;
    const target = cassandraTarget();
    const open = async () => {
      try {
        return await openCassandraStore({ ...target, keyspace, writeConsistency: 'one', readConsistency: 'one', ...options });
      } catch (err) {
        throw new Error(`Cassandra test server not reachable at ${target.contactPoints.join(',')}: start it with `
          + '`bash scripts/services.sh start` or set QUARRY_TEST_CASSANDRA. ' + (err as Error).message, { cause: err });
      }
    };
    const t: TestStore = {
      store: await open(),
      async reopen() {
        await t.store.close();
        t.store = await open();
        return t.store;
      },
      async dispose() {
        const s = t.store as Awaited<ReturnType<typeof openCassandraStore>>;
        await s.dropKeyspace().catch(() => undefined);
        await s.close();
      },
    };
    return t;
  };
}
