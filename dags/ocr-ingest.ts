// OCR: gpu-class work reached through a deferred edge from `image-ingest`; the gate releases it
// off-peak or when there is spare capacity.
import { defineDag } from '../framework/dag/index.ts';

export default defineDag(
  {
    name: 'ocr-ingest',
    version: 1,
    description: 'read the text in an image content and record and index it',
    source: ['contentSign', 'image'],
    blobs: ['image'],
    defaults: { timeoutMs: 60_000, retry: { maxAttempts: 3, backoffMs: 1_000, maxBackoffMs: 10_000 } },
  },
  [
    { id: 'ocr', operator: 'ocr', reads: ['image'], writes: ['ocrText', 'ocrLines'], resource: 'gpu', concurrency: 1 },
    { id: 'relate-ocr', operator: 'relation-ocr', after: ['ocr'], reads: ['contentSign', 'ocrText', 'ocrLines'] },
    { id: 'index-text', operator: 'index-builder', after: ['relate-ocr'], reads: ['contentSign', 'ocrText'] },
  ],
);
