/**
 * The test kit that ships with the framework: an in-memory runtime with operators over real
 * gRPC, a mock operator context, and one contract suite per port.
 *
 *   const rt = await startInMemoryRuntime({ dags: [myDag], operators: [createUpper()] });
 *   await rt.submit([{ dag: 'greet', itemKey: 'k1', source: { name: 'ada' } }]);
 *   await rt.idle();
 */
export { startEmbeddedRuntime as startInMemoryRuntime, type EmbeddedRuntime as InMemoryRuntime, type EmbeddedRuntimeOptions as InMemoryRuntimeOptions } from '../runtime/index.ts';
export { mockOperatorContext, type MockOperatorContext } from './mock-operator-context.ts';
export { busContract } from './bus-contract.ts';
export { sideCacheContract } from './side-cache-contract.ts';
export { blobStoreContract } from './blob-store-contract.ts';
export { itemLedgerContract } from './item-ledger-contract.ts';
export { useRedisTestServer, deleteMatching, DEFAULT_TEST_REDIS_CLUSTER, type RedisTestServer } from './redis-test-server.ts';
