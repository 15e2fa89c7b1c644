/**
 * Safe, polite HTTP fetching for spiders: an SSRF guard that checks every resolved address and
 * every redirect hop, redirect cap and loop detection, connect/read timeouts and a whole-fetch
 * budget, a size cap applied on the wire and after gzip/deflate/br decoding, conditional GET
 * headers, and politeness (robots.txt, per-host concurrency and delay) through a `gate`.
 * Failures are `FetchError`s (QuarryError) with stable codes: BAD_URL, SSRF_BLOCKED,
 * REDIRECT_LOOP, TOO_MANY_REDIRECTS, TOO_LARGE, TIMEOUT, TOO_SLOW, CONNECT_FAILED, DNS_FAILED,
 * READ_FAILED, DECODE_FAILED, UNSUPPORTED_ENCODING, ABORTED, ROBOTS_DISALLOWED, HOST_BUSY.
 *
 *   const polite = createPoliteness({ userAgent: DEFAULT_USER_AGENT, fetch: (u, o) => safeFetch(u, { ...base, ...o }) });
 *   const res = await safeFetch('http://127.0.0.1:8080/', {
 *     allowPrivate: ['127.0.0.0/8'], connectTimeoutMs: 2_000, readTimeoutMs: 5_000, totalTimeoutMs: 15_000,
 *     maxBytes: 5 << 20, maxRedirects: 5, gate: (url) => polite.gate(url),
 *   });
 *   res.status; res.finalUrl; res.body; // Uint8Array
 */
export { safeFetch, DEFAULT_USER_AGENT, type SafeFetchOptions, type SafeFetchResult } from './internal/safe-fetch.ts';
export { FetchError, isFetchError, fetchErrorReason, type FetchErrorCode } from './internal/fetch-error.ts';
export { createAddressGuard, type AddressGuard } from './internal/address-guard.ts';
export { checkUrl } from './internal/check-url.ts';
export { createPoliteness, type Politeness, type PolitenessOptions } from './internal/politeness.ts';
export { createHostLimiter, type HostLimiter, type HostLimit } from './internal/host-limiter.ts';
export { createRedisHostLimiter, type RedisHostLimiterOptions } from './internal/redis-host-limiter.ts';
export { createRobotsCache, type RobotsCache, type RobotsVerdict } from './internal/robots.ts';
export type { Resolver, ResolvedAddress } from './internal/guarded-lookup.ts';
