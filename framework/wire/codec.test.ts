import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeTrigger, encodeTrigger, type Trigger } from './index.ts';

const realistic: Trigger = {
  messageId: '0b9f6a52-5c1e-4a53-9d0e-7f1f3c2a9e11',
  itemKey: 'https://images.example.com/gallery/2026/11/22/a-rather-long-image-file-name-with-words-1920x1080.jpg?v=3&size=large',
  dag: 'image-ingest', dagVersion: 3, node: 'features',
  tupleRef: 'image-ingest:0b9f6a52-5c1e-4a53-9d0e-7f1f3c2a9e11', tupleVersion: 4,
  priority: 'high', tenant: 'news-vertical', attempt: 2, deadlineMs: 1_795_400_000_000,
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: 'vendor=abc',
  parentId: '5d2c1f4e-0a7b-4c8d-9e3f-1a2b3c4d5e6f', fromNode: 'link', createdMs: 1_795_399_000_000,
  source: { url: 'https://images.example.com/gallery/2026/11/22/a-rather-long-image-file-name-with-words-1920x1080.jpg?v=3&size=large', pageUrl: 'https://www.example.com/news/2026/11/22/a-long-article-slug-about-something-interesting.html' },
  notBeforeMs: 0, originId: '',
};

describe('wire codec', () => {
  it('a realistic trigger round-trips and encodes to well under 1 KB', () => {
    const bytes = encodeTrigger(realistic);
    assert.ok(bytes.length < 1024, `trigger is ${bytes.length} bytes`);
    assert.deepEqual(decodeTrigger(bytes), realistic);
  });

  it('rejects garbage and triggers without required fields with BAD_TRIGGER', () => {
    assert.throws(() => decodeTrigger(new TextEncoder().encode('\u00ff\u00ff\u00ff not protobuf')), { code: 'BAD_TRIGGER' });
    assert.throws(() => decodeTrigger(encodeTrigger({ ...realistic, messageId: '', node: '' })), { code: 'BAD_TRIGGER', message: /messageId, node/ });
  });
});
