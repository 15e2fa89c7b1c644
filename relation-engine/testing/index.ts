/**
 * Test kit of the relation engine: the store contract suite, the reference model, and stores
 * for tests (embedded in a temp dir; Cassandra in a fresh keyspace from QUARRY_TEST_CASSANDRA).
 *
 *   relationStoreContract('lmdb', embeddedTestStore());
 *   const t = await cassandraTestStore()(); ... await t.dispose();
 */
export { relationStoreContract } from './relation-store-contract.ts';
export { ReferenceModel, type ModelPageInput } from './reference-model.ts';
export { cassandraTarget, cassandraTestStore, embeddedTestStore, type MakeTestStore, type TestStore } from './test-stores.ts';
