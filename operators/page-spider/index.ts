/**
 * The `page-spider` operator: fetches a page behind the SSRF guard of `operators/net`, checks it
 * is HTML, decodes its charset and records status, title, page type and a content hash. Rejections
 * are `FilteredError`s with reasons `bad-url`, `ssrf-blocked`, `redirect-loop`,
 * `too-many-redirects`, `too-large`, `not-html`, `http-<4xx status>`, `unchanged`, …; 5xx, 429,
 * timeouts and connection failures are `RetryLaterError`s.
 *
 *   const spider = createPageSpiderOperator({ allowPrivate: ['127.0.0.0/8'], timeouts: { connectMs: 2_000, readMs: 5_000 } });
 *   const page = await spider.handler({ url: 'http://127.0.0.1:8080/' }, ctx);
 *   page.title; page.contentHash; page.html; // UTF-8 bytes
 */
export { createPageSpiderOperator } from './internal/page-spider.ts';
export { parsePageSpiderOptions, type PageSpiderOptions, type PageState, type PageSpiderConfig } from './internal/options.ts';
export { decodePage, type DecodedPage } from './internal/decode-charset.ts';
export { readPageInfo, type PageInfo, type PageType } from './internal/page-info.ts';
