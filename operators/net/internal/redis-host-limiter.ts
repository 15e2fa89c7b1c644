// Per-host politeness shared by every spider process of a deployment, through its Redis: the
// same limits as the in-process limiter (at most `concurrency` requests in flight to a host, at
// least `delayMs` between two starts, HOST_BUSY past `maxWaitMs`), counted over all processes.
// Per host, one hash-tagged pair of keys (one Redis Cluster slot):
//   <prefix>{<host>}:active  sorted set  lease id → expiry (ms, Redis clock)
//   <prefix>{<host>}:next    string      earliest start of the next request (ms, Redis clock)
// A slot is a lease with an expiry, so a process that dies holding one frees it after `leaseMs`.
// Times come from Redis's own clock (TIME), so processes whose clocks disagree share one turn.
import { randomBytes } from 'node:crypto';
import type { RedisClient } from '../../../framework/redis/index.ts';
import { FetchError } from './fetch-error.ts';
import type { HostLimit, HostLimiter } from './host-limiter.ts';

// KEYS: active, next. ARGV: lease id, concurrency, delay ms, lease ms.
// Returns 0 when the lease was taken, else the ms to wait before trying again.
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local concurrency, delay, lease = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
if redis.call('ZCARD', KEYS[1]) >= concurrency then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(1, math.min(50, tonumber(first[2]) - now))
end
local next = tonumber(redis.call('GET', KEYS[2]) or '0')
if now < next then return next - now end
redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
redis.call('PEXPIRE', KEYS[1], lease)
if delay > 0 then redis.call('SET', KEYS[2], now + delay, 'PX', delay) end
return 0`;

export interface RedisHostLimiterOptions {
  redis: RedisClient;
  /** Key prefix (default `quarry:hosts:`). */
  keyPrefix?: string;
  /** How long a slot is held at most: a request's whole budget, with room (default 60 000 ms). */
  leaseMs?: number;
}

export function createRedisHostLimiter(o: RedisHostLimiterOptions): HostLimiter {
  const prefix = o.keyPrefix ?? 'quarry:hosts:';
  const leaseMs = o.leaseMs ?? 60_000;
  const keys = (host: string) => [`${prefix}{${host}}:active`, `${prefix}{${host}}:next`];
  const local = new Map<string, { active: number; waiting: number }>();
  const tally = (host: string) => {
    let s = local.get(host);
    if (!s) local.set(host, (s = { active: 0, waiting: 0 }));
    return s;
  };
  // This process's counts, for `stats`: a host's entry goes once nothing of it is here.
  const forget = (host: string, s: { active: number; waiting: number }) => {
    if (s.active === 0 && s.waiting === 0) local.delete(host);
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  return {
    async acquire(host: string, url: string, limit: HostLimit, maxWaitMs: number) {
      const lease = randomBytes(8).toString('hex');
      const [active, next] = keys(host);
      const s = tally(host);
      const deadline = Date.now() + maxWaitMs;
      s.waiting++;
      try {
        for (;;) {
          const wait = await o.redis.eval(ACQUIRE, 2, active!, next!, lease, limit.concurrency, limit.delayMs, leaseMs).then(Number, (err: unknown) => {
            // No shared turn can be had: the request waits for a later try, it never goes unlimited.
            throw new FetchError('HOST_BUSY', url, `The host limits shared through Redis are out of reach (${err instanceof Error ? err.message : String(err)}); try again later`, { retryAfterMs: 5_000, cause: err });
          });
          if (wait === 0) {
            s.active++;
            break;
          }
          const left = deadline - Date.now();
          if (left <= 0) {
            const retryAfterMs = Math.max(limit.delayMs * 2, 1_000);
            throw new FetchError('HOST_BUSY', url, `Host \`${host}\` is busy (its limit is shared by every spider process); try again in ${retryAfterMs} ms`, { retryAfterMs });
          }
          await sleep(Math.min(wait, left));
        }
      } finally {
        s.waiting--;
        forget(host, s);
      }
      let released = false;
      return () => {
        if (released) return;
        released = true;
        s.active--;
        forget(host, s);
        // A lost release only keeps the slot until its lease expires.
        void o.redis.zrem(active!, lease).catch(() => undefined);
      };
    },
    stats(host) {
      const s = local.get(host);
      return { active: s?.active ?? 0, waiting: s?.waiting ?? 0 };
    },
  };
}
