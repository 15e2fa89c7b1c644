// Options for the page spider, parsed once at the edge with every problem listed.
import { ConfigError, type ConfigProblem } from '../../../framework/errors/index.ts';
import { createAddressGuard, type Politeness } from '../../net/index.ts';

/** What the relation graph knows of a page, and how the spider reports checks that end the item. */
export interface PageState {
  /** The page's canonical URL, content hash and validators from its last crawl, if it is known. */
  validators(url: string): Promise<{ url: string; contentHash: string; etag?: string; lastModified?: string } | undefined>;
  /** A check found the page unchanged (304, or the same bytes): only its schedule moves. */
  unchanged(canonicalUrl: string, checkedAtMs: number, validators: { etag?: string; lastModified?: string }): Promise<void>;
  /** A known page answered 404 or 410: it vanished, and its edges go with it. */
  gone(url: string, checkedAtMs: number): Promise<void>;
}

export interface PageSpiderOptions {
  /** CIDRs the SSRF guard lets through (the demo and tests pass `['127.0.0.0/8']`). */
  allowPrivate?: readonly string[];
  timeouts?: { connectMs?: number; readMs?: number };
  maxBytes?: number;
  maxRedirects?: number;
  /** When given, a known page is fetched conditionally, and one unchanged since is filtered `unchanged`. */
  pageState?: PageState;
  /** robots.txt and per-host limits, shared with the other spiders of the process. */
  politeness?: Politeness;
  /** The whole fetch's budget (redirects included); a page still trickling in past it is `too-slow`. Default 15 s. */
  totalTimeoutMs?: number;
  /** Delay asked of the retry machinery for 5xx/timeouts when the server names none. */
  retryAfterMs?: number;
  userAgent?: string;
  now?: () => number;
}

export interface PageSpiderConfig {
  allowPrivate: readonly string[];
  connectMs: number;
  readMs: number;
  maxBytes: number;
  maxRedirects: number;
  pageState: PageState | undefined;
  politeness: Politeness | undefined;
  totalMs: number;
  retryAfterMs: number;
  userAgent: string | undefined;
  now: () => number;
}

export function parsePageSpiderOptions(raw: PageSpiderOptions = {}): PageSpiderConfig {
  const problems: ConfigProblem[] = [];
  const int = (field: string, value: unknown, fallback: number, min: number): number => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
      problems.push({ field, expected: `an integer ≥ ${min}`, received: value });
      return fallback;
    }
    return value;
  };
  const config: PageSpiderConfig = {
    allowPrivate: raw.allowPrivate ?? [],
    connectMs: int('timeouts.connectMs', raw.timeouts?.connectMs, 5_000, 1),
    readMs: int('timeouts.readMs', raw.timeouts?.readMs, 10_000, 1),
    maxBytes: int('maxBytes', raw.maxBytes, 5 * 1024 * 1024, 1),
    maxRedirects: int('maxRedirects', raw.maxRedirects, 5, 0),
    pageState: raw.pageState,
    politeness: raw.politeness,
    totalMs: int('totalTimeoutMs', raw.totalTimeoutMs, 15_000, 1),
    retryAfterMs: int('retryAfterMs', raw.retryAfterMs, 10_000, 0),
    userAgent: raw.userAgent,
    now: raw.now ?? Date.now,
  };
  try {
    createAddressGuard(config.allowPrivate);
  } catch (err) {
    if (err instanceof ConfigError) problems.push(...err.problems);
    else throw err;
  }
  if (problems.length > 0) throw new ConfigError(problems, 'page-spider options');
  return config;
}
