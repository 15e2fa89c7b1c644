// One page fetch with everything around it: a conditional GET when the page is known, robots.txt
// and the host's turn through politeness, and a time budget that never reaches the node's
// deadline (so a page that trickles is `too-slow` once, never retried at the same deadline). A
// budget the item's deadline cut short judges nothing: running out of it is DEADLINE_EXCEEDED.
import { FilteredError, QuarryError, RetryLaterError } from '../../../framework/errors/index.ts';
import type { OperatorContext } from '../../../framework/operator-sdk/index.ts';
import { fetchErrorReason, isFetchError, safeFetch, type SafeFetchResult } from '../../net/index.ts';
import type { PageSpiderConfig } from './options.ts';

export type Known = Awaited<ReturnType<NonNullable<PageSpiderConfig['pageState']>['validators']>>;

const MARGIN_MS = 500;

export async function fetchPage(url: string, known: Known, config: PageSpiderConfig, ctx: OperatorContext): Promise<SafeFetchResult> {
  const host = URL.canParse(url) ? new URL(url).host : '';
  const full = config.politeness ? config.politeness.budgetMs(host, config.totalMs) : config.totalMs;
  const budget = Math.max(1, Math.min(full, ctx.deadline - config.now() - MARGIN_MS));
  try {
    return await safeFetch(url, {
      allowPrivate: config.allowPrivate,
      connectTimeoutMs: config.connectMs,
      readTimeoutMs: config.readMs,
      totalTimeoutMs: budget,
      maxBytes: config.maxBytes,
      maxRedirects: config.maxRedirects,
      accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.1',
      signal: ctx.signal,
      headers: {
        ...(known?.etag ? { 'if-none-match': known.etag } : {}),
        ...(known?.lastModified ? { 'if-modified-since': known.lastModified } : {}),
      },
      ...(config.politeness ? { gate: (u: URL) => config.politeness!.gate(u) } : {}),
      ...(config.userAgent === undefined ? {} : { userAgent: config.userAgent }),
    });
  } catch (err) {
    if (!isFetchError(err) || err.code === 'ABORTED') throw err;
    // Politeness: the host's turn is far off. Not the item's fault: wait without spending an attempt.
    if (err.code === 'HOST_BUSY') throw new RetryLaterError(err.retryAfterMs ?? 1_000, err.message, { code: 'BACKPRESSURE', cause: err });
    if (err.code === 'TOO_SLOW' && budget < full) throw new QuarryError('DEADLINE_EXCEEDED', `${url}: the item's deadline left ${budget} ms of the ${full} ms fetch budget`, { retryable: true, cause: err });
    if (err.code === 'TOO_SLOW') config.politeness?.tooSlow(host);
    if (err.retryable) throw new RetryLaterError(config.retryAfterMs, err.message, { code: err.code, cause: err });
    throw new FilteredError(fetchErrorReason(err), err.message);
  }
}
