// Options for the page spider, parsed once at the edge with every problem listed.
import { ConfigError, type ConfigProblem } from '../../../framework/errors/index.ts';
import { createAddressGuard } from '../../net/index.ts';

export interface PageState {
  /** The content hash recorded at the page's last crawl, if any. */
  contentHash(url: string): Promise<string | undefined>;
}

export interface PageSpiderOptions {
  /** CIDRs the SSRF guard lets through (the demo and tests pass `['127.0.0.0/8']`). */
  allowPrivate?: readonly string[];
  timeouts?: { connectMs?: number; readMs?: number };
  maxBytes?: number;
  maxRedirects?: number;
  /** When given, a page whose bytes hash as last time is filtered `unchanged`. */
  pageState?: PageState;
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
