// Page ingestion: fetch a page, find its images and links, record the page and its
// page→image-link edges. Image links fan out into `image-ingest`; same-site links into this
// DAG again while the crawl depth allows.
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
    { id: 'spider', operator: 'page-spider', reads: ['url'], writes: ['finalUrl', 'httpStatus', 'title', 'pageType', 'contentHash', 'charset', 'fetchedAtMs', 'html'], concurrency: 8 },
    { id: 'extract', operator: 'image-extract', after: ['spider'], reads: ['finalUrl', 'html'], writes: ['images', 'pageLinks'], fanOut: ['image-ingest', 'page-ingest'] },
    { id: 'relate-page', operator: 'relation-page', after: ['extract'], reads: ['url', 'finalUrl', 'title', 'pageType', 'contentHash', 'fetchedAtMs', 'images'] },
  ],
);
