// robots.txt, fetched through the same SSRF guard as every other request, parsed with
// robots-parser (RFC 9309 matching, wildcards, Crawl-delay) and cached per origin. As RFC 9309
// says: a 4xx answer (but 429) means no rules, and a 5xx, a 429 or no answer at all means
// "disallow everything" until the cache entry expires (sooner than a good answer's).
import { createRequire } from 'node:module';
import { FetchError } from './fetch-error.ts';
import type { SafeFetchOptions, SafeFetchResult } from './safe-fetch.ts';

export interface RobotsVerdict {
  allowed: boolean;
  /** The site's Crawl-delay for our user agent, in ms, when it states one. */
  crawlDelayMs?: number;
}

interface Robot {
  isAllowed(url: string, ua?: string): boolean | undefined;
  getCrawlDelay(ua?: string): number | undefined;
}
// robots-parser is CommonJS with a default-export typing that its own module shape does not match.
const robotsParser = createRequire(import.meta.url)('robots-parser') as (url: string, robotstxt: string) => Robot;

type Rules = { kind: 'parsed'; robot: Robot } | { kind: 'allow-all' } | { kind: 'disallow-all'; why: string };

export interface RobotsCacheOptions {
  /** The product token matched against User-agent lines, e.g. `QuarryBot`. */
  agent: string;
  fetch: (url: string, options: Pick<SafeFetchOptions, 'maxBytes' | 'maxRedirects' | 'accept'>) => Promise<SafeFetchResult>;
  ttlMs?: number;
  errorTtlMs?: number;
  now?: () => number;
}

export interface RobotsCache {
  check(url: URL): Promise<RobotsVerdict>;
}

const MAX_ROBOTS_BYTES = 500 * 1024; // RFC 9309: crawlers must parse at least 500 KiB
const MAX_CRAWL_DELAY_MS = 60_000;

export function createRobotsCache(o: RobotsCacheOptions): RobotsCache {
  const now = o.now ?? Date.now;
  const ttl = o.ttlMs ?? 3_600_000;
  const errorTtl = o.errorTtlMs ?? 300_000;
  const cache = new Map<string, { rules: Promise<Rules>; until: number }>();

  const load = async (origin: string): Promise<Rules> => {
    let res: SafeFetchResult;
    try {
      res = await o.fetch(`${origin}/robots.txt`, { maxBytes: MAX_ROBOTS_BYTES, maxRedirects: 5, accept: 'text/plain,*/*;q=0.1' });
    } catch (err) {
      // An address the guard refuses is the caller's problem to report, not a robots question.
      // A busy host or our own abort says nothing about the rules: ask again next time.
      if (err instanceof FetchError && (err.code === 'SSRF_BLOCKED' || err.code === 'HOST_BUSY' || err.code === 'ABORTED')) throw err;
      return { kind: 'disallow-all', why: `robots.txt unreachable: ${(err as Error).message}` };
    }
    if (res.status >= 200 && res.status < 300) return { kind: 'parsed', robot: robotsParser(`${origin}/robots.txt`, new TextDecoder().decode(res.body)) };
    if (res.status === 429 || res.status >= 500) return { kind: 'disallow-all', why: `robots.txt answered HTTP ${res.status}` };
    return { kind: 'allow-all' };
  };

  return {
    async check(url) {
      const origin = url.origin;
      let entry = cache.get(origin);
      if (!entry || entry.until <= now()) {
        const rules = load(origin);
        entry = { rules, until: now() + ttl };
        cache.set(origin, entry);
        rules.then((r) => {
          if (r.kind === 'disallow-all') entry!.until = now() + errorTtl;
        }, () => cache.delete(origin));
      }
      const rules = await entry.rules;
      if (rules.kind === 'allow-all') return { allowed: true };
      if (rules.kind === 'disallow-all') return { allowed: false };
      const allowed = rules.robot.isAllowed(url.href, o.agent) !== false;
      const delay = rules.robot.getCrawlDelay(o.agent);
      return { allowed, ...(delay !== undefined && Number.isFinite(delay) && delay >= 0 ? { crawlDelayMs: Math.min(MAX_CRAWL_DELAY_MS, delay * 1000) } : {}) };
    },
  };
}
