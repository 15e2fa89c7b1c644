/**
 * The Redis connection policy shared by the Redis adapters. A URL names one node
 * (`redis://host:port[/db]`) or a Redis Cluster (two or more comma-separated `redis://host:port`
 * seeds); an adapter owns a connection it built from a URL, and borrows (never closes) a client
 * it was given. Batches of single-key commands go through `execBatch` (one pipeline per node on
 * a Cluster) and key scans through `scanKeys` (every master on a Cluster).
 *
 *   const { client, release } = useRedis('redis://127.0.0.1:7001,redis://127.0.0.1:7002');
 *   const [a, b] = await execBatch(client, [{ key: 'a', name: 'get', args: ['a'] }, { key: 'b', name: 'get', args: ['b'] }]);
 */
export { createRedisClient, useRedis, isCluster, type RedisClient, type RedisClientOptions, type RedisHandle } from './redis-connection.ts';
export { parseRedisUrl, redactRedisUrl, type RedisTarget } from './redis-url.ts';
export { execBatch, scanKeys, escapeGlob, type KeyCommand } from './batch.ts';
