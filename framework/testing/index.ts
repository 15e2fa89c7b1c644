/**
 * The test kit that ships with the framework: a mock operator context, one contract suite per
 * port, and a real Redis for tests. (The runtime itself, `startRuntime`, runs in memory.)
 *
 *   describe('my ledger', () => itemLedgerContract(() => ({ ledger: createMyLedger(), close })));
 *   const ctx = mockOperatorContext({ trigger: { itemKey: 'k1' } });
 */
export { mockOperatorContext, type MockOperatorContext } from './mock-operator-context.ts';
export { busContract } from './bus-contract.ts';
export { sideCacheContract } from './side-cache-contract.ts';
export { blobStoreContract } from './blob-store-contract.ts';
export { itemLedgerContract } from './item-ledger-contract.ts';
export { useRedisTestServer, deleteMatching, DEFAULT_TEST_REDIS_CLUSTER, type RedisTestServer } from './redis-test-server.ts';
