// Where the miners of a deployment publish their load, and every gate reads it: per miner, per
// node it hosts, the items in its hands, its capacity, busy time, utilisation and the node's
// consumer lag, plus deployment-wide counters of RESOURCE_EXHAUSTED answers and timeouts. In
// Redis, under one hash tag per namespace (so it runs on Redis Cluster), stamped with the Redis
// server's clock: a miner that stops publishing stops counting `staleMs` later, whatever the
// processes' clocks say.
import { useRedis, type RedisClient } from '../redis/index.ts';

/** One node's figures in one miner. */
export interface NodeLoadFigures {
  /** Items the miner is working on for the node now (its queue depth). */
  inFlight: number;
  /** Items the node works on at once in this miner. */
  capacity: number;
  /** Cumulative milliseconds of item work. */
  busyMs: number;
  /** Busy share of the capacity over the last publishing interval, 0..1. */
  utilization: number;
  /** Triggers waiting in the node's topic (its consumer group's lag). */
  lag: number;
}

/** What a miner publishes. */
export interface MinerLoad {
  minerId: string;
  /** By `dag/node`. */
  nodes: Record<string, NodeLoadFigures>;
  resourceExhaustedPerSec: number;
  timeoutsPerSec: number;
}

export interface BoardReading {
  /** Miners that published within the staleness bound, with how long ago (Redis clock). */
  miners: (MinerLoad & { ageMs: number })[];
  /** Every miner's RESOURCE_EXHAUSTED answers since the board began (a counter). */
  resourceExhausted: number;
  /** Every miner's operator timeouts since the board began (a counter). */
  timeouts: number;
}

export interface SignalBoard {
  /** `counted`: RESOURCE_EXHAUSTED answers and timeouts since this miner's last publish. */
  publish(load: MinerLoad, counted: { resourceExhausted: number; timeouts: number }): Promise<void>;
  /** A miner that stops cleanly leaves at once (a dead one after the staleness bound). */
  withdraw(minerId: string): Promise<void>;
  read(): Promise<BoardReading>;
  readonly staleMs: number;
  close(): Promise<void>;
}

export interface SignalBoardOptions {
  /** One node or a Redis Cluster URL, or a client to borrow. */
  redis: string | RedisClient;
  namespace: string;
  /** A miner silent this long no longer counts. Default 10 s (a dead miner's partitions move after Kafka's 10 s session timeout). */
  staleMs?: number;
}

const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

// KEYS: loads hash, heartbeat zset, counters hash. ARGV: miner, load JSON, exhausted, timeouts, forget-after ms.
const PUBLISH = `${NOW}
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], now, ARGV[1])
if tonumber(ARGV[3]) > 0 then redis.call('HINCRBY', KEYS[3], 'resourceExhausted', ARGV[3]) end
if tonumber(ARGV[4]) > 0 then redis.call('HINCRBY', KEYS[3], 'timeouts', ARGV[4]) end
local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[5]), 'LIMIT', 0, 100)
for _, id in ipairs(gone) do
  redis.call('ZREM', KEYS[2], id)
  redis.call('HDEL', KEYS[1], id)
end
return now`;

// ARGV: stale ms → now, exhausted, timeouts, then (miner, published at, load JSON) per fresh miner.
const READ = `${NOW}
local out = { tostring(now), redis.call('HGET', KEYS[3], 'resourceExhausted') or '0', redis.call('HGET', KEYS[3], 'timeouts') or '0' }
local rows = redis.call('ZRANGEBYSCORE', KEYS[2], now - tonumber(ARGV[1]), '+inf', 'WITHSCORES')
for i = 1, #rows, 2 do
  table.insert(out, rows[i])
  table.insert(out, rows[i + 1])
  table.insert(out, redis.call('HGET', KEYS[1], rows[i]) or '')
end
return out`;

export function createRedisSignalBoard(options: SignalBoardOptions): SignalBoard {
  const { client: redis, release } = useRedis(options.redis, { maxRetriesPerRequest: 2 });
  const staleMs = options.staleMs ?? 10_000;
  const tag = `{quarry:signals:${options.namespace}}`;
  const keys = [`${tag}:loads`, `${tag}:seen`, `${tag}:counters`];
  redis.defineCommand('quarrySignalsPublish', { numberOfKeys: 3, lua: PUBLISH });
  redis.defineCommand('quarrySignalsRead', { numberOfKeys: 3, lua: READ });
  const cmd = redis as unknown as Record<'quarrySignalsPublish' | 'quarrySignalsRead', (...a: (string | number)[]) => Promise<(string | number)[]>>;

  return {
    staleMs,
    async publish(load, counted) {
      // Entries far past the bound are deleted, so the hash holds only recent miners.
      await cmd.quarrySignalsPublish(...keys, load.minerId, JSON.stringify(load), counted.resourceExhausted, counted.timeouts, staleMs * 6);
    },
    async withdraw(minerId) {
      await redis.multi().zrem(keys[1]!, minerId).hdel(keys[0]!, minerId).exec();
    },
    async read() {
      const raw = await cmd.quarrySignalsRead(...keys, staleMs);
      const now = Number(raw[0]);
      const miners: BoardReading['miners'] = [];
      for (let i = 3; i + 2 < raw.length; i += 3) {
        const text = String(raw[i + 2] ?? '');
        if (!text) continue;
        miners.push({ ...(JSON.parse(text) as MinerLoad), ageMs: Math.max(0, now - Number(raw[i + 1])) });
      }
      return { miners, resourceExhausted: Number(raw[1]), timeouts: Number(raw[2]) };
    },
    async close() { await release(); },
  };
}
