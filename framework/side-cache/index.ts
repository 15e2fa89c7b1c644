/**
 * The tuple side-cache: each item's named fields (bytes), shared by every miner of a DAG.
 * In memory for the embedded default, a Redis hash per tuple for real deployments.
 *
 *   const cache = createRedisSideCache({ redis: 'redis://127.0.0.1:6379', namespace: 'quarry' });
 *   await cache.write(tupleRef, new Map([['title', bytes]]));
 *   const [fields] = await cache.readMany([{ tupleRef, fields: ['title'] }]); // null if lost
 */
export type { FieldRead, FieldValues, SideCache, SideCacheStats } from './side-cache.ts';
export { createMemorySideCache, memoryTuplesOf, type MemoryTuples } from './memory-side-cache.ts';
export { createRedisSideCache, type RedisSideCacheOptions } from './redis-side-cache.ts';
