// An adapter either owns its connection (built from a URL, closed by `close()`) or borrows the
// caller's (left open: the caller shares it with other adapters).
import { Redis } from 'ioredis';

export interface RedisHandle {
  client: Redis;
  release(): Promise<void>;
}

export function useRedis(redis: string | Redis): RedisHandle {
  if (typeof redis !== 'string') return { client: redis, release: async () => {} };
  const client = new Redis(redis, { maxRetriesPerRequest: 3 });
  return {
    client,
    async release() {
      await client.quit().catch(() => client.disconnect());
    },
  };
}
