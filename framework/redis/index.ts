/**
 * The Redis connection policy shared by the Redis adapters: an adapter owns a connection it
 * built from a URL, and borrows (never closes) a client it was given.
 *
 *   const { client, release } = useRedis('redis://127.0.0.1:6390');
 */
export { useRedis, type RedisHandle } from './redis-connection.ts';
