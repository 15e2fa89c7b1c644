// The page spider: fetch a page safely, check it is HTML, decode its charset, and record what
// the relation graph needs (status, title, type, content hash). HTML goes on as UTF-8 bytes.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { FilteredError, RetryLaterError } from '../../../framework/errors/index.ts';
import { blob, defineOperator } from '../../../framework/operator-sdk/index.ts';
import { decodePage } from './decode-charset.ts';
import { fetchPage } from './fetch-page.ts';
import { parsePageSpiderOptions, type PageSpiderOptions } from './options.ts';
import { readPageInfo } from './page-info.ts';

const HTML_TYPES = new Set(['text/html', 'application/xhtml+xml']);

export function createPageSpiderOperator(options: PageSpiderOptions = {}) {
  const config = parsePageSpiderOptions(options);
  return defineOperator({
    name: 'page-spider',
    version: '1.1.0',
    description: 'Fetches an HTML page behind an SSRF guard, politely and conditionally; records status, title, page type, charset and content hash.',
    resource: 'cpu',
    inputs: { url: z.string().describe('page URL (http/https)') },
    outputs: {
      finalUrl: z.string().describe('URL after redirects'),
      httpStatus: z.number().int(),
      title: z.string(),
      pageType: z.enum(['home', 'article', 'product', 'gallery', 'listing', 'page']),
      contentHash: z.string().describe('sha256 hex of the page bytes as served'),
      charset: z.string().describe('the encoding the page was decoded from'),
      fetchedAtMs: z.number().int(),
      html: blob('the page, transcoded to UTF-8'),
      etag: z.string().optional().describe('the ETag to send next time (If-None-Match)'),
      lastModified: z.string().optional().describe('the Last-Modified to send next time (If-Modified-Since)'),
    },
    async handler({ url }, ctx) {
      const known = await config.pageState?.validators(url);
      const res = await fetchPage(url, known, config, ctx);
      const fetchedAtMs = config.now();
      if (res.status === 429 || res.status >= 500) {
        throw new RetryLaterError(retryAfter(res.headers['retry-after'], config.retryAfterMs, fetchedAtMs), `HTTP ${res.status} from ${res.finalUrl}`, { code: `HTTP_${res.status}` });
      }
      const validators = { ...(res.headers.etag ? { etag: res.headers.etag } : {}), ...(res.headers['last-modified'] ? { lastModified: res.headers['last-modified'] } : {}) };
      if (res.status === 304 && known) {
        await config.pageState!.unchanged(known.url, fetchedAtMs, validators);
        throw new FilteredError('unchanged', `${url} is not modified since its last crawl`);
      }
      if ((res.status === 404 || res.status === 410) && known) await config.pageState!.gone(url, fetchedAtMs);
      if (res.status < 200 || res.status >= 300) throw new FilteredError(`http-${res.status}`, `HTTP ${res.status} from ${res.finalUrl}`);

      const contentType = res.headers['content-type'];
      if (!looksLikeHtml(contentType, res.body)) {
        throw new FilteredError('not-html', `${res.finalUrl} is \`${contentType ?? 'untyped'}\`, not HTML`);
      }
      const contentHash = createHash('sha256').update(res.body).digest('hex');
      if (known?.contentHash === contentHash) {
        await config.pageState!.unchanged(known.url, fetchedAtMs, validators);
        throw new FilteredError('unchanged', `${url} is unchanged since its last crawl`);
      }
      const { charset, text } = decodePage(res.body, contentType);
      const info = readPageInfo(text, res.finalUrl);
      ctx.log.info('page fetched', { url, finalUrl: res.finalUrl, bytes: res.body.length, charset, redirects: res.redirects.length });
      return {
        finalUrl: res.finalUrl,
        httpStatus: res.status,
        title: info.title,
        pageType: info.pageType,
        contentHash,
        charset,
        fetchedAtMs,
        html: new TextEncoder().encode(text),
        ...validators,
      };
    },
  });
}

function looksLikeHtml(contentType: string | undefined, body: Uint8Array): boolean {
  if (contentType !== undefined && contentType.trim() !== '') {
    return HTML_TYPES.has(contentType.split(';')[0]!.trim().toLowerCase());
  }
  // No declared type: sniff the start the way browsers do.
  const head = new TextDecoder('latin1').decode(body.subarray(0, 512)).trimStart().toLowerCase();
  return head.startsWith('<!doctype html') || head.startsWith('<html') || head.startsWith('<head') || head.startsWith('<body');
}

function retryAfter(header: string | undefined, fallback: number, now: number): number {
  if (header === undefined) return fallback;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, 3_600_000);
  const at = Date.parse(header);
  return Number.isFinite(at) ? Math.min(Math.max(0, at - now), 3_600_000) : fallback;
}
