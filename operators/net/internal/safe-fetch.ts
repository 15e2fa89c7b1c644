// safeFetch: follows redirects itself so every hop is re-validated (scheme, SSRF guard) and loops
// and long chains end with a clear code rather than a hang.
import { createAddressGuard } from './address-guard.ts';
import { checkUrl } from './check-url.ts';
import { FetchError } from './fetch-error.ts';
import { systemResolver, type Resolver } from './guarded-lookup.ts';
import { requestOnce } from './request-once.ts';

export interface SafeFetchOptions {
  /** CIDRs that may be contacted even though private/loopback/etc., e.g. `['127.0.0.0/8']`. */
  allowPrivate?: readonly string[];
  /** Time allowed for DNS + TCP (+ TLS) per hop. */
  connectTimeoutMs: number;
  /** Longest silence allowed while waiting for headers or body bytes. */
  readTimeoutMs: number;
  /** Cap on the body, on the wire and after decoding. */
  maxBytes: number;
  maxRedirects: number;
  accept?: string;
  signal?: AbortSignal;
  userAgent?: string;
  /** Extra trusted CA certificates (PEM) for https, e.g. a corporate or test CA. */
  ca?: string | readonly string[];
  /** Name resolution; defaults to the system resolver. Tests inject hostile answers here. */
  resolver?: Resolver;
  /** Extra request headers (e.g. If-None-Match / If-Modified-Since for a conditional GET). */
  headers?: Record<string, string>;
  /**
   * The whole fetch's time budget, redirects included: past it the fetch fails with TOO_SLOW even
   * while data still trickles in (the read timeout only catches silence).
   */
  totalTimeoutMs?: number;
  /**
   * Called before each request (every redirect hop): politeness checks robots.txt and waits for
   * the host's turn here, and may throw (ROBOTS_DISALLOWED, HOST_BUSY). The returned function is
   * called when the hop's response has been read.
   */
  gate?: (url: URL) => Promise<() => void>;
}

export interface SafeFetchResult {
  finalUrl: string;
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Uint8Array;
  /** Every URL that answered with a redirect, in order (the first is the requested URL). */
  redirects: string[];
}

export const DEFAULT_USER_AGENT = 'QuarryBot/0.1 (+https://github.com/quarry)';

export async function safeFetch(url: string, options: SafeFetchOptions): Promise<SafeFetchResult> {
  const guard = createAddressGuard(options.allowPrivate);
  const headers: Record<string, string> = {
    'user-agent': options.userAgent ?? DEFAULT_USER_AGENT,
    accept: options.accept ?? '*/*',
    'accept-encoding': 'gzip, deflate, br',
    ...options.headers,
  };
  let current = checkUrl(url);
  const visited = new Set<string>([current.href]);
  const redirects: string[] = [];
  const budget = new AbortController();
  let budgetTimer: NodeJS.Timeout | undefined;
  const onOuterAbort = () => budget.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  if (options.signal?.aborted) budget.abort(options.signal.reason);
  try {
    for (;;) {
      const release = options.gate ? await options.gate(current) : undefined;
      // The budget starts with the first request, not while waiting for the host's turn.
      if (options.totalTimeoutMs !== undefined && budgetTimer === undefined) budgetTimer = setTimeout(() => budget.abort(TOO_SLOW), options.totalTimeoutMs);
      let result;
      try {
        result = await requestOnce(current, {
          guard,
          resolver: options.resolver ?? systemResolver,
          connectTimeoutMs: options.connectTimeoutMs,
          readTimeoutMs: options.readTimeoutMs,
          maxBytes: options.maxBytes,
          headers: redirects.length === 0 ? headers : withoutConditionals(headers),
          signal: budget.signal,
          ca: options.ca,
        });
      } catch (err) {
        if (budget.signal.reason === TOO_SLOW && err instanceof FetchError && err.code === 'ABORTED') {
          throw new FetchError('TOO_SLOW', current.href, `Not fetched within its budget of ${options.totalTimeoutMs} ms`, { cause: err });
        }
        throw err;
      } finally {
        release?.();
      }
      if (result.kind === 'response') {
        return { finalUrl: current.href, status: result.status, headers: result.headers, body: result.body, redirects };
      }
      redirects.push(current.href);
      const next = checkUrl(result.location, current.href);
      if (visited.has(next.href)) {
        throw new FetchError('REDIRECT_LOOP', url, `Redirect loop: ${[...redirects, next.href].join(' -> ')}`);
      }
      if (redirects.length > options.maxRedirects) {
        throw new FetchError('TOO_MANY_REDIRECTS', url, `More than ${options.maxRedirects} redirects`);
      }
      visited.add(next.href);
      current = next;
    }
  } finally {
    clearTimeout(budgetTimer);
    options.signal?.removeEventListener('abort', onOuterAbort);
  }
}

const TOO_SLOW = Symbol('too-slow');

/** Validators name the first URL's copy: a redirect target is fetched unconditionally. */
function withoutConditionals(headers: Record<string, string>): Record<string, string> {
  const { 'if-none-match': _e, 'if-modified-since': _m, ...rest } = headers;
  return rest;
}
