// Image ingestion: download and validate an image link (conditionally when known: a 304 ends the
// item at `link` as unchanged), record the link and its content, compute
// features once per content, index it, and hand the image to the gpu-class OCR DAG through a
// deferred edge so this DAG never waits for GPU time.
import { defineDag } from '../framework/dag/index.ts';

export default defineDag(
  {
    name: 'image-ingest',
    version: 1,
    description: 'fetch an image link, record link and content, features, index, defer OCR',
    source: ['url', 'pageUrl'],
    blobs: ['image', 'thumbnail'],
    keep: ['contentSign', 'thumbnail'],
    defaults: { timeoutMs: 20_000, retry: { maxAttempts: 3, backoffMs: 500, maxBackoffMs: 5_000 } },
  },
  [
    { id: 'fetch', operator: 'image-spider', reads: ['url'], writes: ['linkStatus', 'deadReason', 'httpStatus', 'contentSign', 'mime', 'byteLength', 'knownContent', 'fetchedAtMs', 'image', 'notModified', 'etag', 'lastModified'], concurrency: 8 },
    { id: 'link', operator: 'relation-link', after: ['fetch'], reads: ['url', 'linkStatus', 'deadReason', 'contentSign', 'fetchedAtMs', 'notModified', 'etag', 'lastModified'] },
    { id: 'features', operator: 'image-feature', after: ['link'], reads: ['image'], writes: ['width', 'height', 'format', 'clarity', 'phash', 'dominantColor', 'thumbnail'], concurrency: 2 },
    { id: 'content', operator: 'relation-content', after: ['features'], reads: ['contentSign', 'width', 'height', 'format', 'clarity', 'phash', 'dominantColor', 'thumbnail'] },
    { id: 'index', operator: 'index-builder', after: ['content'], reads: ['contentSign', 'phash'] },
    { id: 'to-ocr', kind: 'defer', after: ['features'], dag: 'ocr-ingest', fields: ['contentSign', 'image'], priority: 'low', resource: 'gpu' },
  ],
);
