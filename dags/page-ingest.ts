// Page ingestion: fetch a page (politely, conditionally when known), find its images and links,
// record the page under its canonical URL and its page→image-link edges, with what the next
// conditional GET needs. Image links fan out into `image-ingest`; same-site links into this DAG
// again while the crawl depth allows.
import { defineDag } from '../framework/dag/index.ts';

export default defineDag(
  {
    name: 'page-ingest',
    version: 1,
    description: 'crawl a page into the relation graph and fan out its images',
    source: ['url', 'depth', 'maxDepth'],
    blobs: ['html'],
    keep: ['title'],
    defaults: { timeoutMs: 20_000, retry: { maxAttempts: 3, backoffMs: 500, maxBackoffMs: 5_000 } },
  },
  [
    { id: 'spider', operator: 'page-spider', reads: ['url'], writes: ['finalUrl', 'httpStatus', 'title', 'pageType', 'contentHash', 'charset', 'fetchedAtMs', 'html', 'etag', 'lastModified'], concurrency: 8 },
    { id: 'extract', operator: 'image-extract', after: ['spider'], reads: ['finalUrl', 'html'], writes: ['images', 'pageLinks', 'canonicalUrl'], fanOut: ['image-ingest', 'page-ingest'] },
    { id: 'relate-page', operator: 'relation-page', after: ['extract'], reads: ['url', 'finalUrl', 'canonicalUrl', 'title', 'pageType', 'contentHash', 'fetchedAtMs', 'images', 'etag', 'lastModified', 'depth', 'maxDepth'] },
  ],
);
