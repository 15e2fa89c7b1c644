/**
 * Safe HTTP fetching for spiders: an SSRF guard that checks every resolved address and every
 * redirect hop, redirect cap and loop detection, connect/read timeouts, and a size cap applied
 * on the wire and after gzip/deflate/br decoding. Failures are `FetchError`s (QuarryError) with
 * stable codes: BAD_URL, SSRF_BLOCKED, REDIRECT_LOOP, TOO_MANY_REDIRECTS, TOO_LARGE, TIMEOUT,
 * CONNECT_FAILED, DNS_FAILED, READ_FAILED, DECODE_FAILED, UNSUPPORTED_ENCODING, ABORTED.
 *
 *   const res = await safeFetch('http://127.0.0.1:8080/', {
 *     allowPrivate: ['127.0.0.0/8'], connectTimeoutMs: 2_000, readTimeoutMs: 5_000,
 *     maxBytes: 5 << 20, maxRedirects: 5,
 *   });
 *   res.status; res.finalUrl; res.body; // Uint8Array
 */
export { safeFetch, DEFAULT_USER_AGENT, type SafeFetchOptions, type SafeFetchResult } from './internal/safe-fetch.ts';
export { FetchError, isFetchError, fetchErrorReason, type FetchErrorCode } from './internal/fetch-error.ts';
export { createAddressGuard, type AddressGuard } from './internal/address-guard.ts';
export { checkUrl } from './internal/check-url.ts';
export type { Resolver, ResolvedAddress } from './internal/guarded-lookup.ts';
