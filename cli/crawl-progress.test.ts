import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ItemRecord } from '../framework/item-ledger/index.ts';
import { formatProgress } from './crawl-progress.ts';

const rec = (dag: string, state: ItemRecord['state'], reason?: string): ItemRecord => ({ dag, messageId: 'm', itemKey: 'k', state, ...(reason ? { reason } : {}), createdMs: 0, events: [] });

describe('crawl progress line', () => {
  const records = [
    rec('page-ingest', 'completed'), rec('page-ingest', 'completed'), rec('page-ingest', 'filtered', 'unchanged'),
    rec('page-ingest', 'filtered', 'http-404'), rec('page-ingest', 'dead-lettered', 'retries exhausted after 3 attempt(s): FETCH_FAILED: DNS lookup failed'),
    rec('image-ingest', 'completed'), rec('image-ingest', 'filtered', 'dead-link: http-404'), rec('ocr-ingest', 'completed'),
  ];

  it('counts crawled pages apart from unchanged and refused ones, with in-flight, gate and what it waits on', () => {
    const line = formatProgress({ elapsedMs: 12_300, records, inFlight: { 'page-ingest': 1, 'image-ingest': 4 }, calls: [{ dag: 'image-ingest', node: 'features', inFlight: 2 }, { dag: 'image-ingest', node: 'fetch', inFlight: 5 }, { dag: 'page-ingest', node: 'spider', inFlight: 0 }], gate: { backlog: 7, deferred: 3 } });
    assert.equal(line, '  … 12 s · pages 2 crawled, 1 unchanged, 2 refused, 1 in flight · image links 2 done (1 dead), 4 in flight · ocr 1 done · gate 7 waiting, 3 deferred · waiting on image-ingest/fetch (5 calls), image-ingest/features (2)');
  });

  it('says what the crawl waits on when no call runs', () => {
    const at = (inFlight: Record<string, number>, gate?: { backlog: number; deferred: number }) => formatProgress({ elapsedMs: 0, records: [], inFlight, calls: [], ...(gate ? { gate } : {}) }).split(' · ').at(-1);
    assert.equal(at({ 'image-ingest': 3 }), 'waiting on 3 item(s) queued or between retries');
    assert.equal(at({}, { backlog: 2, deferred: 0 }), 'waiting on the gate to admit');
    assert.equal(at({}, { backlog: 0, deferred: 4 }), 'waiting on deferred OCR work (released off-peak or on spare capacity)');
    assert.equal(at({}), 'finishing');
  });
});
