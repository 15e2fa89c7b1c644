// Politeness for every spider in a process: robots.txt obeyed (fetched through the SSRF guard,
// cached per origin), a per-host concurrency cap and minimum delay (the site's Crawl-delay when
// it states one; counted in this process, or over every process sharing a Redis limiter), and a
// per-host time budget that shrinks for a host that was too slow.
import { ConfigError, type ConfigProblem } from '../../../framework/errors/index.ts';
import { FetchError } from './fetch-error.ts';
import { createHostLimiter, type HostLimiter } from './host-limiter.ts';
import { createRobotsCache, type RobotsCache } from './robots.ts';
import type { SafeFetchOptions, SafeFetchResult } from './safe-fetch.ts';

export interface PolitenessOptions {
  /** Requests in flight to one host at once (default 2). */
  hostConcurrency?: number;
  /** Least time between two request starts to one host when its robots.txt states no Crawl-delay (default 1000 ms). */
  hostDelayMs?: number;
  /** Longest a request waits for its host's turn before it is handed back to retry later (default 2000 ms). */
  maxWaitMs?: number;
  /** Obey robots.txt (default true). */
  robots?: boolean;
  robotsTtlMs?: number;
  /** The user agent sent and matched against robots.txt groups. */
  userAgent: string;
  /** How robots.txt is fetched: safeFetch with the spider's guard and timeouts. */
  fetch: (url: string, options: Pick<SafeFetchOptions, 'maxBytes' | 'maxRedirects' | 'accept' | 'gate'>) => Promise<SafeFetchResult>;
  /** Where the per-host turns are kept (default: in this process; `createRedisHostLimiter` shares them over processes). */
  limiter?: HostLimiter;
  now?: () => number;
}

export interface Politeness {
  /** Passed to safeFetch as `gate`: checks robots.txt, waits for the host's turn, returns the release. */
  gate(url: URL): Promise<() => void>;
  /** The time budget of a fetch from `host`: shorter for a while after the host was too slow. */
  budgetMs(host: string, full: number): number;
  /** Records that `host` did not answer within its budget. */
  tooSlow(host: string): void;
  readonly limiter: HostLimiter;
}

const SLOW_FOR_MS = 10 * 60_000;

export function createPoliteness(o: PolitenessOptions): Politeness {
  const problems: ConfigProblem[] = [];
  const int = (field: string, v: number | undefined, fallback: number, min: number) => {
    if (v === undefined) return fallback;
    if (!Number.isInteger(v) || v < min) problems.push({ field, expected: `an integer ≥ ${min}`, received: v });
    return v;
  };
  const concurrency = int('hostConcurrency', o.hostConcurrency, 2, 1);
  const delayMs = int('hostDelayMs', o.hostDelayMs, 1_000, 0);
  const maxWaitMs = int('maxWaitMs', o.maxWaitMs, 2_000, 0);
  if (problems.length > 0) throw new ConfigError(problems, 'politeness options');
  const now = o.now ?? Date.now;
  const limiter = o.limiter ?? createHostLimiter(now);
  const slowUntil = new Map<string, number>();
  // robots.txt itself waits its host's turn like any request to the host.
  const robots: RobotsCache | undefined = o.robots === false ? undefined : createRobotsCache({
    agent: o.userAgent, now, ...(o.robotsTtlMs !== undefined ? { ttlMs: o.robotsTtlMs } : {}),
    fetch: (url, opts) => o.fetch(url, { ...opts, gate: (u) => limiter.acquire(u.host, u.href, { concurrency, delayMs }, maxWaitMs) }),
  });
  return {
    limiter,
    async gate(url) {
      const verdict = robots ? await robots.check(url) : { allowed: true };
      if (!verdict.allowed) throw new FetchError('ROBOTS_DISALLOWED', url.href, `robots.txt of ${url.origin} disallows this URL for ${o.userAgent}`);
      return limiter.acquire(url.host, url.href, { concurrency, delayMs: verdict.crawlDelayMs ?? delayMs }, maxWaitMs);
    },
    budgetMs(host, full) {
      const until = slowUntil.get(host);
      if (until === undefined || until <= now()) return full;
      return Math.max(1_000, Math.floor(full / 4));
    },
    tooSlow(host) {
      slowUntil.set(host, now() + SLOW_FOR_MS);
    },
  };
}
