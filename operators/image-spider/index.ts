/**
 * image-spider: fetch one image link, prove the bytes are a whole, safely sized image, and sign
 * them (sha256 hex). Dead links are an answer, not an error: `{ linkStatus: 'dead', deadReason }`.
 *
 *   const op = createImageSpiderOperator({ maxBytes: 20 << 20, maxPixels: 50_000_000,
 *     timeouts: { connectMs: 3_000, readMs: 10_000 }, knownContent: { hasFeatures } });
 *   await op.handler({ url: 'https://example.com/a.jpg' }, ctx);
 *   // → { linkStatus: 'alive', httpStatus: 200, contentSign: '9f…', mime: 'image/jpeg',
 *   //     byteLength: 48213, knownContent: false, fetchedAtMs, image: <bytes> }
 *
 * Filtered reasons: bad-url, ssrf-blocked, robots-disallowed, redirect-loop, too-many-redirects, too-large,
 * not-an-image, unsupported-image-type (BMP, ICO, HEIC, SVG — see internal/sniff.ts),
 * truncated-image, corrupt-image, decompression-bomb. Timeouts, connection failures and
 * 408/429/5xx are retried (RetryLaterError) until `ctx.attempt` reaches 2, then recorded dead
 * (`timeout`, `connect-failed`, `http-503`, …); other 4xx/5xx are dead at once (`http-404`).
 * When `knownContent` says the sign already has features, `knownContent: true` is returned
 * without the bytes (the DAG ends the item there), and the decode check is skipped: the same
 * bytes passed it when they were first seen. A link whose validators are known is fetched
 * conditionally: a 304 answers `{ linkStatus: 'alive', notModified: true, contentSign }`. A
 * fetch still trickling past its budget is dead as `too-slow` at once; a host whose politeness
 * turn is far off is a backpressure retry (BACKPRESSURE), never a spent attempt.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { blob, defineOperator } from '../../framework/operator-sdk/index.ts';
import { ConfigError, FilteredError, QuarryError, type ConfigProblem } from '../../framework/errors/index.ts';
import { safeFetch, type Politeness } from '../net/index.ts';
import { deadForStatus, outcomeForFetchError, type DeadLink } from './internal/fetch-outcome.ts';
import { describeNonImage, sniffImageType } from './internal/sniff.ts';
import { validateImage } from './internal/validate-image.ts';

export { sniffImageType, type SniffedType } from './internal/sniff.ts';

export interface KnownContentLookup {
  /** Whether features were already computed for this content sign. */
  hasFeatures(sign: string): Promise<boolean>;
  /** The content a link serves now and the validators of its last fetch (for a conditional GET). */
  validators?(url: string): Promise<{ sign: string; etag?: string; lastModified?: string } | undefined>;
}

export interface ImageSpiderOptions {
  /** CIDRs reachable despite the SSRF guard (tests and the demo pass `['127.0.0.0/8']`). */
  allowPrivate?: readonly string[];
  maxBytes: number;
  /** Largest width × height decoded; larger headers are filtered as `decompression-bomb`. */
  maxPixels: number;
  timeouts: { connectMs: number; readMs: number };
  maxRedirects?: number;
  userAgent?: string;
  knownContent?: KnownContentLookup;
  /** robots.txt and per-host limits, shared with the other spiders of the process. */
  politeness?: Politeness;
  /** The whole fetch's budget; an image still trickling in past it is dead as `too-slow`, not retried. Default 15 s. */
  totalTimeoutMs?: number;
  now?: () => number;
  fetch?: typeof safeFetch;
}

export function createImageSpiderOperator(options: ImageSpiderOptions) {
  checkOptions(options);
  const now = options.now ?? Date.now;
  const fetch = options.fetch ?? safeFetch;
  const deadOutput = (d: DeadLink, fetchedAtMs: number) => ({
    linkStatus: 'dead' as const,
    deadReason: d.deadReason,
    httpStatus: d.httpStatus,
    knownContent: false,
    fetchedAtMs,
  });

  return defineOperator({
    name: 'image-spider',
    version: '1.1.0',
    description: 'Downloads an image link (politely, conditionally when known), validates and signs the bytes, records dead links',
    resource: 'cpu',
    inputs: { url: z.string().min(1).describe('the image link (absolute http/https URL)') },
    outputs: {
      linkStatus: z.enum(['alive', 'dead']),
      deadReason: z.string().optional().describe('why the link is dead: http-404, timeout, connect-failed, …'),
      httpStatus: z.number().int().describe('final HTTP status; 0 when no response arrived'),
      contentSign: z.string().regex(/^[0-9a-f]{64}$/).optional().describe('sha256 hex of the bytes'),
      mime: z.string().optional().describe('type sniffed from magic bytes'),
      byteLength: z.number().int().nonnegative().optional(),
      knownContent: z.boolean().describe('the content sign already has features'),
      fetchedAtMs: z.number().int(),
      image: blob('the validated image bytes; absent for dead links and known contents', { optional: true }),
      notModified: z.boolean().optional().describe('a conditional GET answered 304: the link still serves its content'),
      etag: z.string().optional().describe('the ETag to send next time'),
      lastModified: z.string().optional().describe('the Last-Modified to send next time'),
    },
    async handler({ url }, ctx) {
      const fetchedAtMs = now();
      const known = await lookupValidators(options.knownContent, url, ctx.log);
      const host = URL.canParse(url) ? new URL(url).host : '';
      const full = options.politeness ? options.politeness.budgetMs(host, options.totalTimeoutMs ?? 15_000) : options.totalTimeoutMs ?? 15_000;
      const budget = Math.max(1, Math.min(full, ctx.deadline - now() - 500));
      let res;
      try {
        res = await fetch(url, {
          allowPrivate: options.allowPrivate,
          connectTimeoutMs: options.timeouts.connectMs,
          readTimeoutMs: options.timeouts.readMs,
          totalTimeoutMs: budget,
          maxBytes: options.maxBytes,
          maxRedirects: options.maxRedirects ?? 5,
          accept: 'image/avif,image/webp,image/png,image/jpeg,image/*;q=0.8,*/*;q=0.1',
          signal: ctx.signal,
          headers: { ...(known?.etag ? { 'if-none-match': known.etag } : {}), ...(known?.lastModified ? { 'if-modified-since': known.lastModified } : {}) },
          ...(options.politeness ? { gate: (u: URL) => options.politeness!.gate(u) } : {}),
          ...(options.userAgent ? { userAgent: options.userAgent } : {}),
        });
      } catch (err) {
        if ((err as { code?: string }).code === 'TOO_SLOW') {
          // A budget the deadline cut short says nothing of the link: not dead, out of time.
          if (budget < full) throw new QuarryError('DEADLINE_EXCEEDED', `${url}: the item's deadline left ${budget} ms of the ${full} ms fetch budget`, { retryable: true, cause: err });
          options.politeness?.tooSlow(host);
        }
        return deadOutput(outcomeForFetchError(err, ctx.attempt), fetchedAtMs);
      }
      const validators = { ...(res.headers.etag ? { etag: res.headers.etag } : {}), ...(res.headers['last-modified'] ? { lastModified: res.headers['last-modified'] } : {}) };
      if (res.status === 304 && known) {
        return { linkStatus: 'alive' as const, httpStatus: 304, contentSign: known.sign, knownContent: true, notModified: true, fetchedAtMs, ...(validators.etag || validators.lastModified ? validators : pick(known)) };
      }
      if (res.status < 200 || res.status >= 300) return deadOutput(deadForStatus(res.status, ctx.attempt, res.headers['retry-after']), fetchedAtMs);

      const bytes = res.body;
      const type = sniffImageType(bytes);
      if (type === null) {
        const ct = res.headers['content-type'] ?? 'none';
        throw new FilteredError('not-an-image', `${res.finalUrl} returned ${describeNonImage(bytes)} (${bytes.length} bytes, content-type ${ct}), not an image`);
      }
      if (!type.supported) throw new FilteredError('unsupported-image-type', `${res.finalUrl} is ${type.mime}, which is not accepted`);

      const contentSign = createHash('sha256').update(bytes).digest('hex');
      const knownContent = await lookup(options.knownContent, contentSign, ctx.log);
      const alive = { linkStatus: 'alive' as const, httpStatus: res.status, contentSign, mime: type.mime, byteLength: bytes.length, fetchedAtMs, ...validators };
      if (knownContent) return { ...alive, knownContent: true };
      await validateImage(bytes, type, options.maxPixels);
      return { ...alive, knownContent: false, image: bytes };
    },
  });
}

async function lookup(known: KnownContentLookup | undefined, sign: string, log: { warn(m: string, a?: Record<string, unknown>): void }): Promise<boolean> {
  if (!known) return false;
  try {
    return await known.hasFeatures(sign);
  } catch (err) {
    // Failing open costs one redundant feature computation; failing closed would lose the item.
    log.warn('known-content lookup failed; computing features again', { sign, error: String(err) });
    return false;
  }
}

async function lookupValidators(known: KnownContentLookup | undefined, url: string, log: { warn(m: string, a?: Record<string, unknown>): void }) {
  if (!known?.validators) return undefined;
  try {
    return await known.validators(url);
  } catch (err) {
    // Failing open costs one unconditional fetch.
    log.warn('validator lookup failed; fetching unconditionally', { url, error: String(err) });
    return undefined;
  }
}

function pick(v: { etag?: string; lastModified?: string }): { etag?: string; lastModified?: string } {
  return { ...(v.etag ? { etag: v.etag } : {}), ...(v.lastModified ? { lastModified: v.lastModified } : {}) };
}

function checkOptions(o: ImageSpiderOptions): void {
  const problems: ConfigProblem[] = [];
  const positiveInt = (field: string, v: unknown) => {
    if (!Number.isInteger(v) || (v as number) < 1) problems.push({ field, expected: 'an integer ≥ 1', received: v });
  };
  positiveInt('maxBytes', o.maxBytes);
  positiveInt('maxPixels', o.maxPixels);
  positiveInt('timeouts.connectMs', o.timeouts?.connectMs);
  positiveInt('timeouts.readMs', o.timeouts?.readMs);
  if (o.maxRedirects !== undefined && (!Number.isInteger(o.maxRedirects) || o.maxRedirects < 0)) {
    problems.push({ field: 'maxRedirects', expected: 'an integer ≥ 0', received: o.maxRedirects });
  }
  if (problems.length > 0) throw new ConfigError(problems, 'image-spider options');
}
